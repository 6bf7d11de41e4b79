package admin

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// Client makes Cognito's IAM-authorized admin calls for one AWS account.
// It is safe for concurrent use.
type Client struct {
	api   *cip.Client
	run   cognito.Runner
	creds aws.CredentialsProvider
	store RevocationStore
	now   func() time.Time
}

// Option configures a Client.
type Option func(*options)

type options struct {
	store   RevocationStore
	logger  *slog.Logger
	timeout time.Duration
	err     error
}

// The defaults of the settings a Client shares with signout.Client.
const (
	defaultTimeout        = 10 * time.Second
	defaultConnectTimeout = 3 * time.Second
	defaultReadTimeout    = 5 * time.Second
)

func (o *options) problem(name, msg string) {
	if o.err == nil {
		o.err = &signout.Error{Op: name, Kind: signout.ErrInvalidOption, Message: msg}
	}
}

// RevocationStore is where a Client records its sign-outs:
// revocation.Store, a redisstore.Store, or any signout.RevocationStore.
type RevocationStore interface {
	Revoke(ctx context.Context, r signout.Revocation) error
}

// WithRevocationStore records the sign-outs in store, so that an API that
// verifies tokens locally (package verify, reading the same store) refuses
// the ended sessions' tokens at once: one Revocation per user for SignOut
// and for a filtered sweep, one for the whole pool for an unfiltered sweep.
func WithRevocationStore(store RevocationStore) Option {
	return func(o *options) {
		if store == nil {
			o.problem("WithRevocationStore", "nil RevocationStore")
		}
		o.store = store
	}
}

// WithLogger logs each request at slog.LevelDebug (operation, region,
// endpoint, attempt, status, request id, latency) and each outcome. Without
// it nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l == nil {
			o.problem("WithLogger", "nil *slog.Logger")
		}
		o.logger = l
	}
}

// WithTimeout bounds one request to Cognito, retries included; 0 leaves
// only the caller's context. Default 10 s.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d < 0 {
			o.problem("WithTimeout", "negative duration")
		}
		o.timeout = d
	}
}

// New returns a Client that signs its requests with cfg's credentials, as
// the aws CLI would with the same profile, environment or instance role:
// load cfg with config.LoadDefaultConfig. cfg's region is used only where a
// user pool id does not name one, and its BaseEndpoint, HTTPClient and
// RetryMaxAttempts are honoured. New does no I/O; credentials are first
// retrieved by the first call. Its errors are *signout.Error matching
// signout.ErrInvalidOption, whose Op names the option at fault.
func New(cfg aws.Config, opts ...Option) (*Client, error) {
	o := options{timeout: defaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if cfg.Credentials == nil {
		return nil, &signout.Error{Op: "aws.Config", Kind: signout.ErrInvalidOption,
			Message: "no credentials provider: load the config with config.LoadDefaultConfig"}
	}
	creds := cfg.Credentials
	if _, cached := creds.(*aws.CredentialsCache); !cached {
		creds = aws.NewCredentialsCache(creds)
	}
	c := &Client{creds: creds, store: o.store, now: time.Now,
		run: cognito.Runner{DefaultRegion: cfg.Region, Timeout: o.timeout, Logger: o.logger}}
	s := cognito.SDK{AWS: &cfg, Region: cfg.Region, Credentials: creds,
		Transport: transport.Config{ConnectTimeout: defaultConnectTimeout, MaxConnsPerHost: 128}, ReadTimeout: defaultReadTimeout}
	if cfg.BaseEndpoint != nil {
		s.Endpoint = *cfg.BaseEndpoint
		c.run.HasEndpoint = true
	}
	api, err := cognito.NewSDK(s, &c.run)
	if err != nil {
		return nil, &signout.Error{Op: "aws.Config", Kind: signout.ErrInvalidOption, Message: err.Error()}
	}
	c.api = api
	return c, nil
}

const (
	opAdminSignOut     = "AdminUserGlobalSignOut"
	opListUsers        = "ListUsers"
	opDescribeUserPool = "DescribeUserPool"
)

// usernameRE is Cognito's pattern for a user name.
var usernameRE = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)

// SignOut signs username out of every device (Cognito's
// AdminUserGlobalSignOut): Cognito revokes the user's refresh tokens and
// refuses their access tokens. The credentials need
// cognito-idp:AdminUserGlobalSignOut on the pool. With WithRevocationStore
// the sign-out is then recorded for the user's sub, which ListUsers finds
// (cognito-idp:ListUsers).
//
// A malformed pool id or user name is refused without a request. Errors are
// *signout.Error: ErrUserNotFound and ErrResourceNotFound name a wrong user
// or pool, ErrForbidden an IAM refusal, ErrInvalidOption missing
// credentials; use Retryable for the rest.
func (c *Client) SignOut(ctx context.Context, userPoolID, username string) error {
	region, e := c.check(ctx, opAdminSignOut, userPoolID)
	if e == nil && !validUsername(username) {
		e = c.run.Fail(ctx, opAdminSignOut, &signout.Error{Op: opAdminSignOut, Kind: signout.ErrInvalidParameter,
			Message: "not a user name: 1 to 128 letters, marks, symbols, digits or punctuation"})
	}
	if e == nil {
		e = c.credentials(ctx, opAdminSignOut)
	}
	if e == nil {
		e = c.signOut(ctx, region, userPoolID, username, 0)
	}
	if e == nil && c.store != nil {
		e = c.recordUser(ctx, region, userPoolID, username, "", c.now())
	}
	if e != nil {
		return e
	}
	return nil
}

