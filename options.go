package signout

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Defaults suit a logout handler on a request path: a stuck Cognito costs
// the caller at most DefaultTimeout, not the aws CLI's 60 s per socket wait.
const (
	DefaultConnectTimeout   = 3 * time.Second
	DefaultReadTimeout      = 5 * time.Second
	DefaultTimeout          = 10 * time.Second
	DefaultRetryMaxAttempts = 3
	DefaultExpiryLeeway     = 2 * time.Minute
	DefaultMaxConnsPerHost  = 64
)

// Option configures a Client. Options apply in order; the last one wins.
type Option func(*options)

type options struct {
	region             string
	endpoint           string
	profile            string
	awsConfig          *aws.Config
	caBundlePath       string
	caBundlePEM        []byte
	insecureSkipVerify bool
	connectTimeout     time.Duration
	readTimeout        time.Duration
	timeout            time.Duration
	retryMaxAttempts   int
	retrySet           bool
	adaptiveRetry      bool
	maxConnsPerHost    int
	httpClient         *http.Client
	logger             *slog.Logger
	api                API
	tokenChecks        bool
	expiryLeeway       time.Duration
	clientID           string
	clientSecret       string

	// transportSet names the options that shape the Client's own transport,
	// which WithHTTPClient and WithAPI replace.
	transportSet []string
	errs         []error
}

func defaultOptions() options {
	return options{
		connectTimeout:   DefaultConnectTimeout,
		readTimeout:      DefaultReadTimeout,
		timeout:          DefaultTimeout,
		retryMaxAttempts: DefaultRetryMaxAttempts,
		maxConnsPerHost:  DefaultMaxConnsPerHost,
		tokenChecks:      true,
		expiryLeeway:     DefaultExpiryLeeway,
	}
}

// conflicts reports the errors options recorded and the options that
// cannot be combined.
func (o *options) conflicts() error {
	if len(o.errs) > 0 {
		return errors.Join(o.errs...)
	}
	if o.httpClient != nil && len(o.transportSet) > 0 {
		o.fail("WithHTTPClient", "cannot be combined with %s; configure the *http.Client's transport instead", o.transportSet[0])
	}
	if o.api != nil {
		var with []string
		if o.endpoint != "" {
			with = append(with, "WithEndpoint")
		}
		if o.profile != "" {
			with = append(with, "WithProfile")
		}
		if o.awsConfig != nil {
			with = append(with, "WithAWSConfig")
		}
		if o.httpClient != nil {
			with = append(with, "WithHTTPClient")
		}
		if o.retrySet {
			with = append(with, "WithRetryMaxAttempts/WithAdaptiveRetry")
		}
		with = append(with, o.transportSet...)
		if len(with) > 0 {
			o.fail("WithAPI", "cannot be combined with %s; configure the API instead", with[0])
		}
	}
	return errors.Join(o.errs...)
}

func (o *options) fail(option, format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("%w: %s: %s", ErrInvalidOption, option, fmt.Sprintf(format, args...)))
}

func (o *options) transport(option string) { o.transportSet = append(o.transportSet, option) }

// nonNegative reports whether d may be used, recording an error if not.
func (o *options) nonNegative(option string, d time.Duration) bool {
	if d < 0 {
		o.fail(option, "negative duration %v", d)
		return false
	}
	return true
}

// regionRE accepts AWS region names and the simple labels local emulators use.
var regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// WithRegion sets the AWS region for every call, as --region does. Without
// it, each call uses the region named by the token's iss claim, then
// AWS_REGION, AWS_DEFAULT_REGION, or the profile's region.
func WithRegion(region string) Option {
	return func(o *options) {
		if !regionRE.MatchString(region) {
			o.fail("WithRegion", "%q is not a region name", region)
			return
		}
		o.region = region
	}
}

// WithEndpoint sends requests to url instead of Cognito's regional endpoint,
// as --endpoint-url does: for a local emulator, a VPC endpoint or a proxy.
// The URL needs a scheme (http or https) and a host.
func WithEndpoint(rawURL string) Option {
	return func(o *options) {
		u, err := url.Parse(rawURL)
		switch {
		case err != nil:
			o.fail("WithEndpoint", "%q is not a URL", rawURL)
		case u.Scheme != "http" && u.Scheme != "https":
			o.fail("WithEndpoint", "%q has no http:// or https:// scheme", rawURL)
		case u.Host == "":
			o.fail("WithEndpoint", "%q has no host", rawURL)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			o.fail("WithEndpoint", "%q must not carry a query, fragment or user info", rawURL)
		default:
			o.endpoint = rawURL
		}
	}
}

// WithProfile reads region, endpoint_url and ca_bundle from the named
// profile of the shared AWS config files (AWS_CONFIG_FILE, or ~/.aws/config),
// as --profile does. New fails if the profile does not exist. Without this
// option New reads no files.
func WithProfile(name string) Option {
	return func(o *options) {
		if name == "" {
			o.fail("WithProfile", "empty profile name")
			return
		}
		o.profile = name
	}
}

// WithAWSConfig builds on an aws.Config the application already loaded: its
// region, base endpoint, retryer and HTTP client are used unless other
// options say otherwise. Its credentials are not needed and not used.
func WithAWSConfig(cfg aws.Config) Option {
	return func(o *options) { o.awsConfig = &cfg }
}

// WithCABundle trusts exactly the certificates in the PEM file at path, as
// --ca-bundle does. New fails if the file is missing or holds no certificate.
// Without it, AWS_CA_BUNDLE is honoured, then the system roots.
func WithCABundle(path string) Option {
	return func(o *options) {
		o.transport("WithCABundle")
		o.caBundlePath, o.caBundlePEM = path, nil
	}
}

