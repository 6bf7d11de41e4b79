package verify

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
	tokenpkg "github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/revocation"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }

// RSA key generation is slow: two keys serve every test.
var (
	keyA     = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
	attacker = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
)

func genKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// testPool is a user pool's JWKS endpoint, served the way moto and the
// stand-in serve it (URL/POOL_ID/.well-known/jwks.json), with a key that can
// be rotated and a count of fetches.
type testPool struct {
	srv     *httptest.Server
	id      string
	issuer  string
	client  string
	fetches atomic.Int32

	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey // served, by kid
	kid     string                     // signs new tokens
	handler http.HandlerFunc           // replaces the JWKS answer when set
}

func newTestPool(t testing.TB) *testPool {
	t.Helper()
	p := &testPool{
		id:     "us-east-1_TestPool1",
		client: "testclient0123456789abcdef",
		keys:   map[string]*rsa.PrivateKey{"kid-a": keyA()},
		kid:    "kid-a",
	}
	p.issuer = "https://cognito-idp.us-east-1.amazonaws.com/" + p.id
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+p.id+"/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		p.fetches.Add(1)
		p.mu.Lock()
		h := p.handler
		body := p.jwksLocked()
		p.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPool) jwksLocked() []byte {
	var keys []jose.JSONWebKey
	for kid, k := range p.keys {
		keys = append(keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	return b
}

func (p *testPool) answer(h http.HandlerFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handler = h
}

// claims returns a valid access token's claims, issued now by the clock.
func (p *testPool) claims(now time.Time) map[string]any {
	return map[string]any{
		"sub": "8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b", "iss": p.issuer, "client_id": p.client,
		"origin_jti": "0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "event_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
		"token_use": "access", "scope": "openid email aws.cognito.signin.user.admin",
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": "3d4e5f6a-7b8c-4d9e-0f1a-2b3c4d5e6f7a", "username": "alice", "cognito:groups": []string{"admins", "staff"},
	}
}

// idClaims returns a valid ID token's claims.
func (p *testPool) idClaims(now time.Time) map[string]any {
	c := p.claims(now)
	delete(c, "client_id")
	delete(c, "scope")
	delete(c, "username")
	c["aud"], c["token_use"], c["cognito:username"] = p.client, "id", "alice"
	return c
}

func (p *testPool) mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	p.mu.Lock()
	kid, key := p.kid, p.keys[p.kid]
	p.mu.Unlock()
	return signRS256(t, key, kid, claims)
}

func signRS256(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	obj, err := s.Sign(payload)
	require.NoError(t, err)
	tok, err := obj.CompactSerialize()
	require.NoError(t, err)
	return tok
}

// rawJWS builds a compact JWS from a header, claims and a signature of our
// own making, for the attacks no signing library would produce.
func rawJWS(header, claims any, sign func(input string) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	return input + "." + b64(sign(input))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *testPool) verifier(t *testing.T, clk *testenv.Clock, opts ...Option) *Verifier {
	t.Helper()
	v, err := New(append([]Option{WithPool(p.issuer, p.client), WithEndpoint(p.srv.URL)}, opts...)...)
	require.NoError(t, err)
	if clk != nil {
		v.now = clk.Now
	}
	return v
}

func newClock() *testenv.Clock { return testenv.NewClock(time.Now()) }

// assertRefused checks err's kind and that it never quotes the token or any
// of its three parts.
func assertRefused(t *testing.T, err error, kind error, token string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, kind)
	var se *signout.Error
	require.True(t, errors.As(err, &se), "want *signout.Error, got %T", err)
	assert.Equal(t, kind, se.Kind)
	assertNoToken(t, token, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), se.Message)
}

func assertNoToken(t *testing.T, token string, texts ...string) {
	t.Helper()
	joined := strings.Join(texts, "\x00")
	if token == "" {
		return
	}
	assert.False(t, redact.Contains(joined, token))
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 {
			assert.NotContains(t, joined, part)
		}
	}
}

