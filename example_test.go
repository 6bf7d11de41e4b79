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
	// each token, and no credentials are needed.
	c, err := signout.New(signout.WithTimeout(5 * time.Second))
	if err != nil {
		log.Fatal(err)
	}
	_ = c // share c across goroutines
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
	// Output:
	// signed out: true
	// again, revoked: true
	// again, not authorized: true
}

func ExampleError() {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"})

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

func ExampleNew_withCABundle() {
	srv := signouttest.NewServer(signouttest.TLS()) // HTTPS with its own CA
	defer srv.Close()

	// WithCABundle(path) reads the same PEM from a file, as --ca-bundle does.
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithCABundlePEM(srv.CertificatePEM()))
	if err != nil {
		log.Fatal(err)
	}
	err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
	fmt.Println("signed out over TLS:", err == nil)
	// Output:
	// signed out over TLS: true
}

func ExampleWithTokenChecks() {
	c, err := signout.New(signout.WithRegion("us-east-1"))
	if err != nil {
		log.Fatal(err)
	}
	// A value that is no access token is refused before any request.
	err = c.SignOut(context.Background(), "not-a-token")
	fmt.Println(errors.Is(err, signout.ErrInvalidToken))
	fmt.Println(err)
	// Output:
	// true
	// signout: GlobalSignOut: invalid access token (access token needs 3 dot-separated segments, found 1)
}

func ExampleClient_EndSession() {
	srv := signouttest.NewServer()
	defer srv.Close()
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithClientID(srv.ClientID))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// A live access token: the user is signed out everywhere.
	t := srv.SignIn("alice")
	res, err := c.EndSession(ctx, signout.Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken})
	fmt.Println(err, res.SignedOut, res.RefreshTokenRevoked)

	// An expired access token: the refresh token is revoked instead.
	t = srv.SignIn("bob")
	expired := srv.AccessToken("bob", signouttest.ExpiresIn(-time.Hour))
	res, err = c.EndSession(ctx, signout.Session{AccessToken: expired, RefreshToken: t.RefreshToken})
	fmt.Println(err, res.SignedOut, res.RefreshTokenRevoked, errors.Is(res.SignOutErr, signout.ErrTokenExpired))
	// Output:
	// <nil> true false
	// <nil> false true true
}

func ExampleLogoutURL() {
	u, err := signout.LogoutURL("auth.example.com", "1example23456789", "https://app.example.com/signed-out")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output:
	// https://auth.example.com/logout?client_id=1example23456789&logout_uri=https%3A%2F%2Fapp.example.com%2Fsigned-out
}