// WithCABundlePEM is WithCABundle with the PEM bytes in hand.
func WithCABundlePEM(pem []byte) Option {
	return func(o *options) {
		o.transport("WithCABundlePEM")
		o.caBundlePEM, o.caBundlePath = pem, ""
	}
}

// WithInsecureSkipVerify turns off TLS certificate verification, as
// --no-verify-ssl does. Use it only against a local test endpoint.
func WithInsecureSkipVerify() Option {
	return func(o *options) {
		o.transport("WithInsecureSkipVerify")
		o.insecureSkipVerify = true
	}
}

// WithConnectTimeout bounds the TCP connect and TLS handshake, as
// --cli-connect-timeout does; 0 means no limit. Default DefaultConnectTimeout.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) {
		o.transport("WithConnectTimeout")
		if o.nonNegative("WithConnectTimeout", d) {
			o.connectTimeout = d
		}
	}
}

// WithReadTimeout bounds each wait for the server: for the response
// headers, and then for the body, as --cli-read-timeout does; 0 means no
// limit. Default DefaultReadTimeout.
func WithReadTimeout(d time.Duration) Option {
	return func(o *options) {
		o.transport("WithReadTimeout")
		if o.nonNegative("WithReadTimeout", d) {
			o.readTimeout = d
		}
	}
}

// WithTimeout bounds one whole SignOut, retries included; 0 leaves only the
// caller's context. Default DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if o.nonNegative("WithTimeout", d) {
			o.timeout = d
		}
	}
}

// WithRetryMaxAttempts sets how many attempts one call may make; 1 means no
// retries. Only throttling, service faults, network faults and timeouts are
// retried, with the SDK's exponential backoff and jitter. Default
// DefaultRetryMaxAttempts.
func WithRetryMaxAttempts(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.fail("WithRetryMaxAttempts", "%d attempts; want 1 or more", n)
			return
		}
		o.retryMaxAttempts, o.retrySet = n, true
	}
}

// WithAdaptiveRetry uses the SDK's adaptive retry mode, which also slows the
// Client's own sending rate while Cognito throttles it. Use it where many
// goroutines share one Client and meet TooManyRequestsException.
func WithAdaptiveRetry() Option {
	return func(o *options) { o.adaptiveRetry, o.retrySet = true, true }
}

// WithMaxConnsPerHost caps the connections the Client opens to one host and
// keeps that many idle for reuse. Callers beyond the cap wait for a free
// connection (within their context) instead of opening one each, so a burst
// of concurrent sign-outs neither churns TLS handshakes nor grows the pool
// past n. Default DefaultMaxConnsPerHost, well above Cognito's request quota
// for GlobalSignOut.
func WithMaxConnsPerHost(n int) Option {
	return func(o *options) {
		o.transport("WithMaxConnsPerHost")
		if n < 1 {
			o.fail("WithMaxConnsPerHost", "%d; want 1 or more", n)
			return
		}
		o.maxConnsPerHost = n
	}
}

// WithHTTPClient sends requests through c, for proxies and custom
// transports. c is used as it is, so it cannot be combined with the options
// that shape the Client's own transport (WithCABundle, WithConnectTimeout, ...).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c == nil {
			o.fail("WithHTTPClient", "nil *http.Client")
			return
		}
		o.httpClient = c
	}
}

// WithLogger logs each attempt at slog.LevelDebug (operation, region,
// endpoint, attempt, status, request id, latency), as --debug does, with the
// token redacted. Without it, or with nil, nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithAPI sends calls to api instead of an SDK client the Client builds: an
// SDK client the application configured, or a mock. The Client still checks
// tokens, maps errors and applies WithTimeout; the options that build an SDK
// client (WithEndpoint, WithProfile, WithHTTPClient, transport options) cannot
// be combined with it.
func WithAPI(api API) Option {
	return func(o *options) {
		if api == nil {
			o.fail("WithAPI", "nil API")
			return
		}
		o.api = api
	}
}

// WithTokenChecks turns the local checks of a token (shape, token_use, scope,
// expiry) on or off; they are on by default. Off, every non-empty token is
// sent to Cognito and Cognito's answer decides.
func WithTokenChecks(on bool) Option {
	return func(o *options) { o.tokenChecks = on }
}

// WithExpiryLeeway sets how long past its exp claim a token is still sent to
// Cognito rather than refused locally, to absorb clock skew. Default
// DefaultExpiryLeeway.
func WithExpiryLeeway(d time.Duration) Option {
	return func(o *options) {
		if o.nonNegative("WithExpiryLeeway", d) {
			o.expiryLeeway = d
		}
	}
}

// clientIDRE is Cognito's pattern for app client ids and secrets.
var clientIDRE = regexp.MustCompile(`^[\w+]{1,128}$`)

// WithClientID names the app client that issued the refresh tokens, which
// RevokeToken and EndSession need to revoke them.
func WithClientID(id string) Option {
	return func(o *options) {
		if !clientIDRE.MatchString(id) {
			o.fail("WithClientID", "%q is not an app client id", id)
			return
		}
		o.clientID = id
	}
}

// WithClientSecret is the app client's secret, for a confidential client;
// it is sent with RevokeToken and never logged or put in an error.
func WithClientSecret(secret string) Option {
	return func(o *options) {
		if !clientIDRE.MatchString(secret) {
			o.fail("WithClientSecret", "not a client secret (letters, digits, _ and +, at most 128)")
			return
		}
		o.clientSecret = secret
	}
}
