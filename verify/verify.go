package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/jwks"
	tokenpkg "github.com/cognitogo/signout/internal/token"
)

// RevocationStore is where the Verifier reads the sign-outs recorded as
// signout.Revocation: Revoked reports whether a token's session was signed
// out, by the claims a record matches (the user pool id, sub, origin_jti
// and auth_time). revocation.Store and redisstore.Store implement it. The
// Verifier calls it on every request, so it must be fast, safe for
// concurrent use, and answer from memory. An error makes Verify fail with
// its signout.Error Kind (signout.ErrService for another error): a store
// that cannot vouch for its answer fails closed this way.
type RevocationStore interface {
	Revoked(userPoolID, subject, originJTI string, authTime time.Time) (bool, error)
}

// Claims are the claims of a verified Cognito token. The Verifier shares
// one Claims between the requests that carry the same token: treat it as
// read-only.
type Claims struct {
	Issuer     string    // iss: the user pool's issuer URL
	UserPoolID string    // the user pool, whichever issuer form iss has
	Subject    string    // sub: the user's id
	TokenUse   string    // token_use: "access" or "id"
	ClientID   string    // the app client: client_id of an access token, aud of an ID token
	Username   string    // username (access) or cognito:username (id)
	Scope      string    // scope: space-separated; empty in ID tokens
	Groups     []string  // cognito:groups
	OriginJTI  string    // origin_jti: the session, kept across refreshes
	JTI        string    // jti: this token
	AuthTime   time.Time // auth_time: the sign-in, kept across refreshes; whole seconds
	IssuedAt   time.Time // iat
	Expires    time.Time // exp
}

// Verifier checks Cognito tokens locally: signature, issuer, client,
// token_use, time, scopes, groups and revocation. It is safe for concurrent
// use; make one per process with New.
type Verifier struct {
	pools       map[string]*pool // by issuer
	access, id  bool             // accepted token uses
	scopes      []string
	groups      []string
	leeway      time.Duration
	revocations RevocationStore
	cache       *cache // nil when disabled
	now         func() time.Time
}

type pool struct {
	id      string
	clients []string
	keys    *jwks.Set
}

// New returns a Verifier for the pools given with WithPool. It fetches
// nothing: each pool's JWKS is fetched on first use. It returns an
// *signout.Error matching signout.ErrInvalidOption, whose Op names the
// option, when an option is invalid or no pool is given.
func New(opts ...Option) (*Verifier, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if len(o.pools) == 0 {
		return nil, &signout.Error{Op: "WithPool", Kind: signout.ErrInvalidOption, Message: "no user pool: New needs WithPool"}
	}
	client := o.httpClient
	if client == nil {
		client = jwks.DefaultClient()
	}
	v := &Verifier{
		pools:       map[string]*pool{},
		scopes:      o.scopes,
		groups:      o.groups,
		leeway:      o.leeway,
		revocations: o.revocations,
		now:         time.Now,
	}
	for _, u := range o.uses {
		v.access = v.access || u == "access"
		v.id = v.id || u == "id"
	}
	if o.cacheSize > 0 {
		v.cache = newCache(o.cacheSize)
	}
	for _, p := range o.pools {
		if existing := v.pools[p.issuer]; existing != nil {
			existing.clients = append(existing.clients, p.clients...)
			continue
		}
		url := p.issuer + jwks.WellKnown
		if o.endpoint != "" {
			url = o.endpoint + "/" + poolID(p.issuer) + jwks.WellKnown
		}
		v.pools[p.issuer] = &pool{
			id:      poolID(p.issuer),
			clients: slices.Clone(p.clients),
			keys: jwks.New(jwks.Config{URLs: []string{url}, Client: client, Interval: o.refreshInterval,
				Now: func() time.Time { return v.now() }}),
		}
	}
	return v, nil
}

// Verify checks token and returns its claims. A token seen before is found
// in the cache by its SHA-256 and only its exp and revocation are checked
// again. Errors are *signout.Error values that never hold the token:
// signout.ErrTokenExpired, signout.ErrTokenRevoked, signout.ErrMissingScope,
// signout.ErrInvalidToken for anything else wrong with the token (all four
// also match signout.ErrNotAuthorized); signout.ErrNetwork, ErrTimeout or
// ErrService when the pool's JWKS could not be fetched or the revocation
// checker failed; context.Canceled when ctx ended during a fetch.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, invalid("no token")
	}
	if len(token) > tokenpkg.MaxLen {
		// Refused before it is hashed for the cache.
		return nil, invalid("token is longer than 32 KiB")
	}
	if v.cache == nil {
		return v.verify(ctx, token)
	}
	key := tokenHash(token)
	if e, ok := v.cache.get(key); ok {
		if v.now().After(e.deadline) {
			v.cache.drop(key)
			return nil, expired()
		}
		if err := v.checkRevoked(e.claims); err != nil {
			return nil, err
		}
		return e.claims, nil
	}
	c, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	v.cache.put(key, cached{claims: c, deadline: c.Expires.Add(v.leeway)}, v.now())
	return c, nil
}

