package redisstore_test

import (
	"context"
	"encoding/hex"
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/redisstore"
	"github.com/cognitogo/signout/verify"
)

// Every API server of a fleet runs the same setup: a Store on the shared
// Redis, read by its verifier, and written by the Client that signs users
// out, which also keeps its outbox there and drains it. It has no Output
// line, as it needs a Redis server at 127.0.0.1:6379.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redisstore.New(ctx, rdb) // returns once every live record is loaded
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	v, err := verify.New(verify.WithPool("eu-west-1_AbC123", "1example23456789"), verify.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}
	// Every process seals the outbox's entries with the same 32-byte key,
	// kept with the application's other secrets.
	key, err := hex.DecodeString(os.Getenv("SIGNOUT_OUTBOX_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	client, err := signout.New(signout.WithPool("eu-west-1_AbC123"), signout.WithRevocationStore(store), signout.WithOutboxKey(key))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // stops draining the outbox; other processes carry on

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.Handle("/api/", v.Middleware(api)) // a token signed out on any server is refused here
	_ = client                              // its SignOut and Logout record each sign-out in store, and queue there what Cognito did not confirm
}
