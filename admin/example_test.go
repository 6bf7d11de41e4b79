package admin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/signouttest"
)

// A sweep of every user of a pool, against the stand-in. In production the
// aws.Config comes from config.LoadDefaultConfig(ctx), and no endpoint is set.
func ExampleClient_SignOutAll() {
	srv := signouttest.NewServer()
	defer srv.Close()
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(u, nil)
	}
	dir, _ := os.MkdirTemp("", "sweep")
	defer os.RemoveAll(dir)

	cfg := aws.Config{Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", "")}
	c, err := admin.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{
		Checkpoint: filepath.Join(dir, "sweep.json"), // run again with the same file to resume
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("complete: %v; signed out %d, skipped %d, failed %d\n", report.Complete, report.Done, report.Skipped, report.Failed)
	// Output: complete: true; signed out 3, skipped 0, failed 0
}

func ExampleClient_SignOut() {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.AddUser("alice", nil)
	cfg := aws.Config{Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", "")}
	c, _ := admin.New(cfg)

	fmt.Println(c.SignOut(context.Background(), srv.UserPoolID, "alice"))
	err := c.SignOut(context.Background(), srv.UserPoolID, "mallory")
	fmt.Println(errors.Is(err, signout.ErrUserNotFound))
	// Output:
	// <nil>
	// true
}
