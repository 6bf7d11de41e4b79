package signout

import (
	"context"
	"errors"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
)

// Reach says which of a user's sessions a logout ends. Its zero value means
// none.
type Reach int

const (
	// ThisSession is one session, on one device: Cognito's RevokeToken
	// revokes its refresh token and the access and ID tokens issued with
	// it, and the user stays signed in elsewhere.
	ThisSession Reach = iota + 1
	// AllSessions is every session of the user, on every device: Cognito's
	// GlobalSignOut.
	AllSessions
)

// String returns "this session", "all sessions" or "no session".
func (r Reach) String() string {
	switch r {
	case ThisSession:
		return "this session"
	case AllSessions:
		return "all sessions"
	}
	return "no session"
}

// Logout ends a user's sessions as far as reach says, and reports how far it
// ended them. Give it the session's access token and refresh token; either
// may be empty.
//
// ThisSession revokes the refresh token (which needs WithAppClient). When
// that cannot be done (no refresh token, one that is malformed or of
// another kind, no app client, or revocation not enabled for the app
// client), Logout signs the user out of all sessions instead, which ends
// more, never less, and returns AllSessions.
//
// AllSessions calls GlobalSignOut with the access token. When that cannot be
// done (no access token, or Cognito refuses it: expired, revoked, invalid)
// and there is a refresh token, Logout revokes it, returns ThisSession, and
// returns GlobalSignOut's error, since the user's other sessions may live
// on. A revoked access token does not tell whether they do.
//
// Throttling, network and service faults end nothing and are returned as
// they are: see Error.Retryable. The whole Logout, all its requests
// included, gets one WithTimeout.
//
// After revoking a refresh token, Logout asks Cognito (GetUser) whether
// the access token given with it is now refused. Cognito answers success
// for a refresh token it does not know, such as one planted in a cookie: if
// the access token still works, the refresh token was not its session's,
// and Logout signs the user out of all sessions instead.
//
// With WithRevocationStore, what ended is recorded there: every session of
// the user for AllSessions; for ThisSession, the session the access token
// names by its origin_jti, once Cognito has answered that this access token
// is refused as revoked, so that a forged or mismatched access token cannot
// get another session recorded. Pass the access token too: without it, or
// when Cognito does not confirm, nothing is recorded for the session, and
// the application's API accepts its access tokens until they expire.
//
// The error is nil exactly when at least the sessions asked for have ended,
// and, with a store, have been recorded. When Cognito ended them but the
// store failed, the returned Reach says what ended and the error's Op is
// "RevocationStore".
func (c *Client) Logout(ctx context.Context, accessToken, refreshToken string, reach Reach) (Reach, error) {
	if reach != ThisSession && reach != AllSessions {
		return 0, &Error{Op: "Logout", Kind: ErrInvalidParameter, Message: "reach must be ThisSession or AllSessions"}
	}
	if accessToken == "" && refreshToken == "" {
		return 0, &Error{Op: "Logout", Kind: ErrInvalidToken, Message: "no token given"}
	}
	ctx, cancel := c.budget(ctx)
	defer cancel()
	var claims *token.Claims
	checkErr := errors.New("no access token")
	if accessToken != "" {
		claims, checkErr = c.parseAccess(accessToken)
	}
	var pool token.Issuer
	if claims != nil {
		pool = claims.Pool
	}
	canRevoke := refreshToken != "" && c.clientID != ""

	if reach == ThisSession {
		if canRevoke {
			err := c.revoke(ctx, refreshToken, pool)
			switch k := kind(err); {
			case err == nil:
				// Cognito, as OAuth's token revocation (RFC 7009) has it,
				// answers success for a refresh token it does not know: ask
				// it about the access token to learn what ended.
				switch c.accessState(ctx, accessToken, claims, checkErr) {
				case revoked:
					return ThisSession, c.record(ctx, claims, true)
				case unknown:
					return ThisSession, nil
				}
				// Still accepted: the refresh token was not this session's.
			case (k == ErrOperationNotEnabled || k == ErrInvalidToken) && accessToken != "":
				// Revocation turned off, or a refresh token that is none: it
				// cannot end the session, but the access token can.
			default:
				return 0, err
			}
		} else if accessToken == "" {
			return 0, &Error{Op: "Logout", Kind: ErrInvalidOption,
				Message: "revoking a refresh token needs the app client: use WithAppClient"}
		}
		// Revocation cannot end this session: end them all.
	}
	err := c.globalSignOut(ctx, accessToken, claims, checkErr)
	if err == nil {
		return AllSessions, c.record(ctx, claims, false)
	}
	if reach == ThisSession || !canRevoke || !errors.Is(err, ErrNotAuthorized) {
		return 0, err
	}
	// GlobalSignOut cannot be made with this access token: end this session
	// at least, and report that the others may live on.
	if re := c.revoke(ctx, refreshToken, pool); re != nil {
		return 0, re
	}
	// GlobalSignOut's own "revoked" already said what GetUser would.
	if kind(err) == ErrTokenRevoked || c.accessState(ctx, accessToken, claims, checkErr) == revoked {
		if rerr := c.record(ctx, claims, true); rerr != nil {
			return ThisSession, rerr
		}
	}
	return ThisSession, err
}

