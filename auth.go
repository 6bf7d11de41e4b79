package signout

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cognitogo/signout/internal/jwks"
	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// access is what a call knows of the access token it was given.
type access struct {
	token string
	// claims are nil when the token cannot be read, is of a pool WithPool
	// does not name, or its signature does not verify.
	claims *token.Claims
	// checkErr says why GlobalSignOut cannot be made with the token; nil
	// when it can.
	checkErr error
	// verified is true when the token's signature verified and it may name
	// what is recorded and whom WithAdmin signs out: an access token of a
	// pool WithPool names, not expired beyond the leeway, with a sub.
	verified bool
	// authErr says why the signature could not be checked for a passing
	// reason: the JWKS could not be fetched.
	authErr error
}

// errNoAccessToken stands in for the checks of an access token not given.
var errNoAccessToken = &token.Error{Kind: token.Invalid, Reason: "no access token"}

// readAccess parses an access token once, for every later use, and with
// WithPool checks its pool and its signature.
func (c *Client) readAccess(ctx context.Context, accessToken string) access {
	a := access{token: accessToken, checkErr: errNoAccessToken}
	if accessToken == "" {
		return a
	}
	t, err := token.Parse(accessToken)
	if err != nil {
		a.checkErr = err
		return a
	}
	keys := c.keys[t.Pool.PoolID]
	if len(c.keys) > 0 && keys == nil {
		a.checkErr = &token.Error{Kind: token.Invalid, Reason: "the token's user pool is not one WithPool names"}
		return a
	}
	a.claims, a.checkErr = &t.Claims, t.CheckAccess(time.Now(), c.leeway)
	var te *token.Error
	scopeOnly := errors.As(a.checkErr, &te) && te.Kind == token.MissingScope
	if keys == nil || a.checkErr != nil && !scopeOnly {
		// An expired or malformed token is refused anyway, and names
		// nothing that could be recorded.
		return a
	}
	switch err := checkSignature(ctx, keys, t); {
	case err == nil:
		a.verified = t.Subject != ""
	case errors.As(err, new(*token.Error)):
		a.claims, a.checkErr = nil, err
	default:
		a.authErr = err
	}
	return a
}

// checkSignature checks t's signature with its pool's keys, the code
// package verify uses too. A token the keys refuse gets a *token.Error; a
// key that is not known, or a JWKS that could not be fetched, an *Error
// with Op "JWKS".
func checkSignature(ctx context.Context, keys *jwks.Set, t *token.Token) error {
	err := keys.Verify(ctx, t)
	var je *jwks.Error
	if err == nil || !errors.As(err, &je) {
		return err
	}
	if je.Kind == jwks.Invalid {
		return &token.Error{Kind: token.Invalid, Reason: je.Reason}
	}
	// A key not in the JWKS may be one Cognito has just started to use,
	// which may not be fetched again yet: Cognito is left to judge.
	kinds := map[jwks.Kind]error{jwks.Network: ErrNetwork, jwks.Timeout: ErrTimeout, jwks.Canceled: context.Canceled}
	kind := kinds[je.Kind]
	if kind == nil {
		kind = ErrService
	}
	return &Error{Op: "JWKS", Kind: kind, Message: je.Reason, Err: je.Err}
}

// roundTripper sends requests through the HTTP client the SDK client sends
// through, for a JWKS: redirects refused, answers bounded.
type roundTripper struct{ transport.HTTPClient }

func (r roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return r.Do(req) }
