package signout

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
// more, never less, and returns AllSessions; if Cognito answers that the
// access token is already revoked, its session has ended, as asked, and
// Logout returns ThisSession.
//
// AllSessions calls GlobalSignOut with the access token (or, with
// WithAdmin, AdminUserGlobalSignOut for a verified token lacking the
// aws.cognito.signin.user.admin scope). When that cannot be done (no
// access token, or Cognito refuses it: expired, revoked, invalid) and
// there is a refresh token, Logout revokes it, returns ThisSession, and
// returns GlobalSignOut's error, since the user's other sessions may live
// on. A revoked access token does not tell whether they do.
//
// After revoking a refresh token, Logout asks Cognito (GetUser, one
// request) whether an access token with the admin scope given with it is
// now refused. Cognito answers success for a refresh token it does not
// know, such as one planted in a cookie: if the access token still works,
// the refresh token was not its session's, and Logout signs the user out
// of all sessions instead. Without an answer, the revocation stands.
//
// With WithRevocationStore, before Cognito is asked, the sessions are
// recorded, when the access token's signature verified (see WithPool): the
// session the access token names by its origin_jti for ThisSession, every
// session of its user for AllSessions (and for ThisSession falling back to
// it). They stay recorded whatever Cognito answers, and a retry records
// them again. Without a verified access token nothing is recorded, and
// the application's API accepts the session's access tokens until they
// expire: pass the access token too.
//
// The result says how far the logout holds:
//
//   - (reach, nil): Cognito ended the sessions reach says, at least those
//     asked for, and they are recorded.
//   - (reach, an error matching ErrQueued): they are recorded, and the
//     Cognito call, which failed for a passing reason (throttled, a 5xx,
//     a timeout, no network), waits in the store's outbox until
//     Cognito confirms.
//   - any other error: not done as asked, and reach says what Cognito
//     ended. Op "RevocationStore" or "JWKS" means that Cognito ended the
//     sessions but they could not be recorded: retry.
//
// The whole Logout, all its requests and store calls included, gets one
// WithTimeout.
func (c *Client) Logout(ctx context.Context, accessToken, refreshToken string, reach Reach) (Reach, error) {
	if reach != ThisSession && reach != AllSessions {
		return 0, &Error{Op: "Logout", Kind: ErrInvalidParameter, Message: "reach must be ThisSession or AllSessions"}
	}
	if accessToken == "" && refreshToken == "" {
		return 0, &Error{Op: "Logout", Kind: ErrInvalidToken, Message: "no token given"}
	}
	ctx, cancel := c.budget(ctx)
	defer cancel()
	l, done := c.begin(ctx, accessToken)
	defer done()
	canRevoke := refreshToken != "" && c.clientID != ""

	if reach == ThisSession {
		if canRevoke {
			var cl *call
			if l.record(true) {
				a := l.a.claims
				cl = &call{Op: opRevokeToken, Pool: a.Pool.PoolID, Region: a.Pool.Region, Subject: a.Subject,
					OriginJTI: a.OriginJTI, ClientID: c.clientID, Token: refreshToken, At: l.at, RecordExpires: l.recordExpires()}
			}
			err := l.send(c.callID(opRevokeToken, refreshToken), cl, func(ctx context.Context) error {
				return c.revoke(ctx, refreshToken, l.pool())
			})
			switch k := kind(err); {
			case err == nil:
				if c.accessState(l.cognito, &l.a) != accepted {
					return ThisSession, l.held(nil)
				}
				// Still accepted: the refresh token was not this session's.
			case k == ErrQueued:
				return ThisSession, err
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
	err := l.endAll()
	switch {
	case err == nil:
		return AllSessions, l.held(nil)
	case kind(err) == ErrQueued:
		return AllSessions, err
	case reach == ThisSession && kind(err) == ErrTokenRevoked:
		// The access token's session has ended, now or before: what was
		// asked.
		return ThisSession, l.held(nil)
	case reach == ThisSession || !canRevoke || !errors.Is(err, ErrNotAuthorized):
		return 0, err
	}
	// GlobalSignOut cannot be made with this access token: end this session
	// at least, and report that the others may live on.
	if re := c.revoke(l.cognito, refreshToken, l.pool()); re != nil {
		return 0, re
	}
	// A revoked access token may be this logout's own earlier try, which
	// ended the sessions but could not record them: say so, to retry.
	return ThisSession, l.held(err)
}

// budget gives one call of the Client, all its requests included, the
// WithTimeout budget.
func (c *Client) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.run.Timeout > 0 {
		return context.WithTimeout(ctx, c.run.Timeout)
	}
	return ctx, func() {}
}

// logout is one SignOut or Logout under way.
type logout struct {
	c *Client
	// ctx bounds the whole call; cognito, its Cognito requests, ending
	// earlier to leave time for queueing a call that failed.
	ctx, cognito context.Context
	a            access
	at           time.Time // the sign-out's time, in its records
	// unrecorded says why sessions that end are not recorded: the store
	// failed, or the token's signature could not be checked.
	unrecorded error
}

// begin starts a call: it reads the access token and splits the budget.
// Call done when the call ends.
func (c *Client) begin(ctx context.Context, accessToken string) (l *logout, done func()) {
	l = &logout{c: c, ctx: ctx, cognito: ctx, at: time.Now()}
	done = func() {}
	if dl, ok := ctx.Deadline(); ok && c.box != nil {
		l.cognito, done = context.WithDeadline(ctx, dl.Add(-min(time.Until(dl)/5, time.Second)))
	}
	l.a = c.readAccess(ctx, accessToken)
	if c.store != nil && l.a.authErr != nil {
		l.unrecorded = l.a.authErr
	}
	return l, done
}

// held returns the error of a call whose Cognito part ended with err: the
// reason the sessions are not recorded, when Cognito ended them (err nil)
// or had (ErrTokenRevoked) and they should have been; else err.
func (l *logout) held(err error) error {
	if l.unrecorded != nil && (err == nil || kind(err) == ErrTokenRevoked) {
		return l.unrecorded
	}
	return err
}

// pool is the user pool the access token names, zero when there is none,
// for the region of requests.
func (l *logout) pool() token.Issuer {
	if l.a.claims == nil {
		return token.Issuer{}
	}
	return l.a.claims.Pool
}

// recordExpires is when the records of the call lapse: when the last
// token they cover expires.
func (l *logout) recordExpires() time.Time { return l.at.Add(cognito.MaxTokenLifetime) }

// record writes the Revocation of the access token's session, or of every
// session of its user, when there is a store and the token verified, and
// reports whether it did.
func (l *logout) record(thisSession bool) bool {
	c, a := l.c, &l.a
	if c.store == nil || !a.verified || thisSession && a.claims.OriginJTI == "" {
		return false
	}
	r := Revocation{UserPoolID: a.claims.Pool.PoolID, Subject: a.claims.Subject, At: l.at, Expires: l.recordExpires()}
	if thisSession {
		r.OriginJTI = a.claims.OriginJTI
	}
	if err := c.store.Revoke(l.ctx, r); err != nil {
		l.unrecorded = c.run.Fail(l.ctx, "RevocationStore", storeError(l.ctx, "RevocationStore", err))
		return false
	}
	return true
}

// endAll records every session of the access token's user, then ends them
// at Cognito: GlobalSignOut, or AdminUserGlobalSignOut with WithAdmin for
// a verified token that cannot make it. A call that failed for a passing
// reason after the record is queued, and its error matches ErrQueued.
func (l *logout) endAll() error {
	c, a := l.c, &l.a
	recorded := l.record(false)
	useAdmin := c.admin != nil && a.verified && a.checkErr != nil // lacking the scope
	var err error
	if !useAdmin {
		var cl *call
		if recorded && a.checkErr == nil {
			cl = &call{Op: opGlobalSignOut, Pool: a.claims.Pool.PoolID, Region: a.claims.Pool.Region, Subject: a.claims.Subject,
				Username: a.claims.Username, Token: a.token, TokenExp: a.claims.Expiry, At: l.at, RecordExpires: l.recordExpires()}
		}
		err = l.send(c.callID(opGlobalSignOut, a.token), cl, func(ctx context.Context) error { return c.globalSignOut(ctx, a) })
		useAdmin = c.admin != nil && a.verified && kind(err) == ErrMissingScope
	}
	if useAdmin {
		var cl *call
		if recorded {
			cl = &call{Op: opAdminSignOut, Pool: a.claims.Pool.PoolID, Region: a.claims.Pool.Region, Subject: a.claims.Subject,
				Username: a.claims.Username, At: l.at, RecordExpires: l.recordExpires()}
		}
		err = l.send(c.callID(opAdminSignOut, a.claims.Pool.PoolID, a.claims.Username), cl, func(ctx context.Context) error {
			return c.adminSignOut(ctx, a.claims.Pool.PoolID, a.claims.Username)
		})
	}
	return err
}

// send makes the Cognito call do, which cl describes when its sessions
// are recorded (nil otherwise), through the outbox when there is one. The
// call is queued before it is made, due after it will have ended, so that
// if this process dies during the call another Client makes it. It is
// removed when Cognito has answered for good, and stays queued, due for
// its first retry, when the call failed for a passing reason: the error
// then matches ErrQueued.
func (l *logout) send(id string, cl *call, do func(ctx context.Context) error) error {
	c := l.c
	ahead := cl != nil && c.box != nil && c.queueAhead(l.ctx, l.cognito, id, cl)
	err := do(l.cognito)
	switch {
	case err != nil && cl != nil && retryableErr(err):
		return c.queue(l.ctx, id, cl, err, ahead)
	case ahead:
		c.unqueue(l.ctx, id)
	}
	return err
}

// callID names a call in the outbox; "" without one.
func (c *Client) callID(parts ...string) string {
	if c.box == nil {
		return ""
	}
	return c.box.id(parts...)
}

// tokenState is what Cognito says of an access token after its session
// was revoked.
type tokenState int

const (
	unknown  tokenState = iota // not asked, or no clear answer
	revoked                    // refused as revoked: its session ended
	accepted                   // still accepted: its session lives on
)

// accessState asks Cognito (GetUser, one request, as the answer only
// decides whether to end more) about an access token that passed the local
// checks.
func (c *Client) accessState(ctx context.Context, a *access) tokenState {
	if a.checkErr != nil {
		return unknown
	}
	in := &cip.GetUserInput{AccessToken: &a.token}
	err := c.run.Run(ctx, opGetUser, a.claims.Pool, []string{a.token}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := c.api.GetUser(ctx, in, append(optFns, func(o *cip.Options) { o.Retryer = aws.NopRetryer{} })...)
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

// storeError makes the *Error of a store (or another part the application
// gave) that failed op; ctx is the call's.
func storeError(ctx context.Context, op string, err error) *Error {
	e := &Error{Op: op, Kind: ErrService, Message: redact.String(err.Error()), Err: redact.Error(err)}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Kind = context.Canceled
	case ctx.Err() != nil:
		e.Kind = ErrTimeout
	}
	return e
}
