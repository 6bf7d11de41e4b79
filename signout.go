package signout

import (
	"context"
	"errors"
	"os"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/cognito"
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

var (
	_ Signer     = (*Client)(nil)
	_ CognitoAPI = (*cip.Client)(nil)
)

// Client signs users out of Cognito. It needs no AWS credentials: the
// tokens alone authorize its calls. A Client is safe for concurrent use;
// share one per process.
type Client struct {
	api          CognitoAPI
	run          cognito.Runner
	leeway       time.Duration
	clientID     string
	clientSecret string
	store        RevocationStore
}

// New returns a Client configured by opts. It does no network I/O and reads
// no files unless WithProfile, AWS_CA_BUNDLE or the profile's ca_bundle ask
// it to. Its errors are *Error matching ErrInvalidOption, whose Op names the
// option or environment variable at fault.
func New(opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	c := &Client{
		api:          o.api,
		leeway:       o.leeway,
		clientID:     o.clientID,
		clientSecret: o.clientSecret,
		store:        o.store,
		run:          cognito.Runner{Region: o.region, Replicas: o.replicas, Timeout: o.timeout, Logger: o.logger},
	}
	if c.api != nil {
		c.run.DefaultRegion = envRegion()
		return c, nil
	}
	s, caSource, err := o.sdk()
	if err != nil {
		return nil, err
	}
	c.run.DefaultRegion, c.run.HasEndpoint = s.Region, s.Endpoint != ""
	if c.run.HasEndpoint && len(o.replicas) > 0 {
		return nil, &Error{Op: "WithReplicaRegions", Kind: ErrInvalidOption,
			Message: "cannot be combined with a fixed endpoint (WithEndpoint, the aws.Config's BaseEndpoint or the profile's endpoint_url), which is one place"}
	}
	api, sdkErr := cognito.NewSDK(s, &c.run)
	if sdkErr != nil {
		return nil, &Error{Op: caSource, Kind: ErrInvalidOption, Message: sdkErr.Error()}
	}
	c.api = api
	return c, nil
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
// aws.cognito.signin.user.admin scope) is refused without a request. With
// WithRevocationStore the sign-out is then recorded there, inside the same
// WithTimeout budget.
//
// Every error is an *Error: use errors.Is with ErrTokenRevoked,
// ErrNotAuthorized, ErrThrottled, ... and Retryable to decide what to do.
// Cancelling ctx makes it match context.Canceled, a deadline
// context.DeadlineExceeded.
func (c *Client) SignOut(ctx context.Context, accessToken string) error {
	ctx, cancel := c.budget(ctx)
	defer cancel()
	claims, checkErr := c.parseAccess(accessToken)
	if err := c.globalSignOut(ctx, accessToken, claims, checkErr); err != nil {
		return err
	}
	return c.record(ctx, claims, false)
}

// parseAccess parses an access token once, for every later use: its local
// checks (checkErr), its region and the claims a revocation record needs.
// The claims are nil when the token cannot be parsed.
func (c *Client) parseAccess(accessToken string) (claims *token.Claims, checkErr error) {
	t, err := token.Parse(accessToken)
	if err != nil {
		return nil, err
	}
	return &t.Claims, t.CheckAccess(time.Now(), c.leeway)
}

const (
	opGlobalSignOut = "GlobalSignOut"
	opRevokeToken   = "RevokeToken"
	opGetUser       = "GetUser"
)

func (c *Client) globalSignOut(ctx context.Context, accessToken string, claims *token.Claims, checkErr error) error {
	if checkErr != nil {
		return c.run.Fail(ctx, opGlobalSignOut, localError(opGlobalSignOut, checkErr), accessToken)
	}
	in := &cip.GlobalSignOutInput{AccessToken: &accessToken}
	return c.run.Run(ctx, opGlobalSignOut, claims.Pool, []string{accessToken}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.GlobalSignOut(ctx, in, optFns...)
		return err
	})
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
