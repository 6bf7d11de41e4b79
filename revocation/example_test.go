package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// One store serves both sides in one process: the Client records each
// sign-out in it, and keeps there the Cognito calls to retry; the API's
// verifier refuses what it records.
func Example() {
	srv := signouttest.NewServer() // stands in for Cognito
	defer srv.Close()
	store := revocation.New()

	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithPool(srv.UserPoolID),
		signout.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	v, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	if err := client.SignOut(ctx, alice.AccessToken); err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(ctx, alice.AccessToken)
	fmt.Println("alice refused as revoked:", errors.Is(err, signout.ErrTokenRevoked))
	_, err = v.Verify(ctx, bob.AccessToken)
	fmt.Println("bob accepted:", err == nil)
	// Output:
	// alice refused as revoked: true
	// bob accepted: true
}

// A pool-wide record refuses every session of the pool begun at or before
// its At, as after a breach; sessions begun later are accepted.
func ExampleStore_Revoked() {
	store := revocation.New()
	ctx := context.Background()
	cutoff := mustTime("2026-12-07T10:00:00Z")
	if err := store.Revoke(ctx, signout.Revocation{UserPoolID: "eu-west-1_AbC123", At: cutoff}); err != nil {
		log.Fatal(err)
	}
	before, _ := store.Revoked("eu-west-1_AbC123", "alice", "session-1", cutoff.Add(-time.Hour))
	after, _ := store.Revoked("eu-west-1_AbC123", "alice", "session-2", cutoff.Add(time.Minute))
	other, _ := store.Revoked("us-east-1_Other", "alice", "session-1", cutoff.Add(-time.Hour))
	fmt.Println(before, after, other)
	// Output:
	// true false false
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
