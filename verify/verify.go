package verify

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unsafe"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cognitogo/signout"
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

// wireClaims is the JSON payload; numbers that are not integers, or a
// claim of the wrong type, make the token invalid.
type wireClaims struct {
	Iss             string   `json:"iss"`
	Sub             string   `json:"sub"`
	TokenUse        string   `json:"token_use"`
	ClientID        string   `json:"client_id"`
	Aud             string   `json:"aud"`
	Username        string   `json:"username"`
	CognitoUsername string   `json:"cognito:username"`
	Scope           string   `json:"scope"`
	Groups          []string `json:"cognito:groups"`
	OriginJTI       string   `json:"origin_jti"`
	JTI             string   `json:"jti"`
	AuthTime        int64    `json:"auth_time"`
	Iat             int64    `json:"iat"`
	Exp             int64    `json:"exp"`
	Nbf             int64    `json:"nbf"`
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
	keys    *keySet
}

var signingAlgs = []jose.SignatureAlgorithm{jose.RS256}

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
		client = defaultHTTPClient()
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
		url := p.issuer + "/.well-known/jwks.json"
		if o.endpoint != "" {
			url = o.endpoint + "/" + poolID(p.issuer) + "/.well-known/jwks.json"
		}
		v.pools[p.issuer] = &pool{
			id:      poolID(p.issuer),
			clients: slices.Clone(p.clients),
			keys:    &keySet{url: url, client: client, interval: o.refreshInterval, now: func() time.Time { return v.now() }},
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
	if len(token) > maxTokenSize {
		return nil, invalid("token is longer than 16 KiB")
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

// verify is the whole check of a token not in the cache. The signature is
// checked before any claim but iss (which picks the pool's keys), so that a
// forged token learns nothing from which check refused it.
func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	if strings.Count(token, ".") != 2 {
		return nil, invalid("token is not a compact JWS")
	}
	if strings.HasSuffix(token, ".") {
		return nil, invalid("token has no signature")
	}
	jws, err := jose.ParseSignedCompact(token, signingAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, invalid("token is not a compact JWS signed with RS256")
	}
	kid := jws.Signatures[0].Protected.KeyID
	if kid == "" {
		return nil, invalid("token header names no key (kid)")
	}
	var w wireClaims
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &w); err != nil {
		return nil, invalid("token claims are not the JSON Cognito issues")
	}
	p := v.pools[w.Iss]
	if p == nil {
		return nil, invalid("token issuer is not an accepted user pool")
	}
	pub, err := p.keys.key(ctx, kid)
	if errors.Is(err, errUnknownKey) {
		return nil, invalid("token is signed by a key not in the pool's JWKS")
	}
	if err != nil {
		return nil, err
	}
	if _, err := jws.Verify(pub); err != nil {
		return nil, invalid("token signature does not verify")
	}
	c, err := v.check(p, &w)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(c); err != nil {
		return nil, err
	}
	return c, nil
}

// check applies the claim rules to a token whose signature verified.
func (v *Verifier) check(p *pool, w *wireClaims) (*Claims, error) {
	c := &Claims{
		Issuer: w.Iss, UserPoolID: p.id, Subject: w.Sub, TokenUse: w.TokenUse, Scope: w.Scope, Groups: w.Groups,
		OriginJTI: w.OriginJTI, JTI: w.JTI,
		AuthTime: time.Unix(w.AuthTime, 0), IssuedAt: time.Unix(w.Iat, 0), Expires: time.Unix(w.Exp, 0),
	}
	switch {
	case w.TokenUse == "access" && v.access:
		c.ClientID, c.Username = w.ClientID, w.Username
	case w.TokenUse == "id" && v.id:
		c.ClientID, c.Username = w.Aud, w.CognitoUsername
	default:
		return nil, invalid("token_use is not accepted")
	}
	now := v.now()
	switch {
	case !slices.Contains(p.clients, c.ClientID):
		return nil, invalid("token's app client is not accepted")
	case w.Sub == "":
		return nil, invalid("token has no sub")
	case w.Exp == 0 || w.Iat == 0:
		return nil, invalid("token lacks exp or iat")
	case now.After(c.Expires.Add(v.leeway)):
		return nil, expired()
	case c.IssuedAt.After(now.Add(v.leeway)) || (w.Nbf != 0 && time.Unix(w.Nbf, 0).After(now.Add(v.leeway))):
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
