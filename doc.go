// Package signout signs users out of Amazon Cognito, and makes the sign-out
// hold at the application's own API too.
//
// [Client.SignOut] wraps Cognito's GlobalSignOut (the aws CLI's
// "cognito-idp global-sign-out"), which revokes every access, ID and refresh
// token Cognito issued to the user who owns the given access token:
//
//	c, err := signout.New()
//	if err != nil {
//		return err
//	}
//	err = c.SignOut(ctx, accessToken)
//
// No AWS credentials are needed: the tokens alone authorize the calls, which
// are sent unsigned. The region is taken from the token's iss claim unless
// [WithRegion] sets one, so one [Client] serves pools in every region;
// [WithReplicaRegions] lets a call for a replicated pool fail over to the
// next region. A Client is safe for concurrent use; share one per process.
//
// # Logout
//
// A logout button usually means this device only; [Client.Logout] takes the
// session's tokens and says how far to go, [ThisSession] (Cognito's
// RevokeToken, which needs [WithAppClient]) or [AllSessions] (GlobalSignOut),
// falls back when the preferred call cannot be made, and reports how far it
// went. Package signouthttp serves a logout endpoint built on it.
//
// # Errors
//
// Every error a Client returns is an [*Error] carrying Cognito's code, its
// message (redacted), the request id and the HTTP status, and matching one
// sentinel with errors.Is: [ErrTokenRevoked], [ErrTokenExpired],
// [ErrInvalidToken] and [ErrMissingScope] (all of which also match
// [ErrNotAuthorized]), [ErrThrottled], [ErrService], [ErrNetwork],
// [ErrTimeout] and the rest. [Error.Retryable] tells whether trying again may
// help. Cancelling the context also matches context.Canceled.
//
//	switch err := c.SignOut(ctx, tok); {
//	case err == nil, errors.Is(err, signout.ErrTokenRevoked):
//		// signed out, now or before
//	case errors.Is(err, signout.ErrNotAuthorized):
//		// the token cannot sign anyone out: expired, invalid, wrong scope
//	default:
//		// Cognito unreachable or failing: see err.(*signout.Error).Retryable()
//	}
//
// Tokens and the client secret are secrets: they never appear in an error's
// text, in any fmt verb, in anything reachable from an error (the SDK's
// error chain is copied without its request, response or body), or in log
// output, even when a server echoes them back.
//
// # Local checks
//
// Before any request, an access token is checked: an empty, malformed or
// oversized value, or an ID token, is [ErrInvalidToken]; a token without the
// aws.cognito.signin.user.admin scope is [ErrMissingScope]; a token expired
// for longer than the leeway ([WithExpiryLeeway]) is [ErrTokenExpired]. Such
// a token is refused without a request. The signature is not checked here;
// Cognito checks it, and so does package verify.
//
// # Options
//
// [New] takes an option for each setting of the aws CLI command:
// [WithRegion], [WithEndpoint], [WithProfile], [WithCABundle],
// [WithConnectTimeout], [WithReadTimeout], [WithLogger] (its --debug); and
// for a request path: [WithTimeout] bounding a whole call,
// [WithRetryMaxAttempts], [WithHTTPClient] for proxies and custom transports,
// [WithAWSConfig] to reuse an application's aws.Config (its RetryMode
// included), and [WithCognitoAPI] to inject an SDK client or a mock. The
// defaults suit a logout handler. New reports a bad option as an [*Error]
// matching [ErrInvalidOption] whose Op names the option.
//
// # Sign-outs at your own API
//
// An API that verifies Cognito's JWTs locally accepts a signed-out token
// until it expires, up to a day. Give the Client a [RevocationStore] with
// [WithRevocationStore], and the verifier of package verify the same store:
// every sign-out the Client makes is recorded as a [Revocation], and the
// verifier refuses the tokens it covers at once. Package revocation keeps
// the records in memory for one process; the redisstore module shares them
// across a fleet.
//
// # Testing
//
// Code that signs users out should depend on the [Signer] interface. Package
// signouttest provides a FakeSigner for unit tests and an in-process Cognito
// stand-in that issues real tokens and revokes them, for tests that need no
// AWS account.
package signout