func TestVerifyAcceptsAccessToken(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	now := clk.Now()
	c, err := v.Verify(context.Background(), p.mint(t, p.claims(now)))
	require.NoError(t, err)
	assert.JSONEq(t, string(mustJSON(p.claims(now))), string(c.payload), "the verified claims are kept for Decode")
	got := *c
	got.payload = nil
	assert.Equal(t, Claims{
		Issuer: p.issuer, UserPoolID: p.id, Subject: "8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b", TokenUse: "access", ClientID: p.client,
		Username: "alice", Scope: "openid email aws.cognito.signin.user.admin", Groups: []string{"admins", "staff"},
		OriginJTI: "0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", JTI: "3d4e5f6a-7b8c-4d9e-0f1a-2b3c4d5e6f7a",
		AuthTime: time.Unix(now.Unix(), 0), IssuedAt: time.Unix(now.Unix(), 0), Expires: time.Unix(now.Add(time.Hour).Unix(), 0),
	}, got)
	assert.Equal(t, int32(1), p.fetches.Load())
}

func TestVerifyAcceptsIDTokenWhenAsked(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	idToken := p.mint(t, p.idClaims(clk.Now()))

	_, err := p.verifier(t, clk).Verify(context.Background(), idToken)
	assertRefused(t, err, signout.ErrInvalidToken, idToken)

	both := p.verifier(t, clk, WithTokenUse("access", "id"))
	c, err := both.Verify(context.Background(), idToken)
	require.NoError(t, err)
	assert.Equal(t, "id", c.TokenUse)
	assert.Equal(t, p.client, c.ClientID)
	assert.Equal(t, "alice", c.Username)
	_, err = both.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)

	_, err = p.verifier(t, clk, WithTokenUse("id")).Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	assertRefused(t, err, signout.ErrInvalidToken, "")
}

