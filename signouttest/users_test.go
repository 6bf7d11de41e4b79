package signouttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/signouttest"
)

// names returns the user names of users.
func names(users []types.UserType) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, aws.ToString(u.Username))
	}
	return out
}

// listAll lists every user the filter matches, page by page, and returns
// their names and the size of each page.
func listAll(t *testing.T, srv *signouttest.Server, filter string, limit int32) (users []string, pages []int) {
	t.Helper()
	p := cip.NewListUsersPaginator(srv.Client(), &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID),
		Filter: aws.String(filter), Limit: aws.Int32(limit)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		users = append(users, names(out.Users)...)
		pages = append(pages, len(out.Users))
	}
	return users, pages
}

func TestListUsersPages(t *testing.T) {
	srv := start(t)
	var want []string
	for i := range 130 {
		name := fmt.Sprintf("user%03d", i)
		srv.AddUser(name, nil)
		want = append(want, name)
	}
	srv.DeleteUser("user007")
	want = append(want[:7], want[8:]...)

	got, pages := listAll(t, srv, "", 60)
	assert.Equal(t, want, got, "every user once, in a stable order")
	assert.Equal(t, []int{60, 60, 9}, pages)
	got, pages = listAll(t, srv, "", 0)
	assert.Equal(t, want, got)
	assert.Equal(t, []int{60, 60, 9}, pages, "no Limit is 60")
	_, pages = listAll(t, srv, `username ^= "user1"`, 25)
	assert.Equal(t, []int{25, 5}, pages, "pages of a filtered listing")
	assert.Equal(t, 8, srv.Requests("ListUsers"))
}

func TestListUsersNewUsersComeLast(t *testing.T) {
	srv := start(t)
	for i := range 3 {
		srv.AddUser(fmt.Sprint("u", i), nil)
	}
	ctx := context.Background()
	first, err := srv.Client().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID), Limit: aws.Int32(2)})
	require.NoError(t, err)
	require.NotNil(t, first.PaginationToken)
	srv.SignIn("a-new-user")
	srv.DeleteUser("u0")
	next, err := srv.Client().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID),
		PaginationToken: first.PaginationToken})
	require.NoError(t, err)
	assert.Equal(t, []string{"u0", "u1"}, names(first.Users))
	assert.Equal(t, []string{"u2", "a-new-user"}, names(next.Users))
	assert.Nil(t, next.PaginationToken)
}

func TestListUsersFilter(t *testing.T) {
	srv := start(t)
	srv.AddUser("alice", map[string]string{"email": "alice@example.com", "given_name": "Alice", "family_name": "Liddell",
		"name": "Alice Liddell", "phone_number": "+15550100", "preferred_username": "al"})
	srv.AddUser("albert", map[string]string{"email": "albert@example.org", "cognito:user_status": "FORCE_CHANGE_PASSWORD"})
	srv.AddUser("bob", map[string]string{"email": "bob@example.com", "status": "Disabled", "name": `Bob "the" Builder\`})
	srv.SignIn("carol")
	ctx := context.Background()
	sub := func(name string) string {
		out, err := srv.Client().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID),
			Filter: aws.String(`username = "` + name + `"`), AttributesToGet: []string{"sub"}})
		require.NoError(t, err)
		require.Len(t, out.Users, 1)
		return aws.ToString(out.Users[0].Attributes[0].Value)
	}

	tests := []struct {
		filter        string
		want          []string
		code, message string
	}{
		{"", []string{"alice", "albert", "bob", "carol"}, "", ""},
		{`username = "alice"`, []string{"alice"}, "", ""},
		{`username = "Alice"`, []string{}, "", ""},
		{`username ^= "al"`, []string{"alice", "albert"}, "", ""},
		{`  email^="a"  `, []string{"alice", "albert"}, "", ""},
		{`email = "bob@example.com"`, []string{"bob"}, "", ""},
		{`email ^= "alice@example.com"`, []string{"alice"}, "", ""},
		{`phone_number ^= "+1555"`, []string{"alice"}, "", ""},
		{`name = "Bob \"the\" Builder\\"`, []string{"bob"}, "", ""},
		{`given_name = "Alice"`, []string{"alice"}, "", ""},
		{`family_name ^= "Lid"`, []string{"alice"}, "", ""},
		{`preferred_username = "al"`, []string{"alice"}, "", ""},
		{`status = "Disabled"`, []string{"bob"}, "", ""},
		{`status = "Enabled"`, []string{"alice", "albert", "carol"}, "", ""},
		{`status = "enabled"`, []string{}, "", ""},
		{`cognito:user_status = "force_change_password"`, []string{"albert"}, "", ""},
		{`cognito:user_status = "CONFIRMED"`, []string{"alice", "bob", "carol"}, "", ""},
		{`sub = "` + sub("carol") + `"`, []string{"carol"}, "", ""},
		{`sub ^= "` + sub("bob")[:8] + `"`, []string{"bob"}, "", ""},
		{`custom:team = "blue"`, nil, "InvalidParameterException", "Invalid search attribute: custom:team"},
		{`email_verified = "true"`, nil, "InvalidParameterException", "Invalid search attribute: email_verified"},
		{`email != "x"`, nil, "InvalidParameterException", "Error while parsing filter."},
		{`email = x`, nil, "InvalidParameterException", "Error while parsing filter."},
		{`email = "x" and name = "y"`, nil, "InvalidParameterException", "Error while parsing filter."},
		{`email = "x`, nil, "InvalidParameterException", "Error while parsing filter."},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			out, err := srv.Client().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID), Filter: aws.String(tc.filter)})
			code, msg := apiError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)
			if err == nil {
				assert.Equal(t, tc.want, names(out.Users))
			}
		})
	}
}