// budget gives one call of the Client, all its requests included, the
// WithTimeout budget.
func (c *Client) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.run.Timeout > 0 {
		return context.WithTimeout(ctx, c.run.Timeout)
	}
	return ctx, func() {}
}

// tokenState is what Cognito says of an access token after its session
// was revoked.
type tokenState int

const (
	unknown  tokenState = iota // not asked, or no clear answer
	revoked                    // refused as revoked: Cognito issued it, and its session ended
	accepted                   // still accepted: its session lives on
)

// accessState asks Cognito (GetUser) about an access token that passed the
// local checks. Its claims are not verified here; a "revoked" answer proves
// that Cognito issued the token and that its session has ended, so the
// claims may then be recorded.
func (c *Client) accessState(ctx context.Context, accessToken string, claims *token.Claims, checkErr error) tokenState {
	if checkErr != nil {
		return unknown
	}
	in := &cip.GetUserInput{AccessToken: &accessToken}
	err := c.run.Run(ctx, opGetUser, claims.Pool, []string{accessToken}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.GetUser(ctx, in, optFns...)
		return err
	})
	switch {
	case err == nil:
		return accepted
	case kind(err) == ErrTokenRevoked:
		return revoked
	}
	return unknown
}

func (c *Client) revoke(ctx context.Context, refreshToken string, pool token.Issuer) error {
	secrets := []string{refreshToken, c.clientSecret}
	if err := token.CheckShape(refreshToken); err != nil {
		return c.run.Fail(ctx, opRevokeToken, localError(opRevokeToken, err), secrets...)
	}
	if strings.Count(refreshToken, ".") == 2 {
		// A signed JWT is an access or ID token: Cognito's refresh tokens
		// are encrypted, in five parts.
		return c.run.Fail(ctx, opRevokeToken, &Error{Op: opRevokeToken, Kind: ErrInvalidToken,
			Message: "not a refresh token: it is a signed JWT, an access or ID token"}, secrets...)
	}
	in := &cip.RevokeTokenInput{ClientId: &c.clientID, Token: &refreshToken}
	if c.clientSecret != "" {
		in.ClientSecret = &c.clientSecret
	}
	return c.run.Run(ctx, opRevokeToken, pool, secrets, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.RevokeToken(ctx, in, optFns...)
		return err
	})
}

// record writes the Revocation of a sign-out to the store, if one is set:
// the session of the access token whose claims are given, or every session
// of its user. It records nothing without the claims that name them. The
// claims must be authenticated by Cognito: it accepted the token, or
// confirmed it revoked.
func (c *Client) record(ctx context.Context, claims *token.Claims, thisSession bool) error {
	if c.store == nil || claims == nil || claims.Pool.PoolID == "" || claims.Subject == "" || thisSession && claims.OriginJTI == "" {
		return nil
	}
	now := time.Now()
	r := Revocation{UserPoolID: claims.Pool.PoolID, Subject: claims.Subject, At: now, Expires: now.Add(cognito.MaxTokenLifetime)}
	if thisSession {
		r.OriginJTI = claims.OriginJTI
	}
	err := c.store.Revoke(ctx, r)
	if err == nil {
		return nil
	}
	e := &Error{Op: "RevocationStore", Kind: ErrService, Message: redact.String(err.Error()), Err: redact.Error(err)}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Kind = context.Canceled
	case ctx.Err() != nil:
		e.Kind = ErrTimeout
	}
	return c.run.Fail(ctx, e.Op, e)
}
