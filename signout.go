package signout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/logging"

	"github.com/cognitogo/signout/internal/profile"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// Signer signs a user out of every device. Depend on it in handlers and
// mock it in tests; *Client and signouttest.Signer implement it.
type Signer interface {
	SignOut(ctx context.Context, accessToken string) error
}

// API is the part of the Cognito SDK client that Client calls. A
// *cognitoidentityprovider.Client implements it; so can a mock.
type API interface {
	GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
}

var (
	_ Signer = (*Client)(nil)
	_ API    = (*cip.Client)(nil)
)

const opGlobalSignOut = "GlobalSignOut"

// Client signs users out with Cognito's GlobalSignOut. It needs no AWS
// credentials: the access token alone authorizes the call. A Client is safe
// for concurrent use; share one per process.
type Client struct {
	api           API
	region        string // from WithRegion: wins over the token's region
	defaultRegion string // the SDK client's region; also the fallback
	hasEndpoint   bool
	timeout       time.Duration
	tokenChecks   bool
	leeway        time.Duration
	logger        *slog.Logger
	counts        bool // requests go through our Doer, which counts attempts
	transport     *http.Transport
	clientID      string
	clientSecret  string

	// The admin client is IAM-signed and built on first use, so that plain
	// SignOut users never need credentials.
	profile   string
	awsConfig *aws.Config
	adminMu   sync.Mutex
	admin     AdminAPI
}

// New returns a Client configured by opts. It does no network I/O and reads
// no files unless WithProfile, WithCABundle or AWS_CA_BUNDLE ask it to. Its
// errors match ErrInvalidOption and name the option at fault.
func New(opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.conflicts(); err != nil {
		return nil, err
	}
	c := &Client{
		region:       o.region,
		timeout:      o.timeout,
		tokenChecks:  o.tokenChecks,
		leeway:       o.expiryLeeway,
		logger:       o.logger,
		clientID:     o.clientID,
		clientSecret: o.clientSecret,
		profile:      o.profile,
		awsConfig:    o.awsConfig,
	}
	if o.api != nil {
		c.api = o.api
		c.defaultRegion = envRegion()
		return c, nil
	}
	if err := c.buildSDK(&o); err != nil {
		return nil, err
	}
	return c, nil
}

func envRegion() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return os.Getenv("AWS_DEFAULT_REGION")
}

// buildSDK does the expensive work once: profile, CA bundle, transport and
// the SDK client.
func (c *Client) buildSDK(o *options) error {
	region, endpoint, caPath := "", o.endpoint, o.caBundlePath
	if o.awsConfig != nil {
		region = o.awsConfig.Region
		if endpoint == "" && o.awsConfig.BaseEndpoint != nil {
			endpoint = *o.awsConfig.BaseEndpoint
		}
	}
	if r := envRegion(); r != "" && region == "" {
		region = r
	}
	if o.profile != "" {
		sc, err := profile.Load(o.profile)
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return fmt.Errorf("%w: WithProfile: profile %q not found in the shared config files", ErrInvalidOption, o.profile)
		}
		if err != nil {
			return fmt.Errorf("%w: WithProfile(%q): %w", ErrInvalidOption, o.profile, err)
		}
		if region == "" {
			region = sc.Region
		}
		if endpoint == "" && sc.BaseEndpoint != "" {
			endpoint = sc.BaseEndpoint
		}
		if caPath == "" && o.caBundlePEM == nil && sc.CustomCABundle != "" {
			caPath = sc.CustomCABundle
		}
	}
	c.defaultRegion = region
	c.hasEndpoint = endpoint != ""
	if !o.retrySet && o.awsConfig != nil && o.awsConfig.RetryMaxAttempts > 0 {
		o.retryMaxAttempts = o.awsConfig.RetryMaxAttempts
	}

	var base transport.HTTPClient
	readTimeout := time.Duration(0)
	switch {
	case o.httpClient != nil:
		base = o.httpClient
	case o.awsConfig != nil && o.awsConfig.HTTPClient != nil && len(o.transportSet) == 0:
		base = o.awsConfig.HTTPClient
	default:
		pem, source, err := caBundle(o.caBundlePEM, caPath)
		if err != nil {
			return err
		}
		tr, err := transport.New(transport.Config{
			CABundlePEM:        pem,
			InsecureSkipVerify: o.insecureSkipVerify,
			ConnectTimeout:     o.connectTimeout,
			ReadTimeout:        o.readTimeout,
			MaxConnsPerHost:    o.maxConnsPerHost,
		})
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidOption, source, err)
		}
		c.transport = tr
		base = &http.Client{Transport: tr}
		readTimeout = o.readTimeout
	}
	c.counts = true
	doer := &transport.Doer{Base: base, ReadTimeout: readTimeout, OnAttempt: c.onAttempt}

	configure := func(co *cip.Options) {
		co.Region = region
		if endpoint != "" {
			co.BaseEndpoint = aws.String(endpoint)
		}
		co.HTTPClient = doer
		co.Logger = logging.Nop{}
		co.ClientLogMode = 0
		co.Credentials = nil
		if o.retrySet || o.awsConfig == nil || o.awsConfig.Retryer == nil {
			co.Retryer = newRetryer(o)
			co.RetryMaxAttempts = 0
		}
	}
	if o.awsConfig != nil {
		c.api = cip.NewFromConfig(*o.awsConfig, configure)
	} else {
		var co cip.Options
		configure(&co)
		c.api = cip.New(co)
	}
	return nil
}

