package signout

import (
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cognitogo/signout/internal/token"
)

// Option configures a Client. Options apply in order, and a later option
// replaces what an earlier one of the same name set. An option given a bad
// value (a negative duration, a nil client, a malformed endpoint), or two
// options that cannot be combined, make New fail whatever their order, with
// an *Error matching ErrInvalidOption whose Op names the option.
type Option func(*options)

// options holds every setting; defaultOptions sets every default.
type options struct {
	region           string
	endpoint         string
	profile          string
	awsConfig        *aws.Config
	caBundle         []byte
	connectTimeout   time.Duration
	readTimeout      time.Duration
	timeout          time.Duration
	retryMaxAttempts int // 0: the aws.Config's, else 3
	httpClient       *http.Client
	logger           *slog.Logger
	api              CognitoAPI
	leeway           time.Duration
	clientID         string
	clientSecret     string
	store            RevocationStore
	replicas         map[string][]string // by user pool id
	pools            []string            // user pool ids, in the order given
	admin            Admin
	outboxKey        []byte
	rates            map[string]float64 // the outbox's pace, by quota category
	refreshValidity  time.Duration
	retryMin         time.Duration // an outbox entry's first retry; tests shorten it
	retryMax         time.Duration

	given []string // the names of the options given, for conflicts
	err   *Error
}

func defaultOptions() options {
	return options{
		connectTimeout: 3 * time.Second,
		readTimeout:    5 * time.Second,
		timeout:        10 * time.Second,
		leeway:         2 * time.Minute,
		// Below Cognito's quotas (UserUpdate 25 requests/s, shared with
		// every other user update of the account; UserToken 120/s), so the
		// application's own calls keep a share.
		rates:           map[string]float64{quotaUserUpdate: 20, quotaUserToken: 100},
		refreshValidity: 30 * 24 * time.Hour, // Cognito's default
		retryMin:        time.Second,
		retryMax:        8 * time.Second,
	}
}

// set records that option name was given, and its value's problem if
// problem is not empty; it reports whether the value may be used.
func (o *options) set(name, problem string) bool {
	o.given = append(o.given, name)
	if problem == "" {
		return true
	}
	if o.err == nil {
		o.err = &Error{Op: name, Kind: ErrInvalidOption, Message: problem}
	}
	return false
}

// ok is the problem of a value that has none.
const ok = ""

func durationProblem(d time.Duration) string {
	if d < 0 {
		return "negative duration"
	}
	return ok
}

// Options that build a part which another option supplies whole. Giving both
// is a mistake whatever the order, since one would silently undo the other.
var (
	transportOptions = []string{"WithCABundle", "WithConnectTimeout", "WithReadTimeout"}
	sdkOptions       = append([]string{"WithEndpoint", "WithProfile", "WithAWSConfig", "WithHTTPClient", "WithRetryMaxAttempts"}, transportOptions...)
)

// check returns the first bad value, then the first conflict.
func (o *options) check() *Error {
	if o.err != nil {
		return o.err
	}
	conflict := func(whole string, parts []string) *Error {
		for _, p := range parts {
			if slices.Contains(o.given, p) {
				return &Error{Op: whole, Kind: ErrInvalidOption,
					Message: "cannot be combined with " + p + ", which it replaces"}
			}
		}
		return nil
	}
	needs := func(name, needed, why string) *Error {
		return &Error{Op: name, Kind: ErrInvalidOption, Message: "needs " + needed + ": " + why}
	}
	switch {
	case o.store != nil && len(o.pools) == 0:
		return needs("WithRevocationStore", "WithPool", "only the sign-outs of the user pools it names are recorded")
	case o.admin != nil && len(o.pools) == 0:
		return needs("WithAdmin", "WithPool", "only tokens whose signature the Client checked name the user to sign out")
	}
	for _, name := range []string{"WithOutboxKey", "WithOutboxRate", "WithRefreshTokenValidity"} {
		if o.store == nil && slices.Contains(o.given, name) {
			return needs(name, "WithRevocationStore", "it sets how the store's outbox is used")
		}
	}
	switch {
	case len(o.replicas) > 0 && o.region != "":
		return &Error{Op: "WithReplicaRegions", Kind: ErrInvalidOption,
			Message: "cannot be combined with WithRegion, which sends every call to one region"}
	case o.api != nil:
		return conflict("WithCognitoAPI", sdkOptions)
	case o.httpClient != nil && o.awsConfig != nil && o.awsConfig.HTTPClient != nil:
		return &Error{Op: "WithHTTPClient", Kind: ErrInvalidOption,
			Message: "cannot be combined with WithAWSConfig's HTTPClient"}
	case o.httpClient != nil:
		return conflict("WithHTTPClient", transportOptions)
	case o.awsConfig != nil && o.awsConfig.HTTPClient != nil:
		return conflict("WithAWSConfig", transportOptions)
	}
	return nil
}

