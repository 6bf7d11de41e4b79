package signout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
)

// Sentinel errors. Every error SignOut returns is an *Error that matches
// exactly one of these with errors.Is; the token problems (ErrTokenRevoked,
// ErrTokenExpired, ErrInvalidToken, ErrMissingScope) also match
// ErrNotAuthorized.
var (
	// ErrNotAuthorized is Cognito's NotAuthorizedException: the token was
	// refused. The more precise sentinels below match it too.
	ErrNotAuthorized = errors.New("signout: not authorized")
	// ErrTokenRevoked means the token was already signed out.
	ErrTokenRevoked = errors.New("signout: access token has been revoked")
	// ErrTokenExpired means the token is past its expiry.
	ErrTokenExpired = errors.New("signout: access token has expired")
	// ErrInvalidToken means the value is not a usable Cognito access token.
	ErrInvalidToken = errors.New("signout: invalid access token")
	// ErrMissingScope means the token lacks the aws.cognito.signin.user.admin scope.
	ErrMissingScope = errors.New("signout: access token lacks the aws.cognito.signin.user.admin scope")
	// ErrUserNotFound is Cognito's UserNotFoundException.
	ErrUserNotFound = errors.New("signout: user not found")
	// ErrUserNotConfirmed is Cognito's UserNotConfirmedException.
	ErrUserNotConfirmed = errors.New("signout: user is not confirmed")
	// ErrPasswordResetRequired is Cognito's PasswordResetRequiredException.
	ErrPasswordResetRequired = errors.New("signout: password reset required")
	// ErrResourceNotFound is Cognito's ResourceNotFoundException, such as an
	// unknown user pool.
	ErrResourceNotFound = errors.New("signout: resource not found")
	// ErrForbidden is Cognito's ForbiddenException (AWS WAF refused the request)
	// or an access-denied answer.
	ErrForbidden = errors.New("signout: request forbidden")
	// ErrThrottled is Cognito's TooManyRequestsException or another throttling
	// answer, after the retries ran out.
	ErrThrottled = errors.New("signout: request throttled")
	// ErrInvalidParameter is Cognito's InvalidParameterException or another
	// refusal of the request's shape.
	ErrInvalidParameter = errors.New("signout: invalid parameter")
	// ErrOperationNotEnabled is Cognito's OperationNotEnabledException.
	ErrOperationNotEnabled = errors.New("signout: operation not enabled")
	// ErrService is a fault on Cognito's side or an answer that is not Cognito's:
	// InternalErrorException, an HTTP 5xx, or a body that is not Cognito JSON.
	ErrService = errors.New("signout: Cognito service error")
	// ErrNetwork means no answer could be had: connection refused or reset,
	// DNS failure, TLS failure.
	ErrNetwork = errors.New("signout: network error")
	// ErrTimeout means a connect, read or overall timeout, or a context
	// deadline, ran out. Such errors also match context.DeadlineExceeded when
	// a deadline caused them.
	ErrTimeout = errors.New("signout: timed out")
	// ErrUnauthorizedClient is Cognito's UnauthorizedException: the app
	// client id or secret given for RevokeToken was not accepted.
	ErrUnauthorizedClient = errors.New("signout: app client not authorized")
	// ErrUnsupportedTokenType is Cognito's UnsupportedTokenTypeException: the
	// token given to RevokeToken is not a refresh token.
	ErrUnsupportedTokenType = errors.New("signout: unsupported token type")
	// ErrNoCredentials means AdminSignOut found no AWS credentials to sign
	// its request with.
	ErrNoCredentials = errors.New("signout: no AWS credentials")
	// ErrNoRegion means no region was configured and the token names none.
	ErrNoRegion = errors.New("signout: no region: use WithRegion or AWS_REGION, or a token whose iss names one")
	// ErrInvalidOption is matched by every error New returns for a bad Option.
	ErrInvalidOption = errors.New("signout: invalid option")
)

