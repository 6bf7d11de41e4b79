package signouttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// logout is the kind of handler a user of signout writes: it depends on the
// Signer interface, so a test can hand it a fake.
func logout(s signout.Signer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := r.Cookie("access_token")
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		err = s.SignOut(r.Context(), tok.Value)
		switch {
		case err == nil, errors.Is(err, signout.ErrTokenRevoked):
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, signout.ErrNotAuthorized):
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}
}

func ExampleFakeSigner() {
	fake := &signouttest.FakeSigner{Results: []error{nil, signout.ErrThrottled}}
	h := logout(fake)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: "tok-1"})
		rec := httptest.NewRecorder()
		h(rec, req)
		fmt.Println(rec.Code)
	}
	fmt.Println(fake.Calls())
	// Output:
	// 204
	// 502
	// [tok-1 tok-1]
}

func ExampleServer() {
	srv := signouttest.NewServer()
	defer srv.Close()
	tokens := srv.SignIn("alice")

	c, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.SignOut(context.Background(), tokens.AccessToken))
	fmt.Println(srv.Requests("GlobalSignOut"))
	// Output:
	// <nil>
	// 1
}

func ExampleServer_Replica() {
	srv := signouttest.NewServer(signouttest.UpdatedIssuer())
	defer srv.Close()
	replica := srv.Replica("eu-west-1")
	tokens := srv.SignIn("alice")

	c, err := signout.New(signout.WithHTTPClient(srv.HTTPClient()),
		signout.WithReplicaRegions(srv.UserPoolID, replica.Region), signout.WithRetryMaxAttempts(1))
	if err != nil {
		panic(err)
	}
	srv.SetDown(true)
	fmt.Println(c.SignOut(context.Background(), tokens.AccessToken))
	fmt.Println(srv.Requests("GlobalSignOut"), replica.Requests("GlobalSignOut"))
	srv.SetDown(false)
	fmt.Println(srv.Accepts(tokens.AccessToken), replica.Accepts(tokens.AccessToken))
	// Output:
	// <nil>
	// 1 1
	// false false
}

func ExampleServer_Client() {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.AddUser("alice", map[string]string{"email": "alice@example.com"})
	srv.AddUser("bob", map[string]string{"email": "bob@example.org"})

	out, err := srv.Client().ListUsers(context.Background(), &cip.ListUsersInput{
		UserPoolId: aws.String(srv.UserPoolID),
		Filter:     aws.String(`email ^= "alice@"`),
	})
	if err != nil {
		panic(err)
	}
	for _, u := range out.Users {
		fmt.Println(*u.Username, u.UserStatus)
	}
	// Output:
	// alice CONFIRMED
}

func ExampleServer_InjectFault() {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.InjectFault("GetUser", signouttest.Fault{
		Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 1,
	})
	tok := srv.SignIn("alice").AccessToken
	for range 2 {
		_, err := srv.Client().GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
		fmt.Println(err != nil)
	}
	// Output:
	// true
	// false
}

func ExampleQuotas() {
	srv := signouttest.NewServer(signouttest.Quotas(1)) // Cognito's rates
	defer srv.Close()
	for range 10 {
		srv.Client().AdminUserGlobalSignOut(context.Background(), &cip.AdminUserGlobalSignOutInput{
			UserPoolId: aws.String(srv.UserPoolID), Username: aws.String("nobody"),
		})
	}
	served, throttled := srv.QuotaUsage("UserUpdate")
	fmt.Println(served >= 5, served+throttled)
	// Output:
	// true 10
}