// WithRegion sets the AWS region of every call, as --region does, and no
// call is tried in another region (see WithReplicaRegions). Without it,
// each call uses the region in the token's iss claim, then the aws.Config's,
// AWS_REGION, AWS_DEFAULT_REGION, or the profile's region.
func WithRegion(region string) Option {
	return func(o *options) {
		if o.set("WithRegion", problemIf(!token.IsRegion(region), "not a region name, such as us-east-1")) {
			o.region = region
		}
	}
}

// WithReplicaRegions names the regions of the replicas of user pool
// userPoolID (Cognito's multi-Region replication), so that a call for a
// token of the pool survives the failure of a region. A call goes first to
// the region the token's iss names, which for the UPDATED issuer form is
// the pool's primary. When it fails there for a regional reason (no
// answer, a timeout or a 5xx fault after the retries, or
// OperationNotEnabledException, "not available in the current region"),
// it is made in the primary region, the one userPoolID begins with, then
// in regions in order, never twice in a region, each region given an equal
// share of the time left to the call. A token error (revoked, expired,
// invalid) or throttling is Cognito's answer and is returned at once. When
// every region fails, the error is the last one that Error.Retryable calls
// retryable, such as a region that could not be reached, or else the last.
//
// Give it once for each replicated pool; a later one for the same pool
// replaces the earlier. It cannot be combined with WithRegion, which sends
// every call to one region, nor with a fixed endpoint (WithEndpoint, the
// aws.Config's BaseEndpoint, the profile's endpoint_url), which is one
// place.
func WithReplicaRegions(userPoolID string, regions ...string) Option {
	return func(o *options) {
		primary, isPool := token.PoolRegion(userPoolID)
		problem := problemIf(!isPool, "not a user pool id, such as us-east-1_AbC123")
		if problem == ok && len(regions) == 0 {
			problem = "no region"
		}
		for i, r := range regions {
			switch {
			case problem != ok:
			case !token.IsRegion(r):
				problem = "not a region name, such as us-east-1"
			case r == primary:
				problem = "the pool's primary region is not a replica"
			case slices.Contains(regions[:i], r):
				problem = "a region named twice"
			}
		}
		if o.set("WithReplicaRegions", problem) {
			if o.replicas == nil {
				o.replicas = map[string][]string{}
			}
			o.replicas[userPoolID] = slices.Clone(regions)
		}
	}
}

// WithEndpoint sends requests to rawURL instead of Cognito's regional
// endpoint, as --endpoint-url does: for an emulator, a VPC endpoint or a
// proxy. It needs an http or https scheme and a host, and no query,
// fragment or user info.
func WithEndpoint(rawURL string) Option {
	return func(o *options) {
		if o.set("WithEndpoint", endpointProblem(rawURL)) {
			o.endpoint = rawURL
		}
	}
}

// endpointProblem says what is wrong with rawURL as an endpoint. Like every
// option's problem, it does not quote the value, which could be a secret
// given to the wrong option.
func endpointProblem(rawURL string) string {
	u, err := url.Parse(rawURL)
	switch {
	case !strings.HasPrefix(rawURL, "http://") && !strings.HasPrefix(rawURL, "https://"):
		return "no http:// or https:// scheme"
	case err != nil:
		return "not a URL"
	case u.Host == "":
		return "no host"
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "a query, fragment or user info is not allowed"
	}
	return ok
}

// WithProfile reads region, endpoint_url and ca_bundle from the named
// profile of the shared AWS config files (AWS_CONFIG_FILE, or ~/.aws/config),
// as --profile does. New fails if the profile does not exist. Without this
// option New reads no config file.
func WithProfile(name string) Option {
	return func(o *options) {
		if o.set("WithProfile", problemIf(name == "", "empty profile name")) {
			o.profile = name
		}
	}
}

// WithAWSConfig builds on an aws.Config the application already loaded: its
// region, base endpoint, HTTP client, RetryMaxAttempts and RetryMode
// (aws.RetryModeAdaptive slows the client while Cognito throttles it) are
// used unless other options say otherwise. Its credentials and Retryer are
// not used: requests are unsigned, and retries follow Error.Retryable.
func WithAWSConfig(cfg aws.Config) Option {
	return func(o *options) {
		o.set("WithAWSConfig", ok)
		o.awsConfig = &cfg
	}
}

// WithCABundle trusts exactly the certificates in pem, the contents of a
// --ca-bundle file. New fails if it holds no certificate. Without it,
// AWS_CA_BUNDLE or the profile's ca_bundle names the file, else the system
// roots are trusted.
func WithCABundle(pem []byte) Option {
	return func(o *options) {
		if o.set("WithCABundle", problemIf(len(pem) == 0, "empty CA bundle")) {
			o.caBundle = pem
		}
	}
}

