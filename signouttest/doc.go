// Package signouttest provides test doubles for code that uses signout, for
// tests and examples only.
//
// [Signer] is a fake of signout's Signer for unit tests of code that signs
// users out: it records calls and returns scripted errors.
//
// [Server] is an in-process stand-in for one Amazon Cognito user pool on a
// loopback httptest server. It speaks AWS JSON 1.1, issues RS256-signed
// tokens whose claims are Cognito's (jti, origin_jti, auth_time kept across
// refreshes, ...) and serves their JWKS, and implements GlobalSignOut,
// GetUser, InitiateAuth (REFRESH_TOKEN_AUTH), RevokeToken,
// AdminUserGlobalSignOut and ListUsers with the error codes and messages
// Cognito uses, so that a test can sign a user out through the real SDK and
// then see their tokens refused.
//
//	srv := signouttest.NewServer()
//	defer srv.Close()
//	tokens := srv.SignIn("alice")
//	c, _ := signout.New(signout.WithEndpoint(srv.URL))
//	err := c.SignOut(ctx, tokens.AccessToken)
//
// [Server.Client] is an SDK client for the stand-in, IAM-signed for the
// admin operations.
//
// # Users
//
// [Server.SignIn] makes a user and a session; [Server.AddUser] makes users
// cheaply, with attributes, for ListUsers and pool-wide sign-outs.
// ListUsers takes Limit (at most 60), PaginationToken (opaque; users come in
// the order they were made), AttributesToGet, and a Filter of the form
// `attribute = "value"` (exact) or `attribute ^= "value"` (prefix) on
// username, email, phone_number, name, given_name, family_name,
// preferred_username, cognito:user_status (case-insensitive), status
// ("Enabled" or "Disabled") or sub. Another attribute answers
// InvalidParameterException "Invalid search attribute: NAME", another form
// "Error while parsing filter.".
//
// # Quotas
//
// With [Quotas] the server throttles requests beyond Cognito's request rate
// quotas, scaled, per category; [Server.QuotaUsage] counts what it served
// and throttled. Without it nothing is throttled.
//
// # Faults
//
// [Server.InjectFault] makes the server fail for some requests in a
// [FaultMode] such as an error reply, a proxy's page, a stall or a reset.
//
// Like net/http/httptest, NewServer panics when it cannot start a server,
// and methods and options panic when misused, saying so.
package signouttest
