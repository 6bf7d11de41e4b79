package redact

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sdkChain(inner error) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}
	return &smithy.OperationError{
		ServiceID:     "Cognito Identity Provider",
		OperationName: "GlobalSignOut",
		Err: &retry.MaxAttemptsError{Attempt: 1, Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: resp, Err: inner},
			RequestID:     "req-1",
		}},
	}
}

func TestErrorKeepsTypesAndDropsSecret(t *testing.T) {
	msg := jwt
	tests := []struct {
		name  string
		inner error
		check func(t *testing.T, got error)
	}{
		{"modeled exception", &types.NotAuthorizedException{Message: &msg}, func(t *testing.T, got error) {
			var na *types.NotAuthorizedException
			require.True(t, errors.As(got, &na))
			assert.Equal(t, Mask, *na.Message)
			assert.Equal(t, jwt, msg, "the original is untouched")
		}},
		{"generic api error", &smithy.GenericAPIError{Code: "Odd", Message: "saw " + jwt}, func(t *testing.T, got error) {
			var ae smithy.APIError
			require.True(t, errors.As(got, &ae))
			assert.Equal(t, "Odd", ae.ErrorCode())
			assert.Equal(t, "saw "+Mask, ae.ErrorMessage())
		}},
		{"echoed error code", &smithy.GenericAPIError{Code: jwt, Message: "odd"}, func(t *testing.T, got error) {
			var ae smithy.APIError
			require.True(t, errors.As(got, &ae))
			assert.Equal(t, Mask, ae.ErrorCode())
		}},
		{"modeled exception with an overridden code", &types.NotAuthorizedException{ErrorCodeOverride: &msg}, func(t *testing.T, got error) {
			var na *types.NotAuthorizedException
			require.True(t, errors.As(got, &na))
			assert.Equal(t, Mask, na.ErrorCode())
			assert.Nil(t, na.Message)
		}},
		{"deserialization snapshot", &smithy.DeserializationError{Err: fmt.Errorf("bad body"), Snapshot: []byte(jwt)}, func(t *testing.T, got error) {
			var de *smithy.DeserializationError
			require.True(t, errors.As(got, &de))
			assert.Nil(t, de.Snapshot)
		}},
		{"unknown wrapper", fmt.Errorf("wrapped %s: %w", jwt, errors.New("root")), func(t *testing.T, got error) {
			var r *redacted
			require.True(t, errors.As(got, &r))
			assert.Equal(t, "wrapped "+Mask+": root", r.Error())
			assert.Equal(t, "root", errors.Unwrap(r).Error())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Error(sdkChain(tc.inner), jwt)
			assert.False(t, Contains(got.Error(), jwt), got.Error())
			assert.False(t, Contains(fmt.Sprintf("%+v %#v", got, got), jwt))
			var re *awshttp.ResponseError
			require.True(t, errors.As(got, &re))
			assert.Equal(t, "req-1", re.ServiceRequestID())
			assert.Equal(t, 400, re.HTTPStatusCode())
			var ma *retry.MaxAttemptsError
			require.True(t, errors.As(got, &ma))
			tc.check(t, got)
		})
	}
}

func TestErrorRedactsEchoedRequestID(t *testing.T) {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}
	err := &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: resp, Err: errors.New("boom")},
		RequestID:     "id-" + jwt,
	}
	got := Error(err, jwt)
	var re *awshttp.ResponseError
	require.True(t, errors.As(got, &re))
	assert.Equal(t, "id-"+Mask, re.ServiceRequestID())
	assert.False(t, Contains(got.Error(), jwt), got.Error())
	assert.Equal(t, "id-"+jwt, err.RequestID, "the original is untouched")
}

func TestErrorPassesCleanErrorsThrough(t *testing.T) {
	plain := errors.New("connection refused")
	assert.Same(t, plain, Error(plain, jwt))
	assert.Nil(t, Error(nil, jwt))
}

// holder is an error of a type Error does not know that keeps something.
type holder struct {
	msg  string
	keep any
	err  error
}

func (h *holder) Error() string { return h.msg }
func (h *holder) Unwrap() error { return h.err }

var errSentinel = errors.New("sentinel")

func TestErrorDropsWhatIsLive(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "https://cognito-idp.us-east-1.amazonaws.com/", strings.NewReader("{}"))
	require.NoError(t, err)
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	tests := []struct {
		name  string
		err   error
		check func(t *testing.T, got error)
	}{
		{"request kept by an unknown type", &holder{msg: "failed", keep: req, err: errSentinel}, func(t *testing.T, got error) {
			var r *redacted
			require.ErrorAs(t, got, &r)
			assert.Equal(t, "failed", got.Error())
			assert.ErrorIs(t, got, errSentinel)
		}},
		{"func kept by an unknown type", &holder{msg: "failed", keep: func() string { return "" }}, func(t *testing.T, got error) {
			var h *holder
			assert.False(t, errors.As(got, &h))
		}},
		{"connection in a tls.RecordHeaderError", fmt.Errorf("handshake: %w", tls.RecordHeaderError{Msg: "not TLS", Conn: client}), func(t *testing.T, got error) {
			var rh tls.RecordHeaderError
			require.ErrorAs(t, got, &rh)
			assert.Nil(t, rh.Conn)
			assert.Equal(t, "not TLS", rh.Msg)
		}},
		{"url and net errors", &url.Error{Op: "Post", URL: "https://example.com/?t=" + jwt, Err: &net.OpError{Op: "read", Net: "tcp", Err: &holder{msg: "reset", keep: client, err: context.DeadlineExceeded}}}, func(t *testing.T, got error) {
			var ue *url.Error
			require.ErrorAs(t, got, &ue)
			assert.Equal(t, "https://example.com/?t="+Mask, ue.URL)
			var oe *net.OpError
			require.ErrorAs(t, got, &oe)
			assert.Equal(t, "read", oe.Op)
			assert.ErrorIs(t, got, context.DeadlineExceeded)
		}},
		{"join", errors.Join(&holder{msg: "first " + jwt, keep: req}, errSentinel), func(t *testing.T, got error) {
			multi, ok := got.(interface{ Unwrap() []error })
			require.True(t, ok)
			assert.Len(t, multi.Unwrap(), 2)
			assert.Equal(t, "first "+Mask+"\nsentinel", got.Error())
			assert.ErrorIs(t, got, errSentinel)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Error(tc.err, jwt)
			assert.Empty(t, Find(got, jwt))
			w := &walker{stop: live}
			path, found := w.walk(reflect.ValueOf(got))
			assert.False(t, found, "something live at %s", path)
			tc.check(t, got)
		})
	}
}

func TestErrorKeepsCleanErrorsOfOtherTypes(t *testing.T) {
	cert := &x509.Certificate{Raw: []byte("not really DER"), Subject: pkix.Name{CommonName: "cognito-idp.us-east-1.amazonaws.com"}}
	for _, err := range []error{
		context.DeadlineExceeded,
		&tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{cert}, Err: x509.UnknownAuthorityError{Cert: cert}},
		x509.HostnameError{Certificate: cert, Host: "example.com"},
		fmt.Errorf("op: %w", errSentinel),
		&net.DNSError{Err: "no such host", Name: "cognito-idp.example", IsNotFound: true},
	} {
		assert.True(t, Error(err, jwt) == err, "%T was not kept as it is", err)
	}
}