// WithConnectTimeout bounds the TCP connect, a proxy's CONNECT and the TLS
// handshake, as --cli-connect-timeout does; 0 means no limit. Default 3 s.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) {
		if o.set("WithConnectTimeout", durationProblem(d)) {
			o.connectTimeout = d
		}
	}
}

// WithReadTimeout bounds each wait for the server, for the response headers
// and then for the body, as --cli-read-timeout does; 0 means no limit.
// Default 5 s.
func WithReadTimeout(d time.Duration) Option {
	return func(o *options) {
		if o.set("WithReadTimeout", durationProblem(d)) {
			o.readTimeout = d
		}
	}
}

// WithTimeout bounds one whole call, retries included; a Logout gets one
// such budget for all its requests. 0 leaves only the caller's context.
// Default 10 s.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if o.set("WithTimeout", durationProblem(d)) {
			o.timeout = d
		}
	}
}

// WithRetryMaxAttempts sets how many attempts one request may make; 1 means
// no retries. Exactly the errors Error.Retryable calls retryable are
// retried, with the SDK's exponential backoff and jitter. Default 3.
func WithRetryMaxAttempts(n int) Option {
	return func(o *options) {
		if o.set("WithRetryMaxAttempts", problemIf(n < 1, "%d attempts; want 1 or more", n)) {
			o.retryMaxAttempts = n
		}
	}
}

// WithHTTPClient sends requests through c, for proxies and custom
// transports. c is used as it is, so it cannot be combined with the options
// that shape the Client's own transport (WithCABundle, WithConnectTimeout,
// WithReadTimeout). Its redirects are never followed.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if o.set("WithHTTPClient", problemIf(c == nil, "nil *http.Client")) {
			o.httpClient = c
		}
	}
}

// WithLogger logs each attempt at slog.LevelDebug (operation, region,
// endpoint, attempt, status, request id, latency) and each outcome, as
// --debug does, with tokens and secrets redacted; and the outbox's events:
// each call queued or completed at slog.LevelInfo, each given up at
// slog.LevelError. Without it nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if o.set("WithLogger", problemIf(l == nil, "nil *slog.Logger")) {
			o.logger = l
		}
	}
}

// WithCognitoAPI sends calls to api instead of an SDK client the Client
// builds: an SDK client the application configured, or a mock. The Client
// still checks tokens, maps errors and applies WithTimeout; the options that
// build an SDK client (WithEndpoint, WithProfile, WithAWSConfig,
// WithHTTPClient, WithRetryMaxAttempts and the transport options) cannot be
// combined with it.
func WithCognitoAPI(api CognitoAPI) Option {
	return func(o *options) {
		if o.set("WithCognitoAPI", problemIf(api == nil, "nil CognitoAPI")) {
			o.api = api
		}
	}
}

// WithExpiryLeeway sets how long past its exp claim an access token is still
// sent to Cognito rather than refused locally, to absorb clock skew.
// Default 2 minutes.
func WithExpiryLeeway(d time.Duration) Option {
	return func(o *options) {
		if o.set("WithExpiryLeeway", durationProblem(d)) {
			o.leeway = d
		}
	}
}

// isClientValue reports whether s is minLen to 128 ASCII letters, digits, _
// or +: Cognito's pattern for an app client id ([\w+]{1,128}) and, with
// minLen 16, for a client secret, at the length below which a value is no
// secret and could not be masked without garbling other text. A loop rather
// than the patterns, whose compilation cost every program importing this
// package 228 KB of allocations at start.
func isClientValue(s string, minLen int) bool {
	if len(s) < minLen || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '+':
		default:
			return false
		}
	}
	return true
}

// WithAppClient names the app client that issued the session's tokens,
// which revoking a refresh token (Logout with ThisSession) needs, and its
// secret for a confidential client ("" for a public one). The secret is sent
// with RevokeToken only and redacted like a token everywhere else.
func WithAppClient(id, secret string) Option {
	return func(o *options) {
		switch {
		case !o.set("WithAppClient", problemIf(!isClientValue(id, 1), "the app client id is not one (1 to 128 letters, digits, _ or +)")):
		case !o.set("WithAppClient", problemIf(secret != "" && !isClientValue(secret, 16),
			"the client secret is not one (16 to 128 letters, digits, _ or +)")):
		default:
			o.clientID, o.clientSecret = id, secret
		}
	}
}

