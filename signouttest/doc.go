// Package signouttest provides test doubles for code that uses signout, for
// tests and examples only.
//
// [Signer], [Ender] and [AdminSigner] are fakes of signout's interfaces for
// unit tests of code that signs users out: they record calls and return
// scripted errors.
//
// [Server] is an in-process stand-in for Amazon Cognito's user pool API on a
// loopback httptest server. It speaks AWS JSON 1.1, issues real RS256-signed
// tokens, and implements GlobalSignOut, GetUser, InitiateAuth
// (REFRESH_TOKEN_AUTH), RevokeToken and AdminUserGlobalSignOut with the
// error codes and messages Cognito uses, so that a test can sign a user out
// through the real SDK and then see their tokens refused. Faults (throttling, 5xx, HTML pages, stalls, resets) can be
// injected per operation.
//
//	srv := signouttest.NewServer()
//	defer srv.Close()
//	tokens := srv.SignIn("alice")
//	c, _ := signout.New(signout.WithEndpoint(srv.URL))
//	err := c.SignOut(ctx, tokens.AccessToken)
//
// Like net/http/httptest, constructors panic when they cannot start a
// server; methods panic when misused, and say so.
package signouttest
