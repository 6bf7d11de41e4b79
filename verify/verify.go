package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"time"
	"unsafe"

	josejson "github.com/go-jose/go-jose/v4/json"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/jwks"
	"github.com/cognitogo/signout/internal/token"
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
	Issuer     string    // iss: the user pool's issuer URL, in the form the token has
	UserPoolID string    // the user pool, whichever issuer form or region iss names
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

	payload []byte // the verified claims' JSON, for Decode
}

// Decode decodes the token's claims, all of them, into v, a pointer to a
// struct or map of the application's own: email, custom: attributes,
// claims a pre-token-generation Lambda trigger added. It decodes as
// strictly as the Verifier reads the claims it checks: names are
// case-sensitive and a name given twice is refused. It returns an
// *signout.Error matching signout.ErrInvalidToken when the claims do not
// fit v (a Check requirement may return it as it is); the error does not
// quote them.
func (c *Claims) Decode(v any) error {
	if err := josejson.Unmarshal(c.payload, v); err != nil {
		return &signout.Error{Op: "Decode", Kind: signout.ErrInvalidToken,
			Message: "the token's claims do not fit the type given to Decode"}
	}
	return nil
}

// Verifier checks Cognito tokens locally: signature, issuer, client,
// token_use, time, revocation and requirements. It is safe for concurrent
// use; make one per process with New.
type Verifier struct {
	pools        []*pool
	issuers      map[string]*pool // by every accepted iss
	access, id   bool             // accepted token uses
	requirements []Requirement
	leeway       time.Duration
	revocations  RevocationStore
	cache        *cache // nil when disabled
	now          func() time.Time
}

// New returns a Verifier for the pools given with WithPool. It fetches
// nothing: each pool's JWKS is fetched on first use, or by Load. It returns
// an *signout.Error matching signout.ErrInvalidOption, whose Op names the
// option, when an option is invalid or no pool is given.
func New(opts ...Option) (*Verifier, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	v := &Verifier{
		requirements: o.requirements,
		leeway:       o.leeway,
		revocations:  o.revocations,
		now:          time.Now,
	}
	client := o.httpClient
	if client == nil {
		client = jwks.DefaultClient()
	}
	var err error
	v.pools, v.issuers, err = o.buildPools(client, func() time.Time { return v.now() })
	if err != nil {
		return nil, err
	}
	v.access, v.id = slices.Contains(o.uses, "access"), slices.Contains(o.uses, "id")
	if o.cacheSize > 0 {
		v.cache = newCache(o.cacheSize)
	}
	return v, nil
}

// Verify checks token and returns its claims. The token must meet the
// requirements of WithRequirements, then reqs, in order. A token seen
// before is found in the cache by its SHA-256: its exp, its revocation and
// the requirements are checked again, its signature and other claims not.
//
// Errors are *signout.Error values that never hold the token:
// signout.ErrTokenExpired, ErrTokenRevoked, ErrMissingScope (a scope or
// group requirement), ErrInvalidToken for anything else wrong with the
// token (all four also match signout.ErrNotAuthorized); signout.ErrNetwork,
// ErrTimeout or ErrService when the pool's JWKS could not be fetched or the
// revocation store failed; context.Canceled when ctx ended during a fetch
// (a deadline gives ErrTimeout, which matches context.DeadlineExceeded);
// signout.ErrInvalidOption for a Requirement built from bad arguments.
func (v *Verifier) Verify(ctx context.Context, token string, reqs ...Requirement) (*Claims, error) {
	c, err := v.claims(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(c); err != nil {
		return nil, err
	}
	if err := meets(c, v.requirements); err != nil {
		return nil, err
	}
	if err := meets(c, reqs); err != nil {
		return nil, err
	}
	return c, nil
}

// claims returns the claims of a valid token, from the cache or by a whole
// check.
func (v *Verifier) claims(ctx context.Context, tok string) (*Claims, error) {
	if tok == "" {
		return nil, invalid("no token")
	}
	if len(tok) > token.MaxLen {
		// Refused before it is hashed for the cache.
		return nil, invalid("token is longer than 32 KiB")
	}
	if v.cache == nil {
		return v.verify(ctx, tok)
	}
	key := tokenHash(tok)
	if e, ok := v.cache.get(key); ok {
		if v.now().After(e.deadline) {
			v.cache.drop(key)
			return nil, expired()
		}
		return e.claims, nil
	}
	c, err := v.verify(ctx, tok)
	if err != nil {
		return nil, err
	}
	v.cache.put(key, cached{claims: c, deadline: c.Expires.Add(v.leeway)}, v.now())
	return c, nil
}

// verify is the whole check of a token not in the cache but revocation and
// requirements. The signature is checked before any claim but iss (which
// picks the pool's keys), so that a forged token learns nothing from which
// check refused it.
func (v *Verifier) verify(ctx context.Context, tok string) (*Claims, error) {
	t, err := token.Parse(tok)
	if err != nil {
		return nil, invalid(err.Error())
	}
	p := v.issuers[t.Issuer]
	if p == nil {
		return nil, invalid("token issuer is not an accepted user pool")
	}
	if err := p.keys.Verify(ctx, t); err != nil {
		return nil, keyError(err)
	}
	return v.check(p, t)
}

// check applies the claim rules to a token whose signature verified.
func (v *Verifier) check(p *pool, t *token.Token) (*Claims, error) {
	w := &t.Claims
	if !(w.TokenUse == "access" && v.access || w.TokenUse == "id" && v.id) {
		return nil, invalid("token_use is not accepted")
	}
	now := v.now()
	switch {
	case !slices.Contains(p.clients, w.ClientID):
		return nil, invalid("token's app client is not accepted")
	case w.Subject == "":
		return nil, invalid("token has no sub")
	case w.Expiry.IsZero() || w.IssuedAt.IsZero():
		return nil, invalid("token lacks exp or iat")
	case now.After(w.Expiry.Add(v.leeway)):
		return nil, expired()
	case w.IssuedAt.After(now.Add(v.leeway)) || w.NotBefore.After(now.Add(v.leeway)):
		return nil, invalid("token is not valid yet")
	}
	return &Claims{
		Issuer: w.Issuer, UserPoolID: p.id, Subject: w.Subject, TokenUse: w.TokenUse, ClientID: w.ClientID,
		Username: w.Username, Scope: w.Scope, Groups: w.Groups, OriginJTI: w.OriginJTI, JTI: w.JTI,
		AuthTime: w.AuthTime, IssuedAt: w.IssuedAt, Expires: w.Expiry, payload: t.Payload,
	}, nil
}

// Load fetches the JWKS of every pool whose keys are not loaded yet, and
// returns nil once all are: call it at start, so that the first request
// does not wait for a fetch (aws-jwt-verify's hydrate). It returns at once
// when the keys are loaded, so a readiness probe may call it on every
// probe. A JWKS that failed to load is asked again at most once a second.
// Its errors are Verify's for a JWKS that cannot be fetched:
// signout.ErrNetwork, ErrTimeout, ErrService, or context.Canceled.
func (v *Verifier) Load(ctx context.Context) error {
	for _, p := range v.pools {
		if err := p.keys.Load(ctx); err != nil {
			return keyError(err)
		}
	}
	return nil
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

func invalid(msg string) error {
	return &signout.Error{Op: "Verify", Kind: signout.ErrInvalidToken, Message: msg}
}

func expired() error {
	return &signout.Error{Op: "Verify", Kind: signout.ErrTokenExpired, Message: "token has expired"}
}
