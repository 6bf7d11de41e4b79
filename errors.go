package signout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/transport"
)

// Sentinel errors. Every error the packages of this module return is an
// *Error that matches one of these with errors.Is. The token problems
// (ErrTokenRevoked, ErrTokenExpired, ErrInvalidToken, ErrMissingScope) also
// match ErrNotAuthorized.
var (
	// ErrNotAuthorized is Cognito's NotAuthorizedException: the token was
	// refused. It also stands for UserNotConfirmedException and
	// PasswordResetRequiredException, whose Code the Error keeps.
	ErrNotAuthorized = newSentinel("ErrNotAuthorized", "not authorized", nil)
	// ErrTokenRevoked means the token was already signed out.
	ErrTokenRevoked = newSentinel("ErrTokenRevoked", "token has been revoked", ErrNotAuthorized)
	// ErrTokenExpired means the token is past its expiry.
	ErrTokenExpired = newSentinel("ErrTokenExpired", "token has expired", ErrNotAuthorized)
	// ErrInvalidToken means the value is not a usable token of the kind the
	// call takes (UnsupportedTokenTypeException included).
	ErrInvalidToken = newSentinel("ErrInvalidToken", "invalid token", ErrNotAuthorized)
	// ErrMissingScope means the token lacks a scope the call requires, such
	// as aws.cognito.signin.user.admin for GlobalSignOut.
	ErrMissingScope = newSentinel("ErrMissingScope", "token lacks a required scope", ErrNotAuthorized)
	// ErrUserNotFound is Cognito's UserNotFoundException.
	ErrUserNotFound = newSentinel("ErrUserNotFound", "user not found", nil)
	// ErrResourceNotFound is Cognito's ResourceNotFoundException, such as an
	// unknown user pool or app client.
	ErrResourceNotFound = newSentinel("ErrResourceNotFound", "resource not found", nil)
	// ErrForbidden means the caller was refused: AWS WAF
	// (ForbiddenException), IAM, or the app client's id or secret
	// (UnauthorizedException).
	ErrForbidden = newSentinel("ErrForbidden", "request forbidden", nil)
	// ErrThrottled is Cognito's TooManyRequestsException, or any HTTP 429,
	// after the retries ran out.
	ErrThrottled = newSentinel("ErrThrottled", "request throttled", nil)
	// ErrInvalidParameter is Cognito's InvalidParameterException or another
	// refusal of the request's shape.
	ErrInvalidParameter = newSentinel("ErrInvalidParameter", "invalid parameter", nil)
	// ErrOperationNotEnabled means the operation is turned off for the pool
	// or app client, such as token revocation (UnsupportedOperationException).
	ErrOperationNotEnabled = newSentinel("ErrOperationNotEnabled", "operation not enabled", nil)
	// ErrService is a fault on the far side: Cognito's InternalErrorException,
	// an HTTP 5xx, an answer that is not Cognito's (a proxy's page, a
	// redirect, an oversized or compressed body), or a failing
	// RevocationStore.
	ErrService = newSentinel("ErrService", "service error", nil)
	// ErrNetwork means no answer could be had: connection refused or reset,
	// DNS or TLS failure.
	ErrNetwork = newSentinel("ErrNetwork", "network error", nil)
	// ErrTimeout means a connect, read or whole-call timeout ran out. When a
	// context deadline caused it, it also matches context.DeadlineExceeded.
	ErrTimeout = newSentinel("ErrTimeout", "timed out", nil)
	// ErrInvalidOption means the Client is not configured for the call: a
	// bad Option given to New (Error.Op names it), no region anywhere, or
	// no app client for revoking a refresh token.
	ErrInvalidOption = newSentinel("ErrInvalidOption", "invalid option", nil)
	// ErrQueued means the sign-out holds at the application's API and is on
	// its way to Cognito: the sessions were recorded in the
	// RevocationStore, and the Cognito call, which failed for a passing
	// reason (throttling, a fault, a timeout, no network), waits in the
	// Outbox, from which the Client retries it until Cognito confirms. The
	// user may be told they are signed out. The Error keeps Cognito's
	// answer (Code, Message, RequestID, StatusCode) and the cause in Err;
	// it matches no other sentinel and is not Retryable.
	ErrQueued = newSentinel("ErrQueued", "recorded, and queued for Cognito", nil)
)

