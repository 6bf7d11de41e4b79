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
// [ErrTimeout], [ErrQueued] and the rest. [Error.Retryable] tells whether
// trying again may help. Cancelling the context also matches
// context.Canceled.
//
//	switch err := c.SignOut(ctx, tok); {
//	case err == nil, errors.Is(err, signout.ErrTokenRevoked):
//		// signed out, now or before
//	case errors.Is(err, signout.ErrQueued):
//		// signed out at your API; Cognito will be told
//	case errors.Is(err, signout.ErrNotAuthorized):
//		// the token cannot sign anyone out: expired, invalid, wrong scope
//	default:
//		// not done: see err.(*signout.Error).Retryable()
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
// a token is refused without a request. With [WithPool], a token of a pool
// it does not name, or whose RS256 signature its pool's JWKS does not
// vouch for, is [ErrInvalidToken] too; the JWKS is fetched once per pool
// through the Client's own transport, with the code package verify uses.
// Without WithPool the signature is left to Cognito.
//
// # Options
//
// [New] takes an option for each setting of the aws CLI command:
// [WithRegion], [WithEndpoint], [WithProfile], [WithCABundle],
// [WithConnectTimeout], [WithReadTimeout], [WithLogger] (its --debug); and
// for a request path: [WithTimeout] bounding a whole call,
// [WithRetryMaxAttempts], [WithHTTPClient] for proxies and custom transports,
// [WithAWSConfig] to reuse an application's aws.Config (its RetryMode
// included), and [WithCognitoAPI] to inject an SDK client or a mock; for
// sign-outs that hold at your API: [WithPool], [WithRevocationStore],
// [WithOutboxKey], [WithOutboxRate], [WithAdmin] and
// [WithRefreshTokenValidity]. The defaults suit a logout handler. New
// reports a bad option, or one missing an option it needs, as an [*Error]
// matching [ErrInvalidOption] whose Op names the option.
//
// # Sign-outs at your own API
//
// An API that verifies Cognito's JWTs locally accepts a signed-out token
// until it expires, up to a day. Name your pools with [WithPool], give the
// Client a [RevocationStore] with [WithRevocationStore], and the verifier
// of package verify the same store. A sign-out whose access token's
// signature verified is recorded as a [Revocation] first, before Cognito
// is asked and whatever it answers (a retry records it again): the session
// by its origin_jti for [ThisSession], every session of the user for
// [AllSessions] and [Client.SignOut]. The verifier refuses the tokens a
// record covers at once. Package revocation keeps the records in memory
// for one process; the redisstore module shares them across a fleet.
//
// # Carried to Cognito
//
// With a store, a Cognito call that fails for a passing reason (throttled,
// a 5xx, a timeout, no network) after its sessions were recorded is kept
// in the store's outbox, and the call returns an error matching
// [ErrQueued]: the user is signed out at your API, and the Client retries
// the call in the background, paced below Cognito's quotas
// ([WithOutboxRate]), until Cognito confirms. Close the Client to stop it.
// What an entry holds is sealed with AES-256-GCM ([WithOutboxKey]): no
// token, and no user id, is stored in the clear. [WithAdmin] lets the
// Client sign a user out with AWS credentials where the access token
// cannot: one without the admin scope (managed login's), or one that
// expired while waiting. An entry is given up, and logged at
// slog.LevelError, when nothing more can be tried: Cognito refused the
// call for good (the app client's secret, the pool gone), the access token
// expired and there is no WithAdmin, or [WithRefreshTokenValidity] has
// passed since the sign-out, when no refresh token it would end can still
// be used. So the result of a sign-out says one of three things:
//
//   - nil: ended at Cognito, and recorded.
//   - [ErrQueued]: recorded at your API, and on its way to Cognito.
//   - any other error: not done (or, with Op "RevocationStore" or
//     "JWKS", ended at Cognito but not recorded): retry when
//     [Error.Retryable] says so.
//
// # Operating the outbox
//
// [Client.OutboxStats] returns the outbox's depth and its oldest entry's
// age (over every Client sharing it), and what this Client queued,
// completed, retried and gave up on; [WithLogger] logs each of these at
// Info, and each give-up at Error. Alert when the oldest entry is older
// than a few minutes (Cognito unreachable, or its quota taken by other
// calls), when the depth keeps growing, and on any entry given up.
//
// # Testing
//
// Code that signs users out should depend on the [Signer] interface. Package
// signouttest provides a FakeSigner for unit tests and an in-process Cognito
// stand-in that issues real tokens and revokes them, for tests that need no
// AWS account, and checks a RevocationStore of your own against the
// interface's contract (signouttest.TestRevocationStore).
package signout