// TestVerifyRefuses is the attack table: each token is refused with its
// typed error, and the error never quotes it.
func TestVerifyRefuses(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	now := clk.Now()
	with := func(change func(c map[string]any)) map[string]any {
		c := p.claims(now)
		change(c)
		return c
	}
	valid := p.mint(t, p.claims(now))
	parts := strings.Split(valid, ".")
	pubDER, _ := x509.MarshalPKIXPublicKey(&keyA().PublicKey)
	pubN := keyA().PublicKey.N.Bytes()
	hs256 := func(key []byte) func(string) []byte {
		return func(in string) []byte {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(in))
			return m.Sum(nil)
		}
	}

	tests := []struct {
		name   string
		token  string
		kind   error
		opts   []Option
		noJWKS bool // refused before the JWKS is needed
	}{
		{"empty", "", signout.ErrInvalidToken, nil, true},
		{"oversized", valid + strings.Repeat("A", tokenpkg.MaxLen), signout.ErrInvalidToken, nil, true},
		{"two parts", parts[0] + "." + parts[1], signout.ErrInvalidToken, nil, true},
		{"four parts", valid + ".AAAA", signout.ErrInvalidToken, nil, true},
		{"not base64", "!!!." + parts[1] + "." + parts[2], signout.ErrInvalidToken, nil, true},
		{"header not JSON", b64([]byte("not json")) + "." + parts[1] + "." + parts[2], signout.ErrInvalidToken, nil, true},
		{"claims not JSON", parts[0] + "." + b64([]byte("not json")) + "." + parts[2], signout.ErrInvalidToken, nil, true},
		{"claims of the wrong type", parts[0] + "." + b64([]byte(`{"iss":"`+p.issuer+`","exp":"tomorrow"}`)) + "." + parts[2], signout.ErrInvalidToken, nil, true},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, signout.ErrInvalidToken, nil, true},
		{"alg none", rawJWS(map[string]string{"alg": "none", "kid": "kid-a"}, p.claims(now), func(string) []byte { return nil }), signout.ErrInvalidToken, nil, true},
		{"alg none, no signature part", parts[0] + "." + parts[1] + ".", signout.ErrInvalidToken, nil, true},
		{"HS256 keyed with the public key (DER)", rawJWS(map[string]string{"alg": "HS256", "kid": "kid-a"}, p.claims(now), hs256(pubDER)), signout.ErrInvalidToken, nil, true},
		{"HS256 keyed with the modulus", rawJWS(map[string]string{"alg": "HS256", "kid": "kid-a"}, p.claims(now), hs256(pubN)), signout.ErrInvalidToken, nil, true},
		{"RS512", rawJWS(map[string]string{"alg": "RS512", "kid": "kid-a"}, p.claims(now), func(string) []byte { return []byte("sig") }), signout.ErrInvalidToken, nil, true},
		{"no kid", signRS256(t, keyA(), "", p.claims(now)), signout.ErrInvalidToken, nil, true},
		{"unknown kid", signRS256(t, keyA(), "kid-unknown", p.claims(now)), signout.ErrInvalidToken, nil, false},
		{"forged: attacker's key, pool's kid", signRS256(t, attacker(), "kid-a", p.claims(now)), signout.ErrInvalidToken, nil, false},
		{"re-signed: claims changed, signature kept", parts[0] + "." + b64(mustJSON(with(func(c map[string]any) { c["sub"] = "mallory" }))) + "." + parts[2], signout.ErrInvalidToken, nil, false},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4], signout.ErrInvalidToken, nil, false},
		{"another pool", p.mint(t, with(func(c map[string]any) { c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" })), signout.ErrInvalidToken, nil, true},
		{"issuer with a trailing slash", p.mint(t, with(func(c map[string]any) { c["iss"] = p.issuer + "/" })), signout.ErrInvalidToken, nil, true},
		{"another client", p.mint(t, with(func(c map[string]any) { c["client_id"] = "otherclient" })), signout.ErrInvalidToken, nil, false},
		{"ID token where access is wanted", p.mint(t, p.idClaims(now)), signout.ErrInvalidToken, nil, false},
		{"unknown token_use", p.mint(t, with(func(c map[string]any) { c["token_use"] = "refresh" })), signout.ErrInvalidToken, nil, false},
		{"no sub", p.mint(t, with(func(c map[string]any) { delete(c, "sub") })), signout.ErrInvalidToken, nil, false},
		{"no exp", p.mint(t, with(func(c map[string]any) { delete(c, "exp") })), signout.ErrInvalidToken, nil, false},
		{"expired", p.mint(t, with(func(c map[string]any) { c["exp"] = now.Add(-defaultLeeway - time.Second).Unix() })), signout.ErrTokenExpired, nil, false},
		{"expired, leeway 0", p.mint(t, with(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })), signout.ErrTokenExpired, []Option{WithLeeway(0)}, false},
		{"issued in the future", p.mint(t, with(func(c map[string]any) { c["iat"] = now.Add(defaultLeeway + time.Minute).Unix() })), signout.ErrInvalidToken, nil, false},
		{"not before in the future", p.mint(t, with(func(c map[string]any) { c["nbf"] = now.Add(defaultLeeway + time.Minute).Unix() })), signout.ErrInvalidToken, nil, false},
		{"missing scope", valid, signout.ErrMissingScope, []Option{WithRequirements(AllScopes("openid", "orders.write"))}, false},
		{"scope as a substring only", p.mint(t, with(func(c map[string]any) { c["scope"] = "orders.writer" })), signout.ErrMissingScope, []Option{WithRequirements(AllScopes("orders.write"))}, false},
		{"missing group", valid, signout.ErrMissingScope, []Option{WithRequirements(AllGroups("admins", "billing"))}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := p.verifier(t, clk, tc.opts...)
			before := p.fetches.Load()
			_, err := v.Verify(context.Background(), tc.token)
			assertRefused(t, err, tc.kind, tc.token)
			if tc.noJWKS {
				assert.Equal(t, before, p.fetches.Load(), "refused without fetching the JWKS")
			}
			// Refused tokens are not cached: the same token is refused again.
			_, err = v.Verify(context.Background(), tc.token)
			assert.ErrorIs(t, err, tc.kind)
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestVerifyLeeway(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	now := clk.Now()
	c := p.claims(now)
	c["exp"] = now.Add(-defaultLeeway / 2).Unix()
	c["iat"] = now.Add(defaultLeeway / 2).Unix()
	_, err := p.verifier(t, clk).Verify(context.Background(), p.mint(t, c))
	require.NoError(t, err, "within the leeway on both sides")
}

func TestVerifyScopesAndGroups(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithRequirements(AllScopes("email", "openid")), WithRequirements(AllGroups("staff")))
	_, err := v.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
}

func TestVerifyCachesVerifiedTokens(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	tok := p.mint(t, p.claims(clk.Now()))
	first, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	second, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Same(t, first, second, "the second verification is served from the cache")
	assert.Equal(t, int32(1), p.fetches.Load())

	// exp is still checked on a cached token.
	clk.Advance(time.Hour + defaultLeeway + time.Second)
	_, err = v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrTokenExpired, tok)
	_, ok := v.cache.get(tokenHash(tok))
	assert.False(t, ok, "an expired entry is dropped")
}

func TestVerifyWithoutCache(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithCacheSize(0))
	tok := p.mint(t, p.claims(clk.Now()))
	first, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	second, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.NotSame(t, first, second)
	assert.Equal(t, first, second)
}

func TestCacheIsBounded(t *testing.T) {
	c := newCache(4)
	now := time.Now()
	for i := range 100 {
		c.put([32]byte{byte(i)}, cached{deadline: now.Add(time.Hour)}, now)
		require.LessOrEqual(t, len(c.m), 4)
	}
	_, ok := c.get([32]byte{99})
	assert.True(t, ok, "the newest entry is kept")
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	c := newCache(3)
	now := time.Now()
	c.put([32]byte{1}, cached{deadline: now.Add(time.Hour)}, now)
	c.put([32]byte{2}, cached{deadline: now.Add(-time.Second)}, now)
	c.put([32]byte{3}, cached{deadline: now.Add(-time.Second)}, now)
	c.put([32]byte{4}, cached{deadline: now.Add(time.Hour)}, now)
	_, ok := c.get([32]byte{4})
	assert.True(t, ok)
	assert.Len(t, c.m, 2, "both expired entries went, the live one stayed")
	_, ok = c.get([32]byte{1})
	assert.True(t, ok)
}

// fakeStore is a RevocationStore that revokes listed subjects, or fails.
type fakeStore struct {
	mu      sync.Mutex
	revoked map[string]bool
	err     error
	calls   int
}

func (f *fakeStore) Revoked(_, subject, _ string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.revoked[subject], f.err
}

func TestVerifyChecksRevocationOnEveryRequest(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	checker := &fakeStore{revoked: map[string]bool{}}
	v := p.verifier(t, clk, WithRevocationStore(checker))
	tok := p.mint(t, p.claims(clk.Now()))
	_, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)

	checker.mu.Lock()
	checker.revoked["8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b"] = true
	checker.mu.Unlock()
	_, err = v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrTokenRevoked, tok)
	assert.Equal(t, 2, checker.calls, "the cached token was checked again")
}

