package signout

import (
	"errors"

	"github.com/cognitogo/signout/internal/cognito"
)

// Sentinel errors. Every error a Client returns is an *Error that matches
// one of these with errors.Is. The token problems (ErrTokenRevoked,
// ErrTokenExpired, ErrInvalidToken, ErrMissingScope) also match
// ErrNotAuthorized.
var (
	// ErrNotAuthorized is Cognito's NotAuthorizedException: the token was
	// refused. It also stands for UserNotConfirmedException and
	// PasswordResetRequiredException, whose Code the Error keeps.
	ErrNotAuthorized = cognito.ErrNotAuthorized
	// ErrTokenRevoked means the token was already signed out.
	ErrTokenRevoked = cognito.ErrTokenRevoked
	// ErrTokenExpired means the token is past its expiry.
	ErrTokenExpired = cognito.ErrTokenExpired
	// ErrInvalidToken means the value is not a usable token of the kind the
	// call takes (UnsupportedTokenTypeException included).
	ErrInvalidToken = cognito.ErrInvalidToken
	// ErrMissingScope means the token lacks a scope the call requires, such
	// as aws.cognito.signin.user.admin for GlobalSignOut.
	ErrMissingScope = cognito.ErrMissingScope
	// ErrUserNotFound is Cognito's UserNotFoundException.
	ErrUserNotFound = cognito.ErrUserNotFound
	// ErrResourceNotFound is Cognito's ResourceNotFoundException, such as an
	// unknown user pool or app client.
	ErrResourceNotFound = cognito.ErrResourceNotFound
	// ErrForbidden means the caller was refused: AWS WAF
	// (ForbiddenException), IAM, or the app client's id or secret
	// (UnauthorizedException).
	ErrForbidden = cognito.ErrForbidden
	// ErrThrottled is Cognito's TooManyRequestsException, or any HTTP 429,
	// after the retries ran out.
	ErrThrottled = cognito.ErrThrottled
	// ErrInvalidParameter is Cognito's InvalidParameterException or another
	// refusal of the request's shape.
	ErrInvalidParameter = cognito.ErrInvalidParameter
	// ErrOperationNotEnabled means the operation is turned off for the pool
	// or app client, such as token revocation (UnsupportedOperationException).
	ErrOperationNotEnabled = cognito.ErrOperationNotEnabled
	// ErrService is a fault on the far side: Cognito's InternalErrorException,
	// an HTTP 5xx, an answer that is not Cognito's (a proxy's page, a
	// redirect, an oversized or compressed body), or a failing
	// RevocationStore.
	ErrService = cognito.ErrService
	// ErrNetwork means no answer could be had: connection refused or reset,
	// DNS or TLS failure.
	ErrNetwork = cognito.ErrNetwork
	// ErrTimeout means a connect, read or whole-call timeout ran out. When a
	// context deadline caused it, it also matches context.DeadlineExceeded.
	ErrTimeout = cognito.ErrTimeout
	// ErrInvalidOption means the Client is not configured for the call: a
	// bad Option given to New (Error.Op names it), no region anywhere, or
	// no app client for revoking a refresh token.
	ErrInvalidOption = cognito.ErrInvalidOption
)

// Error is the error a Client returns. Its fields are safe to print and log:
// tokens and secrets are redacted from every one of them, and from every
// error reachable through Unwrap, even when Cognito or a proxy echoed them.
type Error struct {
	// Op is the Cognito operation, such as "GlobalSignOut"; for
	// ErrInvalidOption from New, the option or environment variable at
	// fault, such as "WithEndpoint".
	Op string
	// Kind is the sentinel the error matches, such as ErrTokenRevoked, or
	// context.Canceled.
	Kind error
	// Code is Cognito's error code, such as "NotAuthorizedException"; empty
	// when the request got no Cognito answer or was refused locally.
	Code string
	// Message is Cognito's message or the local reason, redacted and at
	// most 512 bytes.
	Message string
	// RequestID is Cognito's request id, when an answer carried one.
	RequestID string
	// StatusCode is the HTTP status of the last answer, or 0 without one.
	StatusCode int
	// Attempts is how many requests were sent: 0 when none was.
	Attempts int
	// Err is the cause: a copy of the SDK's error chain (smithy.APIError,
	// *smithyhttp.ResponseError, ...) that keeps the types and the status
	// but no request, body or connection, or a net.Error, or the context's
	// error.
	Err error
}

// Error returns one line: the operation, the sentinel's words and the
// details that are known.
func (e *Error) Error() string { return (*cognito.Error)(e).Error() }

// Is reports whether target is e's Kind or a broader sentinel it is a case
// of, such as ErrNotAuthorized for ErrTokenRevoked.
func (e *Error) Is(target error) bool { return e.Kind != nil && errors.Is(e.Kind, target) }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same call may succeed later: true for
// throttling, timeouts, network faults and Cognito's 5xx faults; false for
// token, parameter and configuration problems, cancellation, a refused TLS
// certificate or version, a redirect, and an oversized, compressed or
// non-Cognito 4xx answer. The Client's own retries follow the same rule.
func (e *Error) Retryable() bool { return cognito.Retryable((*cognito.Error)(e)) }
