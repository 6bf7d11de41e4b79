// Package cognito is the machinery signout's public packages share to call
// Cognito: the sentinel errors, the fields of the error they return, the
// mapping of an SDK outcome to that error, the retry policy that follows
// from it, and the runner that bounds a call and logs its attempts.
package cognito

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

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/transport"
)

// sentinel is the type of the package's sentinel errors. It knows the name
// of the variable that holds it, for %#v, and the broader sentinel it is a
// case of, for errors.Is.
type sentinel struct {
	name   string
	text   string
	parent error
}

func (s *sentinel) Error() string    { return "signout: " + s.text }
func (s *sentinel) Unwrap() error    { return s.parent }
func (s *sentinel) GoString() string { return "signout." + s.name }

// Sentinels lists every sentinel, in declaration order.
var Sentinels []error

func newSentinel(name, text string, parent error) error {
	s := &sentinel{name: name, text: text, parent: parent}
	Sentinels = append(Sentinels, s)
	return s
}

// The sentinels; package signout re-exports each under the same name and
// documents it.
var (
	ErrNotAuthorized       = newSentinel("ErrNotAuthorized", "not authorized", nil)
	ErrTokenRevoked        = newSentinel("ErrTokenRevoked", "token has been revoked", ErrNotAuthorized)
	ErrTokenExpired        = newSentinel("ErrTokenExpired", "token has expired", ErrNotAuthorized)
	ErrInvalidToken        = newSentinel("ErrInvalidToken", "invalid token", ErrNotAuthorized)
	ErrMissingScope        = newSentinel("ErrMissingScope", "token lacks a required scope", ErrNotAuthorized)
	ErrUserNotFound        = newSentinel("ErrUserNotFound", "user not found", nil)
	ErrResourceNotFound    = newSentinel("ErrResourceNotFound", "resource not found", nil)
	ErrForbidden           = newSentinel("ErrForbidden", "request forbidden", nil)
	ErrThrottled           = newSentinel("ErrThrottled", "request throttled", nil)
	ErrInvalidParameter    = newSentinel("ErrInvalidParameter", "invalid parameter", nil)
	ErrOperationNotEnabled = newSentinel("ErrOperationNotEnabled", "operation not enabled", nil)
	ErrService             = newSentinel("ErrService", "service error", nil)
	ErrNetwork             = newSentinel("ErrNetwork", "network error", nil)
	ErrTimeout             = newSentinel("ErrTimeout", "timed out", nil)
	ErrInvalidOption       = newSentinel("ErrInvalidOption", "invalid option", nil)
)

// Error holds the fields of signout.Error, which has the same fields and so
// converts from it: (*signout.Error)(e). Every string in it is redacted.
type Error struct {
	Op         string
	Kind       error
	Code       string
	Message    string
	RequestID  string
	StatusCode int
	Attempts   int
	Err        error
}

// Error returns one line naming the operation, the sentinel and the
// details that are known; signout.Error.Error returns it.
func (e *Error) Error() string {
	op := ""
	if e.Op != "" {
		op = e.Op + ": "
	}
	return "signout: " + op + e.Words() + e.Details()
}

// Words are the words of e's sentinel, such as "token has been revoked".
func (e *Error) Words() string {
	if s, ok := e.Kind.(*sentinel); ok {
		return s.text
	}
	if e.Kind != nil {
		return e.Kind.Error()
	}
	return "error"
}

// Details are what is known beyond the sentinel, in parentheses after a
// space, such as " (NotAuthorizedException: Access Token has been revoked;
// status 400; request id ...)", or "".
func (e *Error) Details() string {
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
	if len(details) == 0 {
		return ""
	}
	return " (" + strings.Join(details, "; ") + ")"
}

// MaxMessage bounds the length of a server's message kept in an Error.
const MaxMessage = 512

// Retryable reports whether the call that failed with e may succeed later;
// signout.Error.Retryable documents the rule, and the retryer follows it.
func Retryable(e *Error) bool {
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

// final reports whether err is a fault of the answer's kind that no retry
// mends: a refused TLS peer, a redirect, an oversized or encoded body.
func final(err error) bool {
	return isTLSRefusal(err) || errors.Is(err, transport.ErrRedirect) ||
		errors.Is(err, transport.ErrBodyTooLarge) || errors.Is(err, transport.ErrCompressed)
}

// FromSDK maps what an SDK call for op returned to an *Error. ctxErr is the
// call context's error; attempts is how many requests were sent, or -1 when
// they were not counted. err may hold a secret (Cognito and moto echo
// tokens): only redacted text and a sanitized copy of the chain are kept.
func FromSDK(op string, err, ctxErr error, attempts int, secrets ...string) *Error {
	e := &Error{Op: op, Err: redact.Error(err, secrets...), Attempts: attempts}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		e.StatusCode = status.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		e.RequestID = clip(redact.String(rid.ServiceRequestID(), secrets...))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = clip(redact.String(api.ErrorCode(), secrets...))
		e.Message = clip(redact.String(api.ErrorMessage(), secrets...))
	} else {
		e.Message = clip(redact.String(reason(err), secrets...))
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

// clip bounds a server's text kept in an error.
func clip(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	return strings.ToValidUTF8(s[:MaxMessage], "") + "..."
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