// check refuses a pool id Cognito would refuse, without a request, and
// returns the pool's region.
func (c *Client) check(ctx context.Context, op, userPoolID string) (string, error) {
	region, ok := token.PoolRegion(userPoolID)
	if !ok {
		return "", c.run.Fail(ctx, op, &signout.Error{Op: op, Kind: signout.ErrInvalidParameter,
			Message: "not a user pool id, such as us-east-1_AbC123xyz"})
	}
	return region, nil
}

func validUsername(s string) bool {
	return utf8.RuneCountInString(s) <= 128 && usernameRE.MatchString(s)
}

// credentials retrieves the credentials, so that their absence is reported
// as such, before anything is sent or recorded.
func (c *Client) credentials(ctx context.Context, op string) error {
	_, err := c.creds.Retrieve(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// The call's time ran out (or it was cancelled) before the
		// credentials came: a retry may succeed, unlike a missing or
		// refused credential.
		kind := signout.ErrTimeout
		if errors.Is(ctx.Err(), context.Canceled) {
			kind = context.Canceled
		}
		return c.run.Fail(ctx, op, &signout.Error{Op: op, Kind: kind,
			Message: "AWS credentials not read before the call's context ended", Err: ctx.Err()})
	}
	return c.run.Fail(ctx, op, &signout.Error{Op: op, Kind: signout.ErrInvalidOption,
		Message: "no usable AWS credentials: " + redact.String(err.Error()), Err: redact.Error(err)})
}

// signOut sends one AdminUserGlobalSignOut; attempts bounds its requests
// (0: the client's retry policy).
func (c *Client) signOut(ctx context.Context, region, userPoolID, username string, attempts int) error {
	in := &cip.AdminUserGlobalSignOutInput{UserPoolId: &userPoolID, Username: &username}
	return c.run.Run(ctx, opAdminSignOut, token.Issuer{Region: region, PoolID: userPoolID}, nil, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.AdminUserGlobalSignOut(ctx, in, withAttempts(optFns, attempts)...)
		return err
	})
}

// withAttempts adds to optFns a retryer that makes exactly one attempt
// when attempts is 1: the sweep retries for itself, through its pacer.
func withAttempts(optFns []func(*cip.Options), attempts int) []func(*cip.Options) {
	if attempts != 1 {
		return optFns
	}
	return append(optFns, func(o *cip.Options) { o.Retryer = aws.NopRetryer{} })
}

// recordUser writes the Revocation of one user's sign-out; sub is looked
// up with ListUsers when it is not known.
func (c *Client) recordUser(ctx context.Context, region, userPoolID, username, sub string, at time.Time) error {
	if sub == "" {
		in := &cip.ListUsersInput{UserPoolId: &userPoolID, AttributesToGet: []string{"sub"},
			Filter: aws.String(`username = "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(username) + `"`)}
		e := c.run.Run(ctx, opListUsers, token.Issuer{Region: region, PoolID: userPoolID}, nil, func(ctx context.Context, optFns ...func(*cip.Options)) error {
			out, err := c.api.ListUsers(ctx, in, optFns...)
			if err == nil {
				sub = subOf(out.Users, username)
			}
			return err
		})
		if e != nil {
			return e
		}
		if sub == "" {
			return c.run.Fail(ctx, opListUsers, &signout.Error{Op: opListUsers, Kind: signout.ErrUserNotFound,
				Message: "the user is not listed, or has no sub"})
		}
	}
	return c.revoke(ctx, signout.Revocation{UserPoolID: userPoolID, Subject: sub,
		At: at, Expires: at.Add(cognito.MaxTokenLifetime)})
}

// subOf returns the sub attribute of username among users, or "".
func subOf(users []types.UserType, username string) string {
	for _, u := range users {
		if aws.ToString(u.Username) != username {
			continue
		}
		for _, a := range u.Attributes {
			if aws.ToString(a.Name) == "sub" {
				return aws.ToString(a.Value)
			}
		}
	}
	return ""
}

// revoke writes r to the store.
func (c *Client) revoke(ctx context.Context, r signout.Revocation) error {
	err := c.store.Revoke(ctx, r)
	if err == nil {
		return nil
	}
	e := &signout.Error{Op: "RevocationStore", Kind: signout.ErrService, Message: redact.String(err.Error()), Err: redact.Error(err)}
	if ctx.Err() != nil {
		e.Kind = signout.ErrTimeout
	}
	return c.run.Fail(ctx, e.Op, e)
}

// asError returns err as the *signout.Error every call returns.
func asError(err error) *signout.Error {
	var e *signout.Error
	errors.As(err, &e)
	return e
}

// retryable reports whether err, an *signout.Error, may succeed later.
func retryable(err error) bool { return asError(err).Retryable() }
