// Package signout signs a user out of Amazon Cognito everywhere at once.
//
// It wraps Cognito's GlobalSignOut operation (the aws CLI's
// "cognito-idp global-sign-out"), which revokes every access, ID and refresh
// token Cognito issued to the user who owns the given access token:
//
//	c, err := signout.New()
//	if err != nil {
//		return err
//	}
//	err = c.SignOut(ctx, accessToken)
//
// No AWS credentials are needed: the access token alone authorizes the call,
// and the request is sent unsigned. The region is taken from the token's iss
// claim unless [WithRegion] sets one, so one [Client] serves pools in every
// region. A Client is safe for concurrent use; share one per process.
//
// # Errors
//
// Every error [Client.SignOut] returns is an [*Error] carrying Cognito's code,
// its message (redacted), the request id and the HTTP status, and matching
// one sentinel with errors.Is: [ErrTokenRevoked], [ErrTokenExpired],
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
// The access token is a secret: it never appears in an error's text, in
// %v, %+v or %#v, in the SDK errors reachable through errors.As, or in log
// output, even when a server echoes it back.
//
// # Local checks
//
// Before any request, SignOut checks the token: an empty, malformed or
// oversized value, or an ID token, is [ErrInvalidToken]; a token without the
// aws.cognito.signin.user.admin scope is [ErrMissingScope]; a token expired
// for longer than the leeway ([WithExpiryLeeway]) is [ErrTokenExpired]. Such a
// token is refused without a request. The signature is not checked locally;
// Cognito checks it. [WithTokenChecks](false) sends every non-empty token.
//
// # Options
//
// [New] takes options for each setting of the aws CLI command: [WithRegion],
// [WithEndpoint], [WithProfile], [WithCABundle], [WithInsecureSkipVerify],
// [WithConnectTimeout], [WithReadTimeout], [WithLogger] (debug logging); and
// for a request path: [WithTimeout] bounding a whole call, retries
// ([WithRetryMaxAttempts], [WithAdaptiveRetry]), [WithMaxConnsPerHost],
// [WithHTTPClient] for proxies and custom transports, [WithAWSConfig] to reuse
// an application's aws.Config, and [WithAPI] to inject an SDK client or a
// mock. The defaults suit a logout handler: see [DefaultTimeout] and its
// neighbours. New reports a bad option as an error matching
// [ErrInvalidOption] that names the option.
//
// # Complete logout
//
// [Client.EndSession] finishes a logout: GlobalSignOut when the access token
// can still call it, otherwise [Client.RevokeToken] on the refresh token
// (which needs [WithClientID]). [Client.AdminSignOut] signs a user out by
// name with IAM credentials, loaded on first use. [LogoutURL] builds the
// managed-login logout URL. Package signouthttp serves a logout endpoint.
//
// # Testing
//
// Code that signs users out should depend on the [Signer] interface. Package
// signouttest provides a fake Signer for unit tests and an in-process Cognito
// stand-in that issues real tokens and revokes them, for integration tests
// that need no AWS account.
package signout