// Error is the error SignOut returns. Its text is built only from redacted
// fields: it never holds the access token, even when Cognito, or a proxy in
// front of it, echoed the token in the message, error code or request id.
type Error struct {
	// Op is the Cognito operation, such as "GlobalSignOut".
	Op string
	// Code is Cognito's error code, such as "NotAuthorizedException"; empty
	// when the request got no Cognito answer or was refused locally.
	Code string
	// Message is Cognito's message or the local reason, with secrets redacted.
	Message string
	// RequestID is Cognito's request id, when an answer carried one.
	RequestID string
	// StatusCode is the HTTP status of the last answer, or 0 without one.
	StatusCode int
	// Attempts is how many requests were sent: 0 for a locally refused token.
	Attempts int

	// Kind is the sentinel e matches, such as ErrTokenRevoked; handy in a
	// switch, and for building an *Error in a test double.
	Kind error

	cause error // sanitized: safe to print and to inspect with errors.As
	// permanent marks a network failure that retrying cannot mend: the TLS
	// peer's certificate or protocol version was refused.
	permanent bool
}

// Error returns one line naming the sentinel and the details that are known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("signout: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	kind := "error"
	if e.Kind != nil {
		kind = strings.TrimPrefix(e.Kind.Error(), "signout: ")
	}
	b.WriteString(kind)
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
		b.WriteString(" (")
		b.WriteString(strings.Join(details, "; "))
		b.WriteString(")")
	}
	return b.String()
}

// GoString keeps %#v as safe as Error: it prints the redacted fields only.
func (e *Error) GoString() string {
	return fmt.Sprintf("&signout.Error{Op:%q, Code:%q, Message:%q, RequestID:%q, StatusCode:%d, Attempts:%d, Kind:%s}",
		e.Op, e.Code, e.Message, e.RequestID, e.StatusCode, e.Attempts, sentinelName(e.Kind))
}

// Is reports whether target is e's sentinel, or ErrNotAuthorized for a token
// problem.
func (e *Error) Is(target error) bool {
	if e.Kind != nil && target == e.Kind {
		return true
	}
	return target == ErrNotAuthorized && isNotAuthorized(e.Kind)
}

// Unwrap returns the cause: an SDK error (smithy.APIError,
// *smithy.OperationError, ...), a net.Error, or a context error. Messages in
// it are redacted as in e.
func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether the same call may succeed later: true for
// throttling, service faults, network faults and timeouts; false for token,
// parameter and configuration problems, for cancellation, and for a TLS
// certificate or protocol version the client refused.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case ErrNetwork:
		return !e.permanent
	case ErrThrottled, ErrTimeout:
		return true
	case ErrService:
		// A 4xx answer Cognito does not document will not change on retry.
		return e.StatusCode < 400 || e.StatusCode >= 500
	}
	return false
}

var sentinelNames = map[error]string{
	ErrNotAuthorized: "signout.ErrNotAuthorized", ErrTokenRevoked: "signout.ErrTokenRevoked", ErrTokenExpired: "signout.ErrTokenExpired",
	ErrInvalidToken: "signout.ErrInvalidToken", ErrMissingScope: "signout.ErrMissingScope", ErrUserNotFound: "signout.ErrUserNotFound",
	ErrUserNotConfirmed: "signout.ErrUserNotConfirmed", ErrPasswordResetRequired: "signout.ErrPasswordResetRequired",
	ErrResourceNotFound: "signout.ErrResourceNotFound", ErrForbidden: "signout.ErrForbidden", ErrThrottled: "signout.ErrThrottled",
	ErrInvalidParameter: "signout.ErrInvalidParameter", ErrOperationNotEnabled: "signout.ErrOperationNotEnabled",
	ErrUnauthorizedClient: "signout.ErrUnauthorizedClient", ErrUnsupportedTokenType: "signout.ErrUnsupportedTokenType",
	ErrNoCredentials: "signout.ErrNoCredentials", ErrService: "signout.ErrService", ErrNetwork: "signout.ErrNetwork", ErrTimeout: "signout.ErrTimeout", ErrNoRegion: "signout.ErrNoRegion",
	context.Canceled: "context.Canceled",
}

func sentinelName(kind error) string {
	if name, ok := sentinelNames[kind]; ok {
		return name
	}
	return fmt.Sprintf("%v", kind)
}

func isNotAuthorized(kind error) bool {
	switch kind {
	case ErrNotAuthorized, ErrTokenRevoked, ErrTokenExpired, ErrInvalidToken, ErrMissingScope:
		return true
	}
	return false
}

