package redact

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Error returns a copy of err's chain that is safe to keep, print in full
// or walk: every text in it is redacted as String does with secrets, and it
// holds nothing live. An SDK response keeps its status code and status and
// its headers (values masked), but not its *http.Request (whose GetBody
// returns the request body, tokens and all), its body, connection or TLS
// state; a deserialization error loses its Snapshot, the raw body. The
// request id, the error code and message are redacted.
//
// The copy keeps the SDK's types, so errors.As still finds
// *smithy.OperationError, *awshttp.ResponseError, *smithyhttp.ResponseError,
// smithy.APIError and the modeled exceptions, *retry.MaxAttemptsError,
// *smithyhttp.RequestSendError, *url.Error, *net.OpError and
// tls.RecordHeaderError (without its Conn). An error of another type (x509
// and tls errors, sentinels, context errors) is kept as it is when nothing
// reachable from it holds a secret or anything live; otherwise it is
// replaced by an error with its redacted text that wraps a copy of what it
// wrapped, one error or several as errors.Join makes.
func Error(err error, secrets ...string) error {
	s := &sanitizer{m: newMatcher(secrets)}
	return s.copy(err, 0)
}

// maxDepth bounds how deep a chain is copied; below it the text stays.
const maxDepth = 64

type sanitizer struct {
	m *matcher
}

func (s *sanitizer) text(t string) string { return s.m.redact(t) }

func (s *sanitizer) copy(err error, depth int) error {
	if err == nil {
		return nil
	}
	if depth >= maxDepth {
		return &redacted{msg: s.text(err.Error())}
	}
	depth++
	switch e := err.(type) {
	case *smithy.OperationError:
		return &smithy.OperationError{ServiceID: e.ServiceID, OperationName: e.OperationName, Err: s.copy(e.Err, depth)}
	case *awshttp.ResponseError:
		return &awshttp.ResponseError{ResponseError: s.responseError(e.ResponseError, depth), RequestID: s.text(e.RequestID)}
	case *smithyhttp.ResponseError:
		return s.responseError(e, depth)
	case *retry.MaxAttemptsError:
		return &retry.MaxAttemptsError{Attempt: e.Attempt, Err: s.copy(e.Err, depth)}
	case *smithy.DeserializationError:
		return &smithy.DeserializationError{Err: s.copy(e.Err, depth)}
	case *smithyhttp.RequestSendError:
		return &smithyhttp.RequestSendError{Err: s.copy(e.Err, depth)}
	case *smithy.CanceledError:
		return &smithy.CanceledError{Err: s.copy(e.Err, depth)}
	case *url.Error:
		return &url.Error{Op: e.Op, URL: s.text(e.URL), Err: s.copy(e.Err, depth)}
	case *net.OpError:
		return &net.OpError{Op: e.Op, Net: e.Net, Source: e.Source, Addr: e.Addr, Err: s.copy(e.Err, depth)}
	case tls.RecordHeaderError:
		return tls.RecordHeaderError{Msg: e.Msg, RecordHeader: e.RecordHeader}
	case smithy.APIError:
		return s.apiError(e)
	}
	if s.clean(err) {
		return err
	}
	msg := s.text(err.Error())
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var causes []error
		for _, c := range u.Unwrap() {
			if c != nil {
				causes = append(causes, s.copy(c, depth))
			}
		}
		return &redactedJoin{msg: msg, causes: causes}
	case interface{ Unwrap() error }:
		return &redacted{msg: msg, cause: s.copy(u.Unwrap(), depth)}
	}
	return &redacted{msg: msg}
}

func (s *sanitizer) responseError(e *smithyhttp.ResponseError, depth int) *smithyhttp.ResponseError {
	if e == nil {
		return nil
	}
	return &smithyhttp.ResponseError{Response: s.response(e.Response), Err: s.copy(e.Err, depth)}
}