// Load fetches the JWKS of every pool whose keys are not loaded yet, and
// returns nil once all are. Call it at start, so that the first request
// does not wait for a fetch; it returns at once when the keys are loaded, so
// a readiness probe may call it too. A JWKS that failed to load is fetched
// again at most once a second. Errors are those of Verify when a JWKS
// cannot be fetched: signout.ErrNetwork, ErrTimeout, ErrService, or
// context.Canceled.
func (v *Verifier) Load(ctx context.Context) error {
	for _, p := range v.pools {
		if err := p.keys.Load(ctx); err != nil {
			return keyError(err)
		}
	}
	return nil
}

// verify is the whole check of a token not in the cache. The signature is
// checked before any claim but iss (which picks the pool's keys), so that a
// forged token learns nothing from which check refused it.
func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	t, err := tokenpkg.Parse(token)
	if err != nil {
		return nil, invalid(err.Error())
	}
	p := v.pools[t.Issuer]
	if p == nil {
		return nil, invalid("token issuer is not an accepted user pool")
	}
	if err := p.keys.Verify(ctx, t); err != nil {
		return nil, keyError(err)
	}
	c, err := v.check(p, t)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(c); err != nil {
		return nil, err
	}
	return c, nil
}

// check applies the claim rules to a token whose signature verified.
func (v *Verifier) check(p *pool, t *tokenpkg.Token) (*Claims, error) {
	w := &t.Claims
	c := &Claims{
		Issuer: w.Issuer, UserPoolID: p.id, Subject: w.Subject, TokenUse: w.TokenUse, ClientID: w.ClientID,
		Username: w.Username, Scope: w.Scope, Groups: w.Groups, OriginJTI: w.OriginJTI, JTI: w.JTI,
		AuthTime: w.AuthTime, IssuedAt: w.IssuedAt, Expires: w.Expiry,
	}
	if !(w.TokenUse == "access" && v.access || w.TokenUse == "id" && v.id) {
		return nil, invalid("token_use is not accepted")
	}
	now := v.now()
	switch {
	case !slices.Contains(p.clients, c.ClientID):
		return nil, invalid("token's app client is not accepted")
	case w.Subject == "":
		return nil, invalid("token has no sub")
	case w.Expiry.IsZero() || w.IssuedAt.IsZero():
		return nil, invalid("token lacks exp or iat")
	case now.After(c.Expires.Add(v.leeway)):
		return nil, expired()
	case c.IssuedAt.After(now.Add(v.leeway)) || w.NotBefore.After(now.Add(v.leeway)):
		return nil, invalid("token is not valid yet")
	}
	for _, s := range v.scopes {
		if !hasWord(c.Scope, s) {
			return nil, &signout.Error{Op: "Verify", Kind: signout.ErrMissingScope, Message: "token lacks a required scope"}
		}
	}
	for _, g := range v.groups {
		if !slices.Contains(c.Groups, g) {
			return nil, &signout.Error{Op: "Verify", Kind: signout.ErrMissingScope, Message: "token lacks a required group"}
		}
	}
	return c, nil
}

func (v *Verifier) checkRevoked(c *Claims) error {
	if v.revocations == nil {
		return nil
	}
	revoked, err := v.revocations.Revoked(c.UserPoolID, c.Subject, c.OriginJTI, c.AuthTime)
	if err != nil {
		kind, msg := signout.ErrService, "revocation check failed"
		var se *signout.Error
		if errors.As(err, &se) && se.Kind != nil {
			kind, msg = se.Kind, "revocation check failed: "+se.Message
		}
		return &signout.Error{Op: "Verify", Kind: kind, Message: msg}
	}
	if revoked {
		return &signout.Error{Op: "Verify", Kind: signout.ErrTokenRevoked, Message: "token's session was signed out"}
	}
	return nil
}

// tokenHash is the cache key. It hashes the token's bytes in place:
// []byte(token) would copy a token of a few KiB on every request.
func tokenHash(token string) [32]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

func hasWord(list, word string) bool {
	for w := range strings.FieldsSeq(list) {
		if w == word {
			return true
		}
	}
	return false
}

func invalid(msg string) error {
	return &signout.Error{Op: "Verify", Kind: signout.ErrInvalidToken, Message: msg}
}

func expired() error {
	return &signout.Error{Op: "Verify", Kind: signout.ErrTokenExpired, Message: "token has expired"}
}