// localError turns a token check failure into an *Error; no request was sent.
func localError(err error) *Error {
	e := &Error{Op: opGlobalSignOut, Kind: ErrInvalidToken, Message: err.Error()}
	var te *token.Error
	if errors.As(err, &te) {
		switch te.Kind {
		case token.Expired:
			e.Kind = ErrTokenExpired
		case token.MissingScope:
			e.Kind = ErrMissingScope
		}
	}
	return e
}

// remoteError maps what the SDK returned for op to an *Error. ctxErr is the
// call context's error; attempts is -1 when they were not counted. The raw
// err may hold a secret (Cognito and moto echo tokens): only redacted text
// and a redacted copy of the chain are kept.
func remoteError(op string, err, ctxErr error, attempts int, secrets ...string) *Error {
	e := &Error{Op: op, cause: redact.Error(err, secrets...)}

	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		e.StatusCode = re.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		e.RequestID = redact.String(rid.ServiceRequestID(), secrets...)
	}
	var api smithy.APIError
	isAPI := errors.As(err, &api)
	if isAPI {
		e.Code = redact.String(api.ErrorCode(), secrets...)
		e.Message = redact.String(api.ErrorMessage(), secrets...)
	} else {
		e.Message = redact.String(reason(err), secrets...)
	}

	switch {
	case attempts >= 0:
		e.Attempts = attempts
	default:
		e.Attempts = 1
		var ma *retry.MaxAttemptsError
		if errors.As(err, &ma) {
			e.Attempts = ma.Attempt
		}
	}

	var netErr net.Error
	switch {
	case ctxErr != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		if ctxErr == nil {
			ctxErr = context.DeadlineExceeded
			if errors.Is(err, context.Canceled) {
				ctxErr = context.Canceled
			}
		}
		e.Kind = ErrTimeout
		if errors.Is(ctxErr, context.Canceled) {
			e.Kind = context.Canceled
		}
		if !errors.Is(e.cause, ctxErr) {
			e.cause = ctxErr
		}
		e.Message = ctxErr.Error()
	case isAPI:
		e.Kind = kindForCode(e.Code, api.ErrorMessage(), e.StatusCode)
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = ErrTimeout
	case isTransport(err):
		e.Kind = ErrNetwork
		e.permanent = isTLSRefusal(err)
	default:
		e.Kind = ErrService
	}
	return e
}

// isTransport reports whether err means the request got no HTTP answer.
func isTransport(err error) bool {
	var send *smithyhttp.RequestSendError
	var urlErr *url.Error
	var opErr *net.OpError
	return errors.As(err, &send) || errors.As(err, &urlErr) || errors.As(err, &opErr)
}

// isTLSRefusal reports whether the TLS handshake failed on the peer's
// certificate, or with an alert from the peer (crypto/tls reports those as
// a *net.OpError whose Op is "remote error"), which no retry will change.
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

// reason picks the most telling text of a non-API error: the transport's
// own words without the SDK's wrapping.
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
// message, to a sentinel.
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
		case strings.Contains(m, "invalid access token"):
			return ErrInvalidToken
		}
		return ErrNotAuthorized
	case "TooManyRequestsException", "ThrottlingException", "LimitExceededException", "RequestLimitExceeded":
		return ErrThrottled
	case "InvalidParameterException", "ValidationException", "SerializationException":
		return ErrInvalidParameter
	case "ResourceNotFoundException":
		return ErrResourceNotFound
	case "UserNotFoundException":
		return ErrUserNotFound
	case "UserNotConfirmedException":
		return ErrUserNotConfirmed
	case "PasswordResetRequiredException":
		return ErrPasswordResetRequired
	case "ForbiddenException", "AccessDeniedException":
		return ErrForbidden
	case "OperationNotEnabledException", "UnsupportedOperationException":
		return ErrOperationNotEnabled
	case "UnauthorizedException":
		return ErrUnauthorizedClient
	case "UnsupportedTokenTypeException":
		return ErrUnsupportedTokenType
	case "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException", "IncompleteSignature", "ExpiredTokenException":
		return ErrForbidden
	}
	return ErrService
}
