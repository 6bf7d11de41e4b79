package cognito

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/logging"

	"github.com/cognitogo/signout/internal/transport"
)

// SDK is what NewSDK builds a Cognito SDK client from.
type SDK struct {
	AWS        *aws.Config // the application's config, or nil
	Region     string
	Endpoint   string
	HTTPClient transport.HTTPClient // nil: a transport of our own shaped by Transport
	Transport  transport.Config
	// ReadTimeout bounds each wait for an answer through our own
	// transport; a given HTTPClient keeps its own timeouts.
	ReadTimeout time.Duration
	// MaxAttempts per request; 0 takes AWS.RetryMaxAttempts, else
	// DefaultMaxAttempts.
	MaxAttempts int
	// Credentials sign requests; nil sends them unsigned, as the token
	// operations need.
	Credentials aws.CredentialsProvider
}

// NewSDK builds the SDK client: every request goes through the Doer
// NewDoer builds, and retries follow Retryable. It fails only when
// Transport's CA bundle holds no certificate.
func NewSDK(s SDK, r *Runner) (*cip.Client, error) {
	doer, err := NewDoer(s, r)
	if err != nil {
		return nil, err
	}
	return NewSDKWith(s, doer), nil
}

// NewDoer builds the HTTP client the SDK client of s sends through, for
// other requests to send through it too (a user pool's JWKS): a
// transport.Doer that reports attempts to r.OnAttempt, over s.HTTPClient,
// the aws.Config's client or a transport of our own. It fails only when
// Transport's CA bundle holds no certificate.
func NewDoer(s SDK, r *Runner) (*transport.Doer, error) {
	base, readTimeout := s.HTTPClient, time.Duration(0)
	if base == nil && s.AWS != nil && s.AWS.HTTPClient != nil {
		base = s.AWS.HTTPClient
	}
	if base == nil {
		tr, err := transport.New(s.Transport)
		if err != nil {
			return nil, err
		}
		base, readTimeout = &http.Client{Transport: tr}, s.ReadTimeout
	}
	r.Counted = true
	return transport.NewDoer(base, readTimeout, r.OnAttempt), nil
}

// NewSDKWith builds the SDK client of s sending through doer, from NewDoer.
func NewSDKWith(s SDK, doer *transport.Doer) *cip.Client {
	attempts, mode := s.MaxAttempts, aws.RetryModeStandard
	if s.AWS != nil {
		if attempts == 0 {
			attempts = s.AWS.RetryMaxAttempts
		}
		if s.AWS.RetryMode != "" {
			mode = s.AWS.RetryMode
		}
	}
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	configure := func(o *cip.Options) {
		o.Region = s.Region
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
		o.HTTPClient = doer
		o.Logger = logging.Nop{}
		o.ClientLogMode = 0
		o.Credentials = s.Credentials
		o.Retryer = NewRetryer(attempts, mode)
		o.RetryMaxAttempts = 0
		o.RetryMode = ""
	}
	if s.AWS != nil {
		return cip.NewFromConfig(*s.AWS, configure)
	}
	var o cip.Options
	configure(&o)
	return cip.New(o)
}