// sentinel is the type of the sentinel errors. It knows the name of the
// variable that holds it, for %#v, and the broader sentinel it is a case
// of, for errors.Is.
type sentinel struct {
	name   string
	text   string
	parent error
}

func (s *sentinel) Error() string    { return "signout: " + s.text }
func (s *sentinel) Unwrap() error    { return s.parent }
func (s *sentinel) GoString() string { return "signout." + s.name }

// sentinels lists every sentinel, in declaration order.
var sentinels []error

func newSentinel(name, text string, parent error) error {
	s := &sentinel{name: name, text: text, parent: parent}
	sentinels = append(sentinels, s)
	return s
}

// Error is the error the packages of this module return. Its fields are
// safe to print and log: tokens and secrets are redacted from every one of
// them, and from every error reachable through Unwrap, even when Cognito or
// a proxy echoed them.
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
// details that are known, such as "signout: GlobalSignOut: token has been
// revoked (NotAuthorizedException: Access Token has been revoked; status
// 400; request id ...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("signout: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	switch s, ok := e.Kind.(*sentinel); {
	case ok:
		b.WriteString(s.text)
	case e.Kind != nil:
		b.WriteString(e.Kind.Error())
	default:
		b.WriteString("error")
	}
	var details []string
	switch {
	case e.Code != "" && e.Message != "":
		details = append(details, e.Code+": "+e.Message)
	case e.Code != "":
		details = append(details, e.Code)
	case e.Message != "":
		details = append(details, e.Message)
	}
	if e.StatusCode != 0 {
		details = append(details, "status "+strconv.Itoa(e.StatusCode))
	}
	if e.RequestID != "" {
		details = append(details, "request id "+e.RequestID)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, "; ") + ")")
	}
	return b.String()
}

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
func (e *Error) Retryable() bool {
	switch e.Kind {
	case ErrThrottled, ErrTimeout:
		return true
	case ErrNetwork:
		return !final(e.Err)
	case ErrService:
		// A status outside 5xx that Cognito does not document will not
		// change on retry.
		return !final(e.Err) && (e.StatusCode == 0 || e.StatusCode >= 500)
	}
	return false
}

func init() { cognito.Errors = mapper{} }

// mapper turns what the SDK returned into an *Error for the Cognito calls
// of every package of the module (see internal/cognito).
type mapper struct{}

// FromSDK maps what an SDK call for op returned to an *Error. ctxErr is the
// call context's error; attempts is how many requests were sent, or -1 when
// they were not counted. err may hold a secret (Cognito and moto echo
// tokens): only redacted text and a sanitized copy of the chain are kept.
func (mapper) FromSDK(op string, err, ctxErr error, attempts int, secrets ...string) error {
	if errors.Is(err, cognito.ErrNoRegion) {
		return &Error{Op: op, Kind: ErrInvalidOption,
			Message: "no region: use WithRegion or AWS_REGION, or a token whose iss names one"}
	}
	e := &Error{Op: op, Err: redact.Error(err, secrets...), Attempts: attempts}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		e.StatusCode = status.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		e.RequestID = cognito.Clip(redact.String(rid.ServiceRequestID(), secrets...))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = cognito.Clip(redact.String(api.ErrorCode(), secrets...))
		e.Message = cognito.Clip(redact.String(api.ErrorMessage(), secrets...))
	} else {
		e.Message = cognito.Clip(redact.String(reason(err), secrets...))
	}
	if attempts < 0 {
		e.Attempts = 1
		var ma *retry.MaxAttemptsError
		if errors.As(err, &ma) {
			e.Attempts = ma.Attempt
		}
	}
	e.Kind = kindOf(err, api, ctxErr)
	if ctxErr != nil {
		// The caller's context ended: say so, whatever the SDK made of it.
		e.Err, e.Message = ctxErr, ctxErr.Error()
	}
	return e
}

// Retryable applies Error.Retryable's rule to err, an *Error or an error
// the SDK returned for one attempt.
func (mapper) Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	var api smithy.APIError
	errors.As(err, &api)
	e = &Error{Kind: kindOf(err, api, nil), Err: err}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		e.StatusCode = hs.HTTPStatusCode()
	}
	return e.Retryable()
}