// WithRevocationStore records every sign-out the Client makes in store, so
// that an API verifying tokens locally (package verify, reading the same
// store) refuses the ended sessions' tokens at once. A sign-out is recorded
// before Cognito is asked, once the access token's signature verified,
// whatever Cognito answers next, so it needs WithPool. A Cognito call that
// then fails for a passing reason (throttling, a 5xx, a timeout, no
// network) waits in the store's outbox, the call returns an error matching
// ErrQueued, and the Client makes it in the background, paced below
// Cognito's quotas (WithOutboxRate), until Cognito confirms: the Client
// runs a goroutine, so Close it when done. Use revocation.Store for one
// process, the redisstore module for a fleet. Without a store, an API that
// verifies tokens locally accepts them until they expire.
func WithRevocationStore(store RevocationStore) Option {
	return func(o *options) {
		if o.set("WithRevocationStore", problemIf(store == nil, "nil RevocationStore")) {
			o.store = store
		}
	}
}

// WithPool names a user pool, by its id (such as us-east-1_AbC123xyz),
// whose tokens the Client signs out; give it once for each pool. With it,
// before anything is recorded or sent, an access token's signature is
// checked against its pool's JWKS, fetched once (and again for an unknown
// key) through the Client's own transport and WithEndpoint; a token of
// another pool, or whose signature does not verify, is refused without a
// request, as ErrInvalidToken. WithRevocationStore and WithAdmin need it.
// Without it, tokens of every pool are sent to Cognito unchecked.
func WithPool(userPoolID string) Option {
	return func(o *options) {
		if o.set("WithPool", problemIf(!token.IsPoolID(userPoolID), "not a user pool id, such as us-east-1_AbC123xyz")) &&
			!slices.Contains(o.pools, userPoolID) {
			o.pools = append(o.pools, userPoolID)
		}
	}
}

// WithAdmin lets the Client sign a user out of all sessions with AWS
// credentials (Cognito's AdminUserGlobalSignOut), where GlobalSignOut
// cannot be made with the user's access token: one without the
// aws.cognito.signin.user.admin scope (as managed login issues them), or
// one that expired while its sign-out waited in the outbox. Only tokens
// whose signature the Client checked name the user, so it needs WithPool.
// An *admin.Client implements Admin; give it no admin.WithRevocationStore,
// as the Client records the sign-out itself. Its credentials need
// cognito-idp:AdminUserGlobalSignOut on the pools.
func WithAdmin(a Admin) Option {
	return func(o *options) {
		if o.set("WithAdmin", problemIf(a == nil, "nil Admin")) {
			o.admin = a
		}
	}
}

// WithOutboxKey sets the AES-256 key (32 bytes, random) that seals what
// the Client puts in the outbox: the token a call needs and whom it signs
// out. Clients sharing an outbox, as a fleet sharing a redisstore does,
// must share the key, or an entry left by one that stopped cannot be read
// by the others. Without it New makes a random key, which serves an outbox
// that lives no longer than the Client, as revocation.Store's does. It needs
// WithRevocationStore.
func WithOutboxKey(key []byte) Option {
	return func(o *options) {
		if o.set("WithOutboxKey", problemIf(len(key) != 32, "%d bytes; want 32", len(key))) {
			o.outboxKey = slices.Clone(key)
		}
	}
}

// Cognito's request rate quota categories that sign-outs use.
const (
	quotaUserUpdate = "UserUpdate" // GlobalSignOut, AdminUserGlobalSignOut
	quotaUserToken  = "UserToken"  // RevokeToken
)

// WithOutboxRate sets how many calls of a Cognito quota category a Client
// makes from the outbox a second: "UserUpdate" (GlobalSignOut and
// AdminUserGlobalSignOut, whose quota is 25 a second per account and
// region, shared with every other user update and not adjustable; default
// 20) or "UserToken" (RevokeToken: quota 120, adjustable; default 100). A
// fleet's Clients each keep their own pace, so divide by their number.
// It needs WithRevocationStore.
func WithOutboxRate(category string, perSecond float64) Option {
	return func(o *options) {
		switch {
		case !o.set("WithOutboxRate", problemIf(category != quotaUserUpdate && category != quotaUserToken,
			"the category is UserUpdate or UserToken")):
		case !o.set("WithOutboxRate", problemIf(!(perSecond > 0) || math.IsInf(perSecond, 1), "the rate must be above 0")):
		default:
			o.rates = maps.Clone(o.rates)
			o.rates[category] = perSecond
		}
	}
}

// WithRefreshTokenValidity is how long the app client's refresh tokens
// last (its RefreshTokenValidity). An outbox entry is given up that long
// after its sign-out, when no refresh token it would end can still be
// used. Default 30 days, Cognito's default.
func WithRefreshTokenValidity(d time.Duration) Option {
	return func(o *options) {
		if o.set("WithRefreshTokenValidity", problemIf(d <= 0, "want a duration above 0")) {
			o.refreshValidity = d
		}
	}
}

// problemIf returns the problem when bad, else ok.
func problemIf(bad bool, format string, args ...any) string {
	if !bad {
		return ok
	}
	return fmt.Sprintf(format, args...)
}
