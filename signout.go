package signout

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/jwks"
	"github.com/cognitogo/signout/internal/profile"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// Signer signs a user out of every device. Depend on it in handlers and
// mock it in tests; *Client and signouttest.FakeSigner implement it.
type Signer interface {
	SignOut(ctx context.Context, accessToken string) error
}

// CognitoAPI is the part of Cognito's SDK client that a Client calls:
// GlobalSignOut, RevokeToken, and GetUser to confirm a revocation before it
// is recorded. A *cognitoidentityprovider.Client implements it, and so can
// a mock given to WithCognitoAPI.
type CognitoAPI interface {
	GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	GetUser(ctx context.Context, in *cip.GetUserInput, optFns ...func(*cip.Options)) (*cip.GetUserOutput, error)
}

// Admin signs a user out of every device with AWS credentials, as
// Cognito's AdminUserGlobalSignOut does; *admin.Client implements it. See
// WithAdmin.
type Admin interface {
	SignOut(ctx context.Context, userPoolID, username string) error
}

var (
	_ Signer     = (*Client)(nil)
	_ CognitoAPI = (*cip.Client)(nil)
)

// Client signs users out of Cognito. It needs no AWS credentials: the
// tokens alone authorize its calls. A Client is safe for concurrent use;
// share one per process. A Client given WithRevocationStore runs a
// goroutine until Close.
type Client struct {
	api             CognitoAPI
	run             cognito.Runner
	leeway          time.Duration
	clientID        string
	clientSecret    string
	store           RevocationStore
	keys            map[string]*jwks.Set // by user pool id: WithPool's
	admin           Admin
	box             *outbox // nil without WithRevocationStore
	refreshValidity time.Duration
}

// New returns a Client configured by opts. It does no network I/O and reads
// no files unless WithProfile, AWS_CA_BUNDLE or the profile's ca_bundle ask
// it to. Its errors are *Error matching ErrInvalidOption, whose Op names the
// option or environment variable at fault. With WithRevocationStore it
// starts the goroutine that drains the store's outbox: Close the Client
// when done.
func New(opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	c := &Client{
		api:             o.api,
		leeway:          o.leeway,
		clientID:        o.clientID,
		clientSecret:    o.clientSecret,
		store:           o.store,
		admin:           o.admin,
		refreshValidity: o.refreshValidity,
		run:             cognito.Runner{Region: o.region, Replicas: o.replicas, Timeout: o.timeout, Logger: o.logger},
	}
	var doer transport.HTTPClient
	endpoint := ""
	if c.api != nil {
		c.run.DefaultRegion = envRegion()
		if len(o.pools) > 0 {
			// The JWKS is fetched through a transport of the Client's own,
			// as the SDK client would have been built.
			tr, _ := transport.New(transport.Config{ConnectTimeout: o.connectTimeout, MaxConnsPerHost: 4}) // no CA bundle: no error
			doer = transport.NewDoer(&http.Client{Transport: tr}, o.readTimeout, nil)
		}
	} else {
		s, caSource, err := o.sdk()
		if err != nil {
			return nil, err
		}
		c.run.DefaultRegion, c.run.HasEndpoint = s.Region, s.Endpoint != ""
		if c.run.HasEndpoint && len(o.replicas) > 0 {
			return nil, &Error{Op: "WithReplicaRegions", Kind: ErrInvalidOption,
				Message: "cannot be combined with a fixed endpoint (WithEndpoint, the aws.Config's BaseEndpoint or the profile's endpoint_url), which is one place"}
		}
		d, sdkErr := cognito.NewDoer(s, &c.run)
		if sdkErr != nil {
			return nil, &Error{Op: caSource, Kind: ErrInvalidOption, Message: sdkErr.Error()}
		}
		c.api, doer, endpoint = cognito.NewSDKWith(s, d), d, s.Endpoint
	}
	if len(o.pools) > 0 {
		c.keys = map[string]*jwks.Set{}
		hc := &http.Client{Transport: roundTripper{doer},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, pool := range o.pools {
			c.keys[pool] = jwks.New(jwks.Config{URLs: jwksURLs(endpoint, pool, o.replicas[pool]), Client: hc})
		}
	}
	if o.store != nil {
		box, err := newOutbox(&o)
		if err != nil {
			return nil, &Error{Op: "WithOutboxKey", Kind: ErrInvalidOption, Message: err.Error()}
		}
		c.box = box
		ctx, stop := context.WithCancel(context.Background())
		box.stop = stop
		go c.drain(ctx)
	}
	return c, nil
}

// jwksURLs are where a user pool's JWKS is served: under the endpoint, as
// Cognito's emulators serve it, or under its issuer URL in its primary
// region and in each of its replicas'.
func jwksURLs(endpoint, pool string, replicas []string) []string {
	if endpoint != "" {
		return []string{strings.TrimSuffix(endpoint, "/") + "/" + pool + jwks.WellKnown}
	}
	primary, _ := token.PoolRegion(pool)
	var urls []string
	for _, region := range append([]string{primary}, replicas...) {
		urls = append(urls, token.Issuer{Region: region, PoolID: pool}.String()+jwks.WellKnown)
	}
	return urls
}

func envRegion() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return os.Getenv("AWS_DEFAULT_REGION")
}

