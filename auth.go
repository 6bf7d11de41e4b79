package signout

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/cognitogo/signout/internal/token"
)

// keySet is one user pool's signing keys, read from its JWKS.
type keySet interface {
	// Key returns the key named kid. It fails with errUnknownKey when the
	// JWKS has no such key, else with an *Error for a JWKS that could not
	// be fetched.
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// errUnknownKey is what a keySet returns for a kid its pool's JWKS lacks.
var errUnknownKey = errors.New("unknown key")

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
	if keys == nil {
		return a
	}
	switch err := checkSignature(ctx, keys, t); {
	case err == nil:
		var te *token.Error
		scopeOnly := errors.As(a.checkErr, &te) && te.Kind == token.MissingScope
		a.verified = (a.checkErr == nil || scopeOnly) && t.Subject != ""
	case errors.As(err, new(*token.Error)):
		a.claims, a.checkErr = nil, err
	default:
		a.authErr = err
	}
	return a
}

// checkSignature checks t's RS256 signature with its pool's key named by
// its kid. A token the keys refuse gets a *token.Error; a JWKS that could
// not be fetched, the fetch's *Error.
func checkSignature(ctx context.Context, keys keySet, t *token.Token) error {
	if t.Alg != "RS256" || len(t.Crit) > 0 || t.Kid == "" {
		return &token.Error{Kind: token.Invalid, Reason: "the token is not signed as Cognito signs: RS256, a kid, no crit"}
	}
	pub, err := keys.Key(ctx, t.Kid)
	if errors.Is(err, errUnknownKey) {
		return &token.Error{Kind: token.Invalid, Reason: "the token is signed by a key not in its pool's JWKS"}
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(t.SigningInput))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], t.Signature) != nil {
		return &token.Error{Kind: token.Invalid, Reason: "the token's signature does not verify"}
	}
	return nil
}
