package signout_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

func ExampleNew() {
	// In production the defaults are usually right: the region comes from
	// each token, and no credentials are needed. Share c across goroutines.
	c, err := signout.New(signout.WithTimeout(5 * time.Second))
	fmt.Println(c != nil, err)

	_, err = signout.New(signout.WithEndpoint("localhost:9229"))
	fmt.Println(err)
	// Output:
	// true <nil>
	// signout: WithEndpoint: invalid option (no http:// or https:// scheme)
}

func ExampleClient_SignOut() {
	srv := signouttest.NewServer() // an in-process Cognito stand-in
	defer srv.Close()
	tokens := srv.SignIn("alice")

	c, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	fmt.Println("signed out:", c.SignOut(ctx, tokens.AccessToken) == nil)

	err = c.SignOut(ctx, tokens.AccessToken)
	fmt.Println("again, revoked:", errors.Is(err, signout.ErrTokenRevoked))
	fmt.Println("again, not authorized:", errors.Is(err, signout.ErrNotAuthorized))

	// A value that is no access token is refused before any request.
	err = c.SignOut(ctx, "not-a-token")
	fmt.Println(err)
	// Output:
	// signed out: true
	// again, revoked: true
	// again, not authorized: true
	// signout: GlobalSignOut: invalid token (token needs 3 dot-separated segments, found 1)
}

func ExampleClient_Logout() {
	srv := signouttest.NewServer()
	defer srv.Close()
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// "Log out": this device's session only.
	laptop, phone := srv.SignIn("alice"), srv.SignIn("alice")
	ended, err := c.Logout(ctx, laptop.AccessToken, laptop.RefreshToken, signout.ThisSession)
	fmt.Println(ended, err)

	// "Log out of all devices".
	ended, err = c.Logout(ctx, phone.AccessToken, phone.RefreshToken, signout.AllSessions)
	fmt.Println(ended, err)
	// Output:
	// this session <nil>
	// all sessions <nil>
}

func ExampleError() {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"})

	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithRetryMaxAttempts(2))
	if err != nil {
		log.Fatal(err)
	}
	err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)

	var se *signout.Error
	if errors.As(err, &se) {
		fmt.Println("throttled:", errors.Is(err, signout.ErrThrottled))
		fmt.Println("code:", se.Code)
		fmt.Println("attempts:", se.Attempts)
		fmt.Println("retry later:", se.Retryable())
	}
	// Output:
	// throttled: true
	// code: TooManyRequestsException
	// attempts: 2
	// retry later: true
}

func ExampleWithCABundle() {
	srv := signouttest.NewServer(signouttest.TLS()) // HTTPS with its own CA
	defer srv.Close()

	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithCABundle(srv.CertificatePEM()))
	if err != nil {
		log.Fatal(err)
	}
	err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
	fmt.Println("signed out over TLS:", err == nil)
	// Output:
	// signed out over TLS: true
}