// sdk resolves what the SDK client is built from: the options first, then
// the aws.Config, the environment and the profile. It reads the profile and
// the CA bundle file, if any, and says where the CA bundle came from.
func (o *options) sdk() (s cognito.SDK, caSource string, _ *Error) {
	s = cognito.SDK{
		AWS:         o.awsConfig,
		Endpoint:    o.endpoint,
		MaxAttempts: o.retryMaxAttempts,
		Transport: transport.Config{
			CABundlePEM:     o.caBundle,
			ConnectTimeout:  o.connectTimeout,
			MaxConnsPerHost: 64,
		},
		ReadTimeout: o.readTimeout,
	}
	if o.httpClient != nil {
		s.HTTPClient = o.httpClient
	}
	if o.awsConfig != nil {
		s.Region = o.awsConfig.Region
		if s.Endpoint == "" && o.awsConfig.BaseEndpoint != nil {
			s.Endpoint = *o.awsConfig.BaseEndpoint
		}
	}
	if s.Region == "" {
		s.Region = envRegion()
	}
	caPath, caSource := "", "WithCABundle"
	if o.caBundle == nil {
		caPath, caSource = os.Getenv("AWS_CA_BUNDLE"), "AWS_CA_BUNDLE"
	}
	if o.profile != "" {
		p, err := profile.Load(o.profile)
		switch {
		case errors.Is(err, profile.ErrNotFound):
			return s, caSource, &Error{Op: "WithProfile", Kind: ErrInvalidOption,
				Message: "no such profile in the shared config files"}
		case err != nil:
			return s, caSource, &Error{Op: "WithProfile", Kind: ErrInvalidOption, Message: "reading the shared config files: " + redact.String(err.Error(), o.profile)}
		}
		if s.Region == "" {
			s.Region = p.Region
		}
		if s.Endpoint == "" {
			s.Endpoint = p.Endpoint
		}
		if o.caBundle == nil && caPath == "" && p.CABundle != "" {
			caPath, caSource = p.CABundle, "WithProfile"
		}
	}
	if caPath != "" && o.httpClient == nil && (o.awsConfig == nil || o.awsConfig.HTTPClient == nil) {
		pem, err := os.ReadFile(caPath)
		if err != nil {
			return s, caSource, &Error{Op: caSource, Kind: ErrInvalidOption, Message: "reading the CA bundle: " + err.Error()}
		}
		s.Transport.CABundlePEM = pem
	}
	return s, caSource, nil
}

// SignOut signs the user who owns accessToken out of every device, with
// Cognito's GlobalSignOut: Cognito revokes that user's access, ID and
// refresh tokens. A token that fails the local checks (malformed, not an
// access token, expired beyond WithExpiryLeeway, lacking the
// aws.cognito.signin.user.admin scope; with WithPool, of another pool or
// with a signature that does not verify) is refused without a request.
// With WithAdmin, a verified token lacking the scope is signed out with
// AdminUserGlobalSignOut instead.
//
// With WithRevocationStore, the user's sessions are recorded before
// Cognito is asked, once the token's signature verified, whatever Cognito
// answers next; a retry records them again. The result says how far the
// sign-out holds:
//
//   - nil: Cognito ended the sessions, and they are recorded.
//   - an error matching ErrQueued: they are recorded, and the call, which
//     failed for a passing reason, waits in the store's outbox until
//     Cognito confirms.
//   - any other error: not done, or not everywhere. ErrTokenRevoked means
//     that Cognito had already revoked the token; its user's sessions are
//     recorded. Op "RevocationStore" or "JWKS" means that Cognito ended
//     the sessions but they could not be recorded.
//
// Every error is an *Error: use errors.Is with ErrTokenRevoked,
// ErrNotAuthorized, ErrThrottled, ... and Retryable to decide what to do.
// Cancelling ctx makes it match context.Canceled, a deadline
// context.DeadlineExceeded. The whole call, store and Outbox included,
// gets one WithTimeout.
func (c *Client) SignOut(ctx context.Context, accessToken string) error {
	ctx, cancel := c.budget(ctx)
	defer cancel()
	l, done := c.begin(ctx, accessToken)
	defer done()
	return l.held(l.endAll())
}

const (
	opGlobalSignOut = "GlobalSignOut"
	opRevokeToken   = "RevokeToken"
	opGetUser       = "GetUser"
)

func (c *Client) globalSignOut(ctx context.Context, a *access) error {
	if a.checkErr != nil {
		return c.run.Fail(ctx, opGlobalSignOut, localError(opGlobalSignOut, a.checkErr), a.token)
	}
	in := &cip.GlobalSignOutInput{AccessToken: &a.token}
	return c.run.Run(ctx, opGlobalSignOut, a.claims.Pool, []string{a.token}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.GlobalSignOut(ctx, in, optFns...)
		return err
	})
}

// adminSignOut signs username out with WithAdmin's Admin. An error that is
// not an *Error becomes one, as a failing store's does.
func (c *Client) adminSignOut(ctx context.Context, pool, username string) error {
	err := c.admin.SignOut(ctx, pool, username)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			err = storeError(ctx, opAdminSignOut, err)
		}
	}
	return c.run.Fail(ctx, opAdminSignOut, err)
}

// localError turns a failed token check into an *Error; no request was sent.
func localError(op string, err error) *Error {
	e := &Error{Op: op, Kind: ErrInvalidToken, Message: err.Error()}
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

// kind returns the Kind of err, an *Error, or nil.
func kind(err error) error {
	if e, ok := err.(*Error); ok {
		return e.Kind
	}
	return nil
}