// tlsRefusalNotRetryable tells the SDK's retryer, which would retry them,
// that a refused certificate or TLS version is final.
var tlsRefusalNotRetryable = retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
	if isTLSRefusal(err) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
})

func newRetryer(o *options) aws.Retryer {
	std := func(so *retry.StandardOptions) {
		so.MaxAttempts = o.retryMaxAttempts
		so.Retryables = append([]retry.IsErrorRetryable{tlsRefusalNotRetryable}, so.Retryables...)
	}
	if o.adaptiveRetry {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, std)
		})
	}
	return retry.NewStandard(std)
}

// caBundle returns the PEM to trust and the option or variable it came
// from, for error messages; nil PEM means the system roots.
func caBundle(pem []byte, path string) ([]byte, string, error) {
	if pem != nil {
		return pem, "WithCABundlePEM", nil
	}
	source := "WithCABundle"
	if path == "" {
		path, source = os.Getenv("AWS_CA_BUNDLE"), "AWS_CA_BUNDLE"
	}
	if path == "" {
		return nil, "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, source, fmt.Errorf("%w: %s: %w", ErrInvalidOption, source, err)
	}
	return b, source, nil
}

// CloseIdleConnections closes the idle connections of the transport the
// Client built; calls in flight are not affected. It is for tests and
// shutdown; a Client stays usable after it.
func (c *Client) CloseIdleConnections() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
}

// call is what one operation tells the transport hook through its context.
type call struct {
	op       string
	secrets  []string // redacted from anything logged
	region   string
	attempts atomic.Int32
}

type callKey struct{}

// SignOut signs the user who owns accessToken out of every device: Cognito
// revokes that user's access, ID and refresh tokens. A token that fails the
// local checks is refused without a request. Every error is an *Error; use
// errors.Is with ErrTokenRevoked, ErrNotAuthorized, ErrThrottled, ... and
// Retryable to decide what to do. Cancelling ctx also matches
// context.Canceled, and a deadline context.DeadlineExceeded.
func (c *Client) SignOut(ctx context.Context, accessToken string) error {
	var claims *token.Claims
	var perr error
	switch {
	case c.tokenChecks || c.region == "":
		// The checks need the claims, and so does a region from the token.
		claims, perr = token.Parse(accessToken)
	case accessToken == "":
		perr = token.CheckOpaque(accessToken)
	}
	if c.tokenChecks {
		if perr == nil {
			perr = token.Check(claims, time.Now(), c.leeway)
		}
		if perr != nil {
			return c.finish(ctx, opGlobalSignOut, localError(perr), accessToken)
		}
	} else if perr != nil && accessToken == "" {
		return c.finish(ctx, opGlobalSignOut, localError(perr), accessToken)
	}
	tokenRegion := ""
	if claims != nil {
		tokenRegion = claims.Region
	}
	in := &cip.GlobalSignOutInput{AccessToken: &accessToken}
	return c.do(ctx, opGlobalSignOut, tokenRegion, []string{accessToken}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.GlobalSignOut(ctx, in, optFns...)
		return err
	})
}

// do runs one Cognito operation: it picks the region (WithRegion, then
// hint, then the default), applies WithTimeout, counts and logs attempts,
// and maps the outcome to an *Error with secrets redacted.
func (c *Client) do(ctx context.Context, op, hint string, secrets []string, send func(context.Context, ...func(*cip.Options)) error) error {
	region := c.region
	if region == "" {
		region = hint
	}
	if region == "" {
		region = c.defaultRegion
	}
	if region == "" && !c.hasEndpoint {
		return c.finish(ctx, op, &Error{Op: op, Kind: ErrNoRegion}, secrets...)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	cl := &call{op: op, secrets: secrets, region: region}
	var optFns []func(*cip.Options)
	if region != c.defaultRegion {
		optFns = append(optFns, func(o *cip.Options) { o.Region = region })
	}
	err := send(context.WithValue(ctx, callKey{}, cl), optFns...)
	if err == nil {
		return c.finish(ctx, op, nil, secrets...)
	}
	attempts := -1
	if c.counts {
		attempts = int(cl.attempts.Load())
	}
	return c.finish(ctx, op, remoteError(op, err, ctx.Err(), attempts, secrets...), secrets...)
}

// finish logs the outcome of a call when a logger was given and returns e
// as an error (nil stays nil).
func (c *Client) finish(ctx context.Context, op string, e *Error, secrets ...string) error {
	if e == nil {
		if c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "signout: done", slog.String("op", op))
		}
		return nil
	}
	if c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "signout: failed",
			slog.String("op", e.Op),
			slog.String("error", redact.String(e.Error(), secrets...)),
			slog.Int("attempts", e.Attempts),
			slog.Bool("retryable", e.Retryable()))
	}
	return e
}

// onAttempt counts and logs one request of a call.
func (c *Client) onAttempt(req *http.Request, a transport.Attempt) {
	cl, _ := req.Context().Value(callKey{}).(*call)
	if cl == nil {
		return
	}
	n := cl.attempts.Add(1)
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", cl.op),
		slog.String("region", cl.region),
		slog.String("endpoint", req.URL.Scheme+"://"+req.URL.Host),
		slog.Int("attempt", int(n)),
		slog.Int("status", a.Status),
		slog.String("request_id", redact.String(a.RequestID, cl.secrets...)),
		slog.Duration("latency", a.Latency),
	}
	if a.Err != nil {
		attrs = append(attrs, slog.String("error", redact.String(a.Err.Error(), cl.secrets...)))
	}
	c.logger.LogAttrs(req.Context(), slog.LevelDebug, "signout: attempt", attrs...)
}