// TestVerifyCutoffAppliesToAuthTime: a token refreshed after a sign-out
// (iat after the cutoff) of a session begun before it (auth_time before) is
// refused, for a user's and a pool's cutoff; Cognito keeps auth_time across
// refreshes, and iat would let every refreshed token through.
func TestVerifyCutoffAppliesToAuthTime(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	now := clk.Now()
	cutoff := now.Add(-time.Hour)
	token := func(authTime, iat time.Time) string {
		c := p.claims(now)
		c["auth_time"], c["iat"] = authTime.Unix(), iat.Unix()
		return p.mint(t, c)
	}
	refreshed := token(cutoff.Add(-time.Hour), now.Add(-time.Minute))
	signedInAfter := token(cutoff.Add(time.Minute), now.Add(-time.Minute))
	sub := p.claims(now)["sub"].(string)
	for name, rec := range map[string]signout.Revocation{
		"user": {UserPoolID: p.id, Subject: sub, At: cutoff},
		"pool": {UserPoolID: p.id, At: cutoff},
	} {
		t.Run(name, func(t *testing.T) {
			store := revocation.New()
			require.NoError(t, store.Revoke(context.Background(), rec))
			v := p.verifier(t, clk, WithRevocationStore(store))
			_, err := v.Verify(context.Background(), refreshed)
			assertRefused(t, err, signout.ErrTokenRevoked, refreshed)
			_, err = v.Verify(context.Background(), signedInAfter)
			require.NoError(t, err, "a sign-in after the cutoff is accepted")
		})
	}
}

func TestVerifyRevocationStoreFailureFailsClosed(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	tests := []struct {
		name string
		err  error
		kind error
	}{
		{"typed", &signout.Error{Op: "Revoked", Kind: signout.ErrNetwork, Message: "redis unreachable for 6s"}, signout.ErrNetwork},
		{"untyped", errors.New("boom"), signout.ErrService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := p.verifier(t, clk, WithRevocationStore(&fakeStore{err: tc.err}))
			tok := p.mint(t, p.claims(clk.Now()))
			_, err := v.Verify(context.Background(), tok)
			assertRefused(t, err, tc.kind, tok)
			assert.NotErrorIs(t, err, signout.ErrNotAuthorized, "an unchecked token is not a bad token")
		})
	}
}

