package redact

import (
	"errors"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Error returns a copy of err's chain in which every message is redacted as
// String does, keeping the SDK's types so that errors.As still finds them.
// A deserialization error loses its Snapshot, which is the raw response body.
func Error(err error, secrets ...string) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *smithy.OperationError:
		return &smithy.OperationError{ServiceID: e.ServiceID, OperationName: e.OperationName, Err: Error(e.Err, secrets...)}
	case *awshttp.ResponseError:
		inner := &smithyhttp.ResponseError{Err: Error(e.Err, secrets...)}
		if e.ResponseError != nil {
			inner.Response = e.Response
		}
		return &awshttp.ResponseError{ResponseError: inner, RequestID: String(e.RequestID, secrets...)}
	case *smithyhttp.ResponseError:
		return &smithyhttp.ResponseError{Response: e.Response, Err: Error(e.Err, secrets...)}
	case *retry.MaxAttemptsError:
		return &retry.MaxAttemptsError{Attempt: e.Attempt, Err: Error(e.Err, secrets...)}
	case *smithy.DeserializationError:
		return &smithy.DeserializationError{Err: Error(e.Err, secrets...)}
	case *smithyhttp.RequestSendError:
		return &smithyhttp.RequestSendError{Err: Error(e.Err, secrets...)}
	case *smithy.CanceledError:
		return &smithy.CanceledError{Err: Error(e.Err, secrets...)}
	case smithy.APIError:
		return apiError(e, secrets)
	}
	msg := err.Error()
	if red := String(msg, secrets...); red != msg {
		return &redacted{msg: red, cause: Error(errors.Unwrap(err), secrets...)}
	}
	return err
}

var stringPtr = reflect.TypeFor[*string]()

// apiError copies a modeled Cognito exception (a struct with a Message
// *string field, such as *types.NotAuthorizedException) with its message
// redacted, so that its concrete type survives; other API errors become a
// *smithy.GenericAPIError.
func apiError(e smithy.APIError, secrets []string) error {
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		cp := reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		if f := cp.Elem().FieldByName("Message"); f.IsValid() && f.CanSet() && f.Type() == stringPtr {
			redactField(f, secrets)
			// A server may name its own error code; the SDK keeps it here.
			if o := cp.Elem().FieldByName("ErrorCodeOverride"); o.IsValid() && o.CanSet() && o.Type() == stringPtr {
				redactField(o, secrets)
			}
			if out, ok := cp.Interface().(error); ok {
				return out
			}
		}
	}
	return &smithy.GenericAPIError{Code: String(e.ErrorCode(), secrets...), Message: String(e.ErrorMessage(), secrets...), Fault: e.ErrorFault()}
}

// redactField replaces the *string in f with a redacted copy; the original
// string is left alone.
func redactField(f reflect.Value, secrets []string) {
	if f.IsNil() {
		return
	}
	m := String(*f.Interface().(*string), secrets...)
	f.Set(reflect.ValueOf(&m))
}

// redacted stands in for an error whose text held a secret.
type redacted struct {
	msg   string
	cause error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.cause }
