package tap

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProxy(t *testing.T) {
	srv := signouttest.NewServer()
	defer srv.Close()
	for _, u := range []string{"a", "b", "c"} {
		srv.AddUser(u, nil)
	}
	p := New(t, srv.URL)
	p.Before(func(c *Call) *Reply {
		if c.Username == "c" {
			return &Reply{Status: 400, Code: "InvalidParameterException", Message: "no"}
		}
		return nil
	})
	api := cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	ctx := context.Background()
	list := func(token *string) *cip.ListUsersOutput {
		out, err := api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &srv.UserPoolID, Limit: aws.Int32(2), PaginationToken: token})
		require.NoError(t, err)
		return out
	}
	first := list(nil)
	for _, u := range []string{"a", "b", "c"} {
		api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &srv.UserPoolID, Username: aws.String(u)})
	}
	list(first.PaginationToken)
	assert.Empty(t, p.RelistedAfterUse())
	list(nil)

	calls := p.Calls("ListUsers")
	require.Len(t, calls, 3)
	assert.Equal(t, []string{"a", "b"}, calls[0].Users)
	assert.Equal(t, aws.ToString(first.PaginationToken), calls[0].Next)
	assert.Equal(t, calls[0].Next, calls[1].Token)
	assert.Equal(t, map[string]int{"a": 1, "b": 1}, p.SignedOut(), "c was answered by Before")
	assert.Equal(t, 2, srv.Requests("AdminUserGlobalSignOut"))
	assert.Equal(t, []string{""}, p.RelistedAfterUse(), "the first page was listed again after a and b were signed out")
}
