// Command quickstart signs a user out of Cognito everywhere with signout.
//
// With no flags it runs on signouttest's in-process Cognito stand-in, so no
// AWS account is needed: it signs two users in, signs one out everywhere,
// and shows that user's tokens refused afterwards, by Cognito and by the
// application's own API (package verify, reading the sign-outs the Client
// records), while the other user's still work.
//
//	go run ./examples/quickstart
//
// With -access-token it signs that token's user out of real Cognito (the
// region comes from the token unless -region is given):
//
//	go run ./examples/quickstart -access-token file://token.txt
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.String("access-token", "", "sign out this token's user from real Cognito (or file://PATH to read it from a file)")
	region := fs.String("region", "", "AWS region (default: the token's)")
	endpoint := fs.String("endpoint", "", "Cognito endpoint URL, for a local emulator (default: AWS's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if *token != "" {
		return signOut(ctx, *token, *region, *endpoint, stdout, stderr)
	}
	if err := demo(ctx, stdout); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	return 0
}

// signOut signs out against Amazon Cognito, or the emulator at endpoint.
func signOut(ctx context.Context, token, region, endpoint string, stdout, stderr io.Writer) int {
	if path, ok := strings.CutPrefix(token, "file://"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "quickstart: reading the token:", err)
			return 1
		}
		token = strings.TrimSpace(string(b))
	}
	var opts []signout.Option
	if region != "" {
		opts = append(opts, signout.WithRegion(region))
	}
	if endpoint != "" {
		opts = append(opts, signout.WithEndpoint(endpoint))
	}
	c, err := signout.New(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	if err := c.SignOut(ctx, token); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	fmt.Fprintln(stdout, "Signed out everywhere.")
	return 0
}

// demo runs the whole story on the in-process stand-in.
func demo(ctx context.Context, out io.Writer) error {
	srv := signouttest.NewServer()
	defer srv.Close()
	fmt.Fprintf(out, "Cognito stand-in at %s (user pool %s)\n", srv.URL, srv.UserPoolID)

	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	fmt.Fprintln(out, "Signed in alice and bob.")

	// The application's API verifies tokens itself, and refuses the
	// sessions recorded in store as signed out.
	store := revocation.New()
	api, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		return err
	}
	// A plain SDK client, to look at the tokens from Cognito's side.
	sdk := srv.Client()
	check := func(who string, t signouttest.Tokens) {
		_, err := api.Verify(ctx, t.AccessToken)
		fmt.Fprintf(out, "  %-5s %-14s %s\n", who, "your API:", apiVerdict(err))
		_, err = sdk.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(t.AccessToken)})
		fmt.Fprintf(out, "  %-5s %-14s %s\n", who, "access token:", verdict(err))
		_, err = sdk.InitiateAuth(ctx, &cip.InitiateAuthInput{
			AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(srv.ClientID),
			AuthParameters: map[string]string{"REFRESH_TOKEN": t.RefreshToken},
		})
		fmt.Fprintf(out, "  %-5s %-14s %s\n", who, "refresh token:", verdict(err))
	}
	check("alice", alice)

	// The Client checks the token's signature, records the sign-out in
	// store, then asks Cognito.
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithPool(srv.UserPoolID),
		signout.WithRevocationStore(store))
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	if err := c.SignOut(ctx, alice.AccessToken); err != nil {
		return err
	}
	fmt.Fprintf(out, "SignOut(alice): signed out everywhere in %v.\n", time.Since(start).Round(time.Microsecond))

	check("alice", alice)
	check("bob", bob)

	err = c.SignOut(ctx, alice.AccessToken)
	fmt.Fprintf(out, "SignOut(alice) again: errors.Is(err, signout.ErrTokenRevoked) = %v\n  %v\n",
		errors.Is(err, signout.ErrTokenRevoked), err)
	return nil
}

func apiVerdict(err error) string {
	if err == nil {
		return "accepted"
	}
	return "refused (" + err.Error() + ")"
}

func verdict(err error) string {
	var api smithy.APIError
	switch {
	case err == nil:
		return "accepted"
	case errors.As(err, &api):
		return "refused (" + api.ErrorCode() + ": " + api.ErrorMessage() + ")"
	default:
		return "error: " + err.Error()
	}
}