// Regional reports whether err, an *Error, is a failure of the region the
// call went to, which another region of the user pool may not share: no
// answer or a timeout (retries included), a fault on Cognito's side, or
// Cognito's OperationNotEnabledException, "not available in the current
// region". Throttling and token, parameter and configuration errors are
// answers the next region would repeat, or should not be asked for.
func (mapper) Regional(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case ErrNetwork, ErrTimeout, ErrService:
		return e.Retryable()
	case ErrOperationNotEnabled:
		return e.Code == "OperationNotEnabledException"
	}
	return false
}

// final reports whether err is a fault of the answer's kind that no retry
// mends: a refused TLS peer, a redirect, an oversized or encoded body.
func final(err error) bool {
	return isTLSRefusal(err) || errors.Is(err, transport.ErrRedirect) ||
		errors.Is(err, transport.ErrBodyTooLarge) || errors.Is(err, transport.ErrCompressed)
}

// kindOf classifies err; api is its Cognito error, if any, and ctxErr the
// call context's error, which wins.
func kindOf(err error, api smithy.APIError, ctxErr error) error {
	status := 0
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		status = hs.HTTPStatusCode()
	}
	switch {
	case errors.Is(ctxErr, context.Canceled), ctxErr == nil && errors.Is(err, context.Canceled):
		return context.Canceled
	case ctxErr != nil:
		return ErrTimeout
	case api != nil:
		return kindForCode(api.ErrorCode(), api.ErrorMessage(), status)
	case status == http.StatusTooManyRequests:
		return ErrThrottled
	}
	return kindForTransport(err)
}

// kindForTransport classifies an error that carries no Cognito error code.
func kindForTransport(err error) error {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ErrTimeout
	case errors.Is(err, transport.ErrRedirect), errors.Is(err, transport.ErrBodyTooLarge), errors.Is(err, transport.ErrCompressed):
		return ErrService
	case isTransport(err):
		return ErrNetwork
	}
	return ErrService
}

// isTransport reports whether err means the request got no HTTP answer.
func isTransport(err error) bool {
	var send *smithyhttp.RequestSendError
	var urlErr *url.Error
	var opErr *net.OpError
	return errors.As(err, &send) || errors.As(err, &urlErr) || errors.As(err, &opErr)
}

// isTLSRefusal reports whether the TLS handshake failed on the peer's
// certificate, or with an alert from the peer (crypto/tls reports those as a
// *net.OpError whose Op is "remote error"), which no retry will change.
func isTLSRefusal(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// reason picks the most telling text of an error without a Cognito code:
// the transport's own words without the SDK's wrapping.
func reason(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		return urlErr.Err.Error()
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return de.Error()
	}
	return err.Error()
}

// kindForCode maps a Cognito error code, and for NotAuthorizedException its
// message, to a sentinel. Token errors are never retried, whatever the
// status; a 429 is throttling even without a code.
func kindForCode(code, message string, status int) error {
	switch code {
	case "NotAuthorizedException":
		m := strings.ToLower(message)
		switch {
		case strings.Contains(m, "revoked"):
			return ErrTokenRevoked
		case strings.Contains(m, "expired"):
			return ErrTokenExpired
		case strings.Contains(m, "required scope"):
			return ErrMissingScope
		case strings.Contains(m, "invalid access token"), strings.Contains(m, "invalid refresh token"):
			return ErrInvalidToken
		}
		return ErrNotAuthorized
	case "UserNotConfirmedException", "PasswordResetRequiredException":
		return ErrNotAuthorized
	case "UnsupportedTokenTypeException":
		return ErrInvalidToken
	case "TooManyRequestsException", "ThrottlingException", "LimitExceededException", "RequestLimitExceeded":
		return ErrThrottled
	case "RequestTimeoutException":
		return ErrTimeout
	case "InvalidParameterException", "ValidationException", "SerializationException":
		return ErrInvalidParameter
	case "ResourceNotFoundException":
		return ErrResourceNotFound
	case "UserNotFoundException":
		return ErrUserNotFound
	case "OperationNotEnabledException", "UnsupportedOperationException":
		return ErrOperationNotEnabled
	case "ForbiddenException", "AccessDeniedException", "UnauthorizedException",
		"UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
		"IncompleteSignature", "ExpiredTokenException":
		return ErrForbidden
	}
	if status == http.StatusTooManyRequests {
		return ErrThrottled
	}
	return ErrService
}