func TestNewRefusesInvalidOptions(t *testing.T) {
	pool := WithPool("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "client")
	tests := []struct {
		name string
		opts []Option
		op   string
	}{
		{"no pool", nil, "WithPool"},
		{"http issuer", []Option{WithPool("http://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "c")}, "WithPool"},
		{"issuer without pool id", []Option{WithPool("https://cognito-idp.us-east-1.amazonaws.com", "c")}, "WithPool"},
		{"issuer with a deeper path", []Option{WithPool("https://example.com/a/b", "c")}, "WithPool"},
		{"no client", []Option{WithPool("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC")}, "WithPool"},
		{"empty client", []Option{WithPool("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "")}, "WithPool"},
		{"endpoint without scheme", []Option{pool, WithEndpoint("localhost:5000")}, "WithEndpoint"},
		{"endpoint with user info", []Option{pool, WithEndpoint("http://user:s3cret@127.0.0.1:5000")}, "WithEndpoint"},
		{"endpoint with user only", []Option{pool, WithEndpoint("https://s3cret@example.com")}, "WithEndpoint"},
		{"endpoint with query", []Option{pool, WithEndpoint("http://127.0.0.1:5000/?key=s3cret")}, "WithEndpoint"},
		{"endpoint with fragment", []Option{pool, WithEndpoint("http://127.0.0.1:5000/#s3cret")}, "WithEndpoint"},
		{"issuer with user info", []Option{WithPool("https://user:s3cret@cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "c")}, "WithPool"},
		{"nil http client", []Option{pool, WithHTTPClient(nil)}, "WithHTTPClient"},
		{"no token use", []Option{pool, WithTokenUse()}, "WithTokenUse"},
		{"refresh token use", []Option{pool, WithTokenUse("refresh")}, "WithTokenUse"},
		{"scope with a space", []Option{pool, WithRequirements(AllScopes("a b"))}, "WithRequirements"},
		{"empty group", []Option{pool, WithRequirements(AllGroups(""))}, "WithRequirements"},
		{"negative leeway", []Option{pool, WithLeeway(-time.Second)}, "WithLeeway"},
		{"huge leeway", []Option{pool, WithLeeway(time.Hour)}, "WithLeeway"},
		{"nil revocations", []Option{pool, WithRevocationStore(nil)}, "WithRevocationStore"},
		{"negative cache", []Option{pool, WithCacheSize(-1)}, "WithCacheSize"},
		{"negative interval", []Option{pool, WithRefreshInterval(-time.Second)}, "WithRefreshInterval"},
		{"zero interval", []Option{pool, WithRefreshInterval(0)}, "WithRefreshInterval"},
		{"pool id without its region", []Option{WithPool("local_AbC", "c")}, "WithPool"},
		{"UPDATED issuer naming another region", []Option{WithPool("https://issuer-cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC", "c")}, "WithPool"},
		{"replica region misspelt", []Option{pool, WithReplicaRegions("us-east-1_AbC", "Europe")}, "WithReplicaRegions"},
		{"replicas without a region", []Option{pool, WithReplicaRegions("us-east-1_AbC")}, "WithReplicaRegions"},
		{"replicas of an issuer URL", []Option{pool, WithReplicaRegions("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "eu-west-1")}, "WithReplicaRegions"},
		{"the primary as a replica", []Option{pool, WithReplicaRegions("us-east-1_AbC", "us-east-1")}, "WithReplicaRegions"},
		{"a replica region twice", []Option{pool, WithReplicaRegions("us-east-1_AbC", "eu-west-1", "eu-west-1")}, "WithReplicaRegions"},
		{"replicas of a pool not given", []Option{pool, WithReplicaRegions("eu-west-1_Zz", "eu-west-2")}, "WithReplicaRegions"},
		{"replicas of a pool given by an emulator's URL", []Option{WithPool("https://emulator.example/us-east-1_AbC", "c"), WithReplicaRegions("us-east-1_AbC", "eu-west-1")}, "WithReplicaRegions"},
		{"any of no scope", []Option{pool, WithRequirements(AnyScope())}, "WithRequirements"},
		{"all of no group", []Option{pool, WithRequirements(AllGroups())}, "WithRequirements"},
		{"nil check", []Option{pool, WithRequirements(Check(nil))}, "WithRequirements"},
		{"zero requirement", []Option{pool, WithRequirements(Requirement{})}, "WithRequirements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.opts...)
			assert.Nil(t, v)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.op, se.Op)
			assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), "s3cret", "an option's value is not quoted")
		})
	}
}

func TestWithPoolRepeatedMergesClients(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithPool(p.issuer, "second-client"))
	c := p.claims(clk.Now())
	c["client_id"] = "second-client"
	_, err := v.Verify(context.Background(), p.mint(t, c))
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
}

func TestVerifyRepeatedTokenDoesNotAllocate(t *testing.T) {
	p := newTestPool(t)
	v := p.verifier(t, nil, WithRevocationStore(&fakeStore{revoked: map[string]bool{}}))
	tok := p.mint(t, p.claims(time.Now()))
	_, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	ctx := context.Background()
	route := []Requirement{AllScopes("openid"), AnyGroup("billing", "staff")}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, tok, route...); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// signRaw signs payload, JSON written by hand, so that a test controls the
// order, case and repetition of claim names, which json.Marshal of a map
// does not.
func signRaw(t testing.TB, key *rsa.PrivateKey, kid, payload string) string {
	t.Helper()
	input := b64([]byte(`{"alg":"RS256","kid":"`+kid+`"}`)) + "." + b64([]byte(payload))
	h := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	require.NoError(t, err)
	return input + "." + b64(sig)
}

// TestVerifyClaimNamesAreCaseSensitive: a claim name in another case, or
// given twice, must not stand in for the real claim. encoding/json matches
// names case-insensitively and lets the last of two win.
func TestVerifyClaimNamesAreCaseSensitive(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	now := clk.Now()
	sub := p.claims(now)["sub"].(string)
	// base is a valid access token's claims but for the ones each case
	// gives, in order.
	base := func(extra string) string {
		return fmt.Sprintf(`{"iss":%q,"auth_time":%d,"iat":%d,"origin_jti":"o-1","jti":"j-1","username":"alice",%s}`,
			p.issuer, now.Unix(), now.Unix(), extra)
	}
	exp, past := now.Add(time.Hour).Unix(), now.Add(-time.Hour).Unix()
	tests := []struct {
		name    string
		payload string
		opts    []Option
		kind    error
	}{
		{"Token_Use", base(fmt.Sprintf(`"sub":%q,"client_id":%q,"scope":"openid","exp":%d,"token_use":"id","Token_Use":"access"`, sub, p.client, exp)), nil, signout.ErrInvalidToken},
		{"EXP", base(fmt.Sprintf(`"sub":%q,"client_id":%q,"scope":"openid","token_use":"access","exp":%d,"EXP":%d`, sub, p.client, past, exp)), nil, signout.ErrTokenExpired},
		{"CLIENT_ID", base(fmt.Sprintf(`"sub":%q,"scope":"openid","token_use":"access","exp":%d,"client_id":"other","CLIENT_ID":%q`, sub, exp, p.client)), nil, signout.ErrInvalidToken},
		{"SUB", base(fmt.Sprintf(`"client_id":%q,"scope":"openid","token_use":"access","exp":%d,"sub":"revoked-user","SUB":"someone-else"`, p.client, exp)), nil, signout.ErrTokenRevoked},
		{"SCOPE", base(fmt.Sprintf(`"sub":%q,"client_id":%q,"token_use":"access","exp":%d,"scope":"openid","SCOPE":"openid orders.write"`, sub, p.client, exp)), []Option{WithRequirements(AllScopes("orders.write"))}, signout.ErrMissingScope},
		{"Cognito:Groups", base(fmt.Sprintf(`"sub":%q,"client_id":%q,"scope":"openid","token_use":"access","exp":%d,"cognito:groups":["staff"],"Cognito:Groups":["admins"]`, sub, p.client, exp)), []Option{WithRequirements(AllGroups("admins"))}, signout.ErrMissingScope},
		{"exp twice", base(fmt.Sprintf(`"sub":%q,"client_id":%q,"scope":"openid","token_use":"access","exp":%d,"exp":%d`, sub, p.client, past, exp)), nil, signout.ErrInvalidToken},
		{"sub twice", base(fmt.Sprintf(`"client_id":%q,"scope":"openid","token_use":"access","exp":%d,"sub":"revoked-user","sub":"someone-else"`, p.client, exp)), nil, signout.ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{revoked: map[string]bool{"revoked-user": true}}
			v := p.verifier(t, clk, append([]Option{WithRevocationStore(store)}, tc.opts...)...)
			tok := signRaw(t, keyA(), "kid-a", tc.payload)
			_, err := v.Verify(context.Background(), tok)
			assertRefused(t, err, tc.kind, tok)
		})
	}
}

// TestVerifyTokenSpellingIsCanonical: one token has one spelling, so that
// neither its meaning nor its cache key can be varied. Go's base64 decoder
// skips CR and LF and accepts unused bits set; '=' padding is not part of a
// JWS.
func TestVerifyTokenSpellingIsCanonical(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	// A token whose claims segment has unused bits, so that padding and
	// bits can be added to it.
	var valid string
	var parts []string
	for i := 0; len(parts) == 0 || len(parts[1])%4 == 0; i++ {
		c := p.claims(clk.Now())
		c["jti"] = strings.Repeat("j", i)
		valid = p.mint(t, c)
		parts = strings.Split(valid, ".")
	}
	// lastBitsSet sets the unused low bits of a segment's last character,
	// which decodes to the same bytes.
	lastBitsSet := func(seg string) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		unused := map[int]int{2: 4, 3: 2}[len(seg)%4]
		require.NotZero(t, unused, "segment has no unused bits")
		i := strings.IndexByte(alphabet, seg[len(seg)-1])
		return seg[:len(seg)-1] + string(alphabet[i|(1<<unused-1)])
	}
	pad := func(seg string) string { return seg + strings.Repeat("=", (4-len(seg)%4)%4) }
	mid := func(seg, insert string) string { return seg[:len(seg)/2] + insert + seg[len(seg)/2:] }
	tests := []struct{ name, token string }{
		{"CR LF in the claims", parts[0] + "." + mid(parts[1], "\r\n") + "." + parts[2]},
		{"LF in the signature", parts[0] + "." + parts[1] + "." + mid(parts[2], "\n")},
		{"unused bits set in the signature", parts[0] + "." + parts[1] + "." + lastBitsSet(parts[2])},
		{"unused bits set in the claims", parts[0] + "." + lastBitsSet(parts[1]) + "." + parts[2]},
		{"padding on the signature", parts[0] + "." + parts[1] + "." + pad(parts[2])},
		{"padding on the claims", parts[0] + "." + pad(parts[1]) + "." + parts[2]},
	}
	v := p.verifier(t, clk)
	_, err := v.Verify(context.Background(), valid)
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEqual(t, valid, tc.token)
			_, err := v.Verify(context.Background(), tc.token)
			assertRefused(t, err, signout.ErrInvalidToken, tc.token)
		})
	}
}

func TestClaimsDecode(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	type profile struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Tenant        string `json:"custom:tenant"`
		Plan          struct {
			Name  string `json:"name"`
			Seats int    `json:"seats"`
		} `json:"plan"` // added by a pre-token-generation Lambda trigger
	}
	c := p.claims(clk.Now())
	c["email"], c["email_verified"], c["custom:tenant"] = "alice@example.com", true, "acme"
	c["plan"] = map[string]any{"name": "pro", "seats": 5}
	claims, err := v.Verify(context.Background(), p.mint(t, c))
	require.NoError(t, err)
	var got profile
	require.NoError(t, claims.Decode(&got))
	assert.Equal(t, "alice@example.com", got.Email)
	assert.True(t, got.EmailVerified)
	assert.Equal(t, "acme", got.Tenant)
	assert.Equal(t, "pro", got.Plan.Name)
	assert.Equal(t, 5, got.Plan.Seats)
	var all map[string]any
	require.NoError(t, claims.Decode(&all))
	assert.Equal(t, "acme", all["custom:tenant"])

	tests := []struct {
		name    string
		payload string
		check   func(t *testing.T, c *Claims)
	}{
		{"a name in another case is another claim", `"Email":"mallory@example.com","CUSTOM:TENANT":"evil"`, func(t *testing.T, c *Claims) {
			var got profile
			require.NoError(t, c.Decode(&got))
			assert.Empty(t, got.Email)
			assert.Empty(t, got.Tenant)
		}},
		{"a name given twice in a nested claim", `"plan":{"name":"free","name":"pro"}`, func(t *testing.T, c *Claims) {
			var got profile
			assertRefused(t, c.Decode(&got), signout.ErrInvalidToken, "")
			var all map[string]any
			assertRefused(t, c.Decode(&all), signout.ErrInvalidToken, "")
		}},
		{"a claim of another type", `"plan":{"name":"pro","seats":"s3cret-seats"}`, func(t *testing.T, c *Claims) {
			var got profile
			err := c.Decode(&got)
			assertRefused(t, err, signout.ErrInvalidToken, "")
			assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), "s3cret", "the claims are not quoted")
		}},
	}
	now := clk.Now()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := signRaw(t, keyA(), "kid-a", fmt.Sprintf(`{"iss":%q,"sub":"s","client_id":%q,"token_use":"access","iat":%d,"exp":%d,%s}`,
				p.issuer, p.client, now.Unix(), now.Add(time.Hour).Unix(), tc.payload))
			c, err := v.Verify(context.Background(), tok)
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestVerifyRefusesUnknownCrit(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	for name, header := range map[string]string{
		"an extension":      `{"alg":"RS256","kid":"kid-a","crit":["urn:example:policy"],"urn:example:policy":"x"}`,
		"unencoded payload": `{"alg":"RS256","kid":"kid-a","crit":["b64"],"b64":false}`,
	} {
		t.Run(name, func(t *testing.T) {
			input := b64([]byte(header)) + "." + b64(mustJSON(p.claims(clk.Now())))
			h := sha256.Sum256([]byte(input))
			sig, err := rsa.SignPKCS1v15(rand.Reader, keyA(), crypto.SHA256, h[:])
			require.NoError(t, err)
			tok := input + "." + b64(sig)
			_, err = v.Verify(context.Background(), tok)
			assertRefused(t, err, signout.ErrInvalidToken, tok)
			assert.Contains(t, err.Error(), "critical extensions (crit)")
		})
	}
	assert.Zero(t, p.fetches.Load(), "refused before the JWKS is fetched")
}

func TestLoad(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	assert.Zero(t, p.fetches.Load(), "New fetches nothing")
	require.NoError(t, v.Load(context.Background()))
	require.NoError(t, v.Load(context.Background()), "a readiness probe asks again")
	assert.Equal(t, int32(1), p.fetches.Load())
	_, err := v.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
	assert.Equal(t, int32(1), p.fetches.Load(), "the first request does not fetch")
}

func TestLoadNotReady(t *testing.T) {
	p := newTestPool(t)
	p.answer(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	clk := newClock()
	v := p.verifier(t, clk)
	err := v.Load(context.Background())
	assertRefused(t, err, signout.ErrService, "")
	assert.NotErrorIs(t, err, signout.ErrNotAuthorized)
	assertRefused(t, v.Load(context.Background()), signout.ErrService, "")
	assert.Equal(t, int32(1), p.fetches.Load(), "a probe does not ask a failing endpoint more than once a second")

	p.answer(nil)
	clk.Advance(time.Second)
	require.NoError(t, v.Load(context.Background()))
	assert.Equal(t, int32(2), p.fetches.Load())
}

// TestLoadEveryPool: Load fetches the JWKS of each pool once, and names a
// pool whose JWKS cannot be had.
func TestLoadEveryPool(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		if strings.Contains(r.URL.Path, "_Down") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}}}))
	}))
	t.Cleanup(srv.Close)
	v, err := New(WithPool("us-east-1_One", "c1"), WithPool("us-west-2_Two", "c2"), WithEndpoint(srv.URL))
	require.NoError(t, err)
	require.NoError(t, v.Load(context.Background()))
	require.NoError(t, v.Load(context.Background()))
	assert.Equal(t, map[string]int{"/us-east-1_One/.well-known/jwks.json": 1, "/us-west-2_Two/.well-known/jwks.json": 1}, asked)

	v, err = New(WithPool("us-east-1_One", "c1"), WithPool("us-west-2_Down", "c2"), WithEndpoint(srv.URL))
	require.NoError(t, err)
	err = v.Load(context.Background())
	assertRefused(t, err, signout.ErrService, "")
	assert.Contains(t, err.Error(), "us-west-2_Down", "the failing pool's JWKS URL is named")
}