// response returns what a caller can use of r: its status and headers.
func (s *sanitizer) response(r *smithyhttp.Response) *smithyhttp.Response {
	if r == nil || r.Response == nil {
		return r
	}
	h := make(http.Header, len(r.Header))
	for k, vs := range r.Header {
		k = s.text(k)
		for _, v := range vs {
			h[k] = append(h[k], s.text(v))
		}
	}
	return &smithyhttp.Response{Response: &http.Response{
		Status:        s.text(r.Status),
		StatusCode:    r.StatusCode,
		Proto:         r.Proto,
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Header:        h,
		Body:          http.NoBody,
		ContentLength: r.ContentLength,
	}}
}

// apiError copies a modeled Cognito exception (such as
// *types.NotAuthorizedException) with its exported string fields, Message
// and ErrorCodeOverride among them, redacted, so that its concrete type
// survives. When that cannot make it clean, or e is of another shape, it
// becomes a *smithy.GenericAPIError with the same code, message and fault,
// redacted.
func (s *sanitizer) apiError(e smithy.APIError) error {
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		cp := reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		s.redactFields(cp.Elem())
		if out, ok := cp.Interface().(error); ok && s.clean(out) {
			return out
		}
	}
	return &smithy.GenericAPIError{Code: s.text(e.ErrorCode()), Message: s.text(e.ErrorMessage()), Fault: e.ErrorFault()}
}

// redactFields replaces every exported string or *string field of the
// struct v with a redacted copy; the strings v shares with the original are
// left alone.
func (s *sanitizer) redactFields(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case !f.CanSet():
		case f.Kind() == reflect.String:
			f.SetString(s.text(f.String()))
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String && !f.IsNil():
			p := reflect.New(f.Type().Elem())
			p.Elem().SetString(s.text(f.Elem().String()))
			f.Set(p)
		}
	}
}

// clean reports whether err may be kept as it is: its text is redacted
// already, and nothing reachable from it is live or holds text that is not.
func (s *sanitizer) clean(err error) bool {
	if msg := err.Error(); s.text(msg) != msg {
		return false
	}
	w := &walker{stop: func(v reflect.Value) bool {
		if live(v) {
			return true
		}
		t, ok := text(v)
		if !ok {
			return false
		}
		if v.Kind() == reflect.String {
			return s.text(t) != t
		}
		return s.m.contains(t) // bytes: only a secret, not a JWT shape, by chance in binary
	}}
	_, found := w.walk(reflect.ValueOf(err))
	return !found
}

var (
	requestType      = reflect.TypeFor[http.Request]()
	responseType     = reflect.TypeFor[http.Response]()
	readerType       = reflect.TypeFor[io.Reader]()
	writerType       = reflect.TypeFor[io.Writer]()
	closerType       = reflect.TypeFor[io.Closer]()
	roundTripperType = reflect.TypeFor[http.RoundTripper]()
)

// live reports whether v is what an error must not keep: a request or a
// response, whatever reads, writes or closes (a body, a connection, a
// file), a round tripper (a transport and its pools), state shared under a
// lock, or what cannot be looked into (a func such as GetBody, a chan).
// The walk does not go into it, so it never reads a live transport's state
// while that changes.
func live(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return !v.IsNil()
	case reflect.Interface:
		return false // what it holds is looked at next
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return false
		}
	case reflect.Struct:
		if guarded(v.Type()) {
			return true
		}
	}
	t := v.Type()
	return t == requestType || t == responseType ||
		t.Implements(readerType) || t.Implements(writerType) || t.Implements(closerType) ||
		t.Implements(roundTripperType)
}

// redacted stands in for an error that held a secret or something live.
type redacted struct {
	msg   string
	cause error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.cause }

// redactedJoin stands in for such an error that wrapped several, as the one
// errors.Join returns does.
type redactedJoin struct {
	msg    string
	causes []error
}

func (r *redactedJoin) Error() string   { return r.msg }
func (r *redactedJoin) Unwrap() []error { return r.causes }
