package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/redisstore"
	"github.com/cognitogo/signout/verify"
)

// Every API server of a fleet runs the same setup: a Store on the shared
// Redis, read by its verifier, and written by the Client that signs users
// out. It has no Output line, as it needs a Redis server at 127.0.0.1:6379.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
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
	client, err := signout.New(signout.WithPool("eu-west-1_AbC123"), signout.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.Handle("/api/", v.Middleware(api)) // a token signed out on any server is refused here
	_ = client                              // client.SignOut and client.Logout record each sign-out in store
}
