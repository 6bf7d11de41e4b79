// Package signouttest provides test doubles for code that uses signout, for
// tests and examples only.
//
// [FakeSigner] is a fake signout.Signer that records calls and returns scripted errors.
//
// [Server] is an in-process stand-in for one Amazon Cognito user pool on a
// loopback httptest server. It answers GlobalSignOut, GetUser, InitiateAuth
// (refresh flows), RevokeToken, AdminUserGlobalSignOut and ListUsers in AWS
// JSON 1.1 with Cognito's errors, and issues RS256-signed tokens with
// Cognito's claims, so that a test can sign a user out through the real
// SDK and then see their tokens refused:
//
//	srv := signouttest.NewServer()
//	defer srv.Close()
//	tokens := srv.SignIn("alice")
//	c, _ := signout.New(signout.WithEndpoint(srv.URL))
//	err := c.SignOut(ctx, tokens.AccessToken)
//
// Tokens carry the pool's ORIGINAL issuer, or its UPDATED one with
// [UpdatedIssuer]. [Server.Replica] starts a replica of the pool in another
// region, as Cognito's multi-Region replication does, [Server.SetDown] plays
// an outage of a region, and [Server.HTTPClient] sends each request for
// Cognito's endpoint in a region of the pool to the server there, so that a
// test sees a call reach the region it should, and fail over:
//
//	replica := srv.Replica("eu-west-1")
//	c, _ := signout.New(signout.WithHTTPClient(srv.HTTPClient()),
//		signout.WithReplicaRegions(srv.UserPoolID, replica.Region))
//	srv.SetDown(true)
//	err := c.SignOut(ctx, tokens.AccessToken) // signed out at the replica
//
// [ALB] is a stand-in Application Load Balancer in front of an
// http.Handler, signing users in with a Server's pool through a stand-in
// managed login, and forwarding their requests with the headers AWS
// documents (x-amzn-oidc-data signed with ES256 by a key its key endpoint
// serves): for package alb, signouthttp.WithALB and the applications
// using them.
//
// [TestRevocationStore] checks a signout.RevocationStore, such as one of
// your own on another database, against the contract that interface
// documents, clause by clause, as testing/fstest.TestFS checks an fs.FS.
//
// ListUsers pages hold at most 60 users, in the order they were made; its
// Filter is `attribute = "value"` or `attribute ^= "value"` (a prefix) on
// username, email, phone_number, name, given_name, family_name,
// preferred_username, cognito:user_status (case-insensitive), status
// ("Enabled" or "Disabled") or sub.
//
// Like net/http/httptest, NewServer panics when it cannot start a server,
// and the package's functions panic when misused, saying so.
package signouttest