func TestListUsersAnswers(t *testing.T) {
	srv := start(t)
	srv.AddUser("alice", map[string]string{"email": "alice@example.com", "name": "Alice", "status": "Disabled",
		"cognito:user_status": "UNCONFIRMED"})
	ctx := context.Background()
	list := func(in *cip.ListUsersInput) (*cip.ListUsersOutput, error) {
		in.UserPoolId = aws.String(srv.UserPoolID)
		return srv.Client().ListUsers(ctx, in)
	}
	out, err := list(&cip.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, out.Users, 1)
	u := out.Users[0]
	assert.False(t, u.Enabled)
	assert.Equal(t, types.UserStatusTypeUnconfirmed, u.UserStatus)
	assert.NotNil(t, u.UserCreateDate)
	attrs := map[string]string{}
	for _, a := range u.Attributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	assert.Equal(t, []string{"email", "name", "sub"}, []string{aws.ToString(u.Attributes[0].Name), aws.ToString(u.Attributes[1].Name), aws.ToString(u.Attributes[2].Name)})
	assert.Equal(t, "alice@example.com", attrs["email"])

	out, err = list(&cip.ListUsersInput{AttributesToGet: []string{"email"}})
	require.NoError(t, err)
	require.Len(t, out.Users[0].Attributes, 1)
	assert.Equal(t, "email", aws.ToString(out.Users[0].Attributes[0].Name))

	for _, tc := range []struct {
		name    string
		in      *cip.ListUsersInput
		message string
	}{
		{"limit over 60", &cip.ListUsersInput{Limit: aws.Int32(61)},
			"1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60"},
		{"negative limit", &cip.ListUsersInput{Limit: aws.Int32(-1)},
			"1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60"},
		{"made-up token", &cip.ListUsersInput{PaginationToken: aws.String("bm90IGEgdG9rZW4")}, "Invalid pagination token."},
		{"not base64", &cip.ListUsersInput{PaginationToken: aws.String("!!")}, "Invalid pagination token."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := list(tc.in)
			code, msg := apiError(t, err)
			assert.Equal(t, "InvalidParameterException", code)
			assert.Equal(t, tc.message, msg)
		})
	}
}

func TestAdminUserGlobalSignOut(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	laptop, phone, bob := srv.SignIn("alice"), srv.SignIn("alice"), srv.SignIn("bob")
	srv.AddUser("carol", nil)
	srv.SignIn("dave")
	srv.DeleteUser("dave")
	signOut := func(username string) error {
		_, err := srv.Client().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
			UserPoolId: aws.String(srv.UserPoolID), Username: aws.String(username)})
		return err
	}
	require.NoError(t, signOut("alice"))
	for _, tok := range []string{laptop.AccessToken, phone.AccessToken} {
		_, err := getUser(t, srv, tok)
		_, msg := apiError(t, err)
		assert.Equal(t, "Access Token has been revoked", msg)
	}
	_, err := getUser(t, srv, bob.AccessToken)
	assert.NoError(t, err, "another user is unaffected")
	assert.NoError(t, signOut("carol"), "a user who never signed in")
	assert.NoError(t, signOut("alice"), "again")

	for _, name := range []string{"nobody", "dave"} {
		code, msg := apiError(t, signOut(name))
		assert.Equal(t, "UserNotFoundException", code, name)
		assert.Equal(t, "User does not exist.", msg, name)
	}
	code, _ := apiError(t, signOut(""))
	assert.Equal(t, "InvalidParameterException", code)
}

func TestDeleteUser(t *testing.T) {
	srv := start(t)
	old := srv.SignIn("alice")
	srv.DeleteUser("alice")
	srv.DeleteUser("nobody")
	_, err := getUser(t, srv, old.AccessToken)
	code, _ := apiError(t, err)
	assert.Equal(t, "UserNotFoundException", code)
	users, _ := listAll(t, srv, "", 60)
	assert.Empty(t, users)

	fresh := srv.SignIn("alice")
	assert.NotEqual(t, claims(t, old.AccessToken)["sub"], claims(t, fresh.AccessToken)["sub"], "a new user of the same name")
	_, err = getUser(t, srv, fresh.AccessToken)
	assert.NoError(t, err)
	_, err = getUser(t, srv, old.AccessToken)
	code, _ = apiError(t, err)
	assert.Equal(t, "UserNotFoundException", code, "the deleted user's tokens stay refused")
}

func TestAddUserPanicsOnMisuse(t *testing.T) {
	srv := start(t)
	srv.AddUser("alice", nil)
	assert.PanicsWithValue(t, `signouttest: AddUser: user "alice" exists`, func() { srv.AddUser("alice", nil) })
	assert.PanicsWithValue(t, `signouttest: AddUser: status is Enabled or Disabled, not "off"`,
		func() { srv.AddUser("bob", map[string]string{"status": "off"}) })
}
