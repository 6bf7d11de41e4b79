package signout

import (
	"context"
	"errors"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/token"
)

const opRevokeToken = "RevokeToken"

// Revoker revokes refresh tokens; *Client implements it.
type Revoker interface {
	RevokeToken(ctx context.Context, refreshToken string) error
}

// Ender ends a user's session; *Client implements it, and
// signouttest.Ender fakes it.
type Ender interface {
	EndSession(ctx context.Context, s Session) (Result, error)
}

// RevokeAPI is the part of the SDK client RevokeToken calls. A
// *cognitoidentityprovider.Client implements it; a mock given to WithAPI
// may, to support RevokeToken and EndSession.
type RevokeAPI interface {
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
}

var (
	_ Revoker   = (*Client)(nil)
	_ Ender     = (*Client)(nil)
	_ RevokeAPI = (*cip.Client)(nil)
)

// RevokeToken revokes refreshToken, and the access tokens issued with it,
// for the app client set by WithClientID (and WithClientSecret for a
// confidential client). Unlike SignOut it ends one session, not all of the
// user's, and it works when the access token has already expired. Like
// GlobalSignOut it needs no AWS credentials. The region is WithRegion's or
// the default; EndSession uses the access token's. Errors are *Error, as for
// SignOut: ErrUnauthorizedClient for a wrong client secret,
// ErrUnsupportedTokenType for a token that is not a refresh token,
// ErrOperationNotEnabled when the client does not allow revocation.
func (c *Client) RevokeToken(ctx context.Context, refreshToken string) error {
	return c.revoke(ctx, refreshToken, "")
}

func (c *Client) revoke(ctx context.Context, refreshToken, regionHint string) error {
	if err := token.CheckOpaque(refreshToken); err != nil {
		e := localError(err)
		e.Op = opRevokeToken
		return c.finish(ctx, opRevokeToken, e, refreshToken)
	}
	if c.clientID == "" {
		return c.finish(ctx, opRevokeToken, &Error{Op: opRevokeToken, Kind: ErrInvalidOption,
			Message: "RevokeToken needs the app client id: use WithClientID"}, refreshToken)
	}
	api, ok := c.api.(RevokeAPI)
	if !ok {
		return c.finish(ctx, opRevokeToken, &Error{Op: opRevokeToken, Kind: ErrInvalidOption,
			Message: "the API given to WithAPI has no RevokeToken method"}, refreshToken)
	}
	in := &cip.RevokeTokenInput{ClientId: &c.clientID, Token: &refreshToken}
	if c.clientSecret != "" {
		in.ClientSecret = &c.clientSecret
	}
	return c.do(ctx, opRevokeToken, regionHint, []string{refreshToken, c.clientSecret}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := api.RevokeToken(ctx, in, optFns...)
		return err
	})
}

// Session holds the tokens of one signed-in session. Either may be empty.
type Session struct {
	AccessToken  string
	RefreshToken string
}

// Result reports what EndSession did.
type Result struct {
	// SignedOut is true when GlobalSignOut revoked every token of the user,
	// now or, with AlreadySignedOut, before.
	SignedOut        bool
	AlreadySignedOut bool
	// RefreshTokenRevoked is true when RevokeToken revoked the session's
	// refresh token and the access tokens issued with it.
	RefreshTokenRevoked bool
	// SignOutErr is why GlobalSignOut did not sign the user out; nil when it
	// did or was not tried. RevokeErr is the same for RevokeToken.
	SignOutErr error
	RevokeErr  error
}

// Ended reports whether the session's tokens no longer work.
func (r Result) Ended() bool { return r.SignedOut || r.RefreshTokenRevoked }

// EndSession ends a logout completely. It signs the user out everywhere
// with GlobalSignOut when the access token can still do that. When it
// cannot (expired, invalid, revoked or missing) and a refresh token is
// present, it revokes the refresh token instead, which also revokes the
// access tokens issued with it. A session that was already signed out
// counts as ended, so a logout handler can run twice.
//
// EndSession returns a nil error when the session has ended. Otherwise the
// error joins SignOutErr and RevokeErr, so errors.Is and Retryable work on
// it; the Result says precisely what was and was not revoked.
func (c *Client) EndSession(ctx context.Context, s Session) (Result, error) {
	var r Result
	if s.AccessToken == "" && s.RefreshToken == "" {
		return r, c.finish(ctx, opGlobalSignOut, &Error{Op: opGlobalSignOut, Kind: ErrInvalidToken, Message: "session has no token"})
	}
	regionHint := ""
	if s.AccessToken != "" {
		err := c.SignOut(ctx, s.AccessToken)
		switch {
		case err == nil:
			r.SignedOut = true
		case errors.Is(err, ErrTokenRevoked):
			r.SignedOut, r.AlreadySignedOut = true, true
		default:
			r.SignOutErr = err
		}
		if r.SignedOut || s.RefreshToken == "" || errors.Is(err, context.Canceled) {
			return r, r.err()
		}
		// An expired or revoked access token still names its region.
		if claims, perr := token.Parse(s.AccessToken); perr == nil {
			regionHint = claims.Region
		}
	}
	err := c.revoke(ctx, s.RefreshToken, regionHint)
	switch {
	case err == nil:
		r.RefreshTokenRevoked = true
	case errors.Is(err, ErrTokenRevoked):
		r.RefreshTokenRevoked = true // Cognito said so: it is revoked
	default:
		r.RevokeErr = err
	}
	return r, r.err()
}

func (r Result) err() error {
	if r.Ended() {
		return nil
	}
	return errors.Join(r.SignOutErr, r.RevokeErr)
}
