package jwks

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/internal/token"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// RSA key generation is slow: two keys serve every test.
var (
	keyA = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
	keyB = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
)

func genKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Keys"

// endpoint serves a JWKS, counts its requests, and can be told to answer
// otherwise.
type endpoint struct {
	srv     *httptest.Server
	fetches atomic.Int32

	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	handler http.HandlerFunc
}

func newEndpoint(t testing.TB) *endpoint {
	t.Helper()
	e := &endpoint{keys: map[string]*rsa.PrivateKey{"kid-a": keyA()}}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.fetches.Add(1)
		e.mu.Lock()
		h := e.handler
		e.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Write(e.jwks())
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) url() string { return e.srv.URL + "/us-east-1_Keys" + WellKnown }

func (e *endpoint) jwks() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	var keys []jose.JSONWebKey
	for kid, k := range e.keys {
		keys = append(keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	return b
}

func (e *endpoint) answer(h http.HandlerFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handler = h
}

func (e *endpoint) serve(kid string, key *rsa.PrivateKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys[kid] = key
}

func newSet(e *endpoint, clk *testenv.Clock) *Set {
	return New(Config{URLs: []string{e.url()}, Now: clk.Now})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign returns a parsed token with header and claims, signed with key.
func sign(t testing.TB, key *rsa.PrivateKey, header map[string]any, claims string) *token.Token {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	input := b64(h) + "." + b64([]byte(claims))
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	tok, err := token.Parse(input + "." + b64(sig))
	require.NoError(t, err)
	return tok
}

func tokenOf(t testing.TB, key *rsa.PrivateKey, kid string) *token.Token {
	t.Helper()
	return sign(t, key, map[string]any{"alg": "RS256", "kid": kid}, `{"iss":"`+issuer+`","sub":"s"}`)
}

// assertKind checks err's kind and that it never quotes tok.
func assertKind(t *testing.T, err error, kind Kind, tok *token.Token) {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want *Error, got %T: %v", err, err)
	assert.Equal(t, kind, e.Kind, e.Reason)
	if tok != nil {
		for _, part := range strings.Split(tok.SigningInput, ".") {
			assert.NotContains(t, e.Reason, part)
		}
		assert.NotContains(t, e.Reason, b64(tok.Signature))
	}
}

func TestVerify(t *testing.T) {
	e := newEndpoint(t)
	clk := testenv.NewClock(time.Now())
	s := newSet(e, clk)
	good := tokenOf(t, keyA(), "kid-a")
	require.NoError(t, s.Verify(context.Background(), good))

	forged := tokenOf(t, keyB(), "kid-a")
	tampered := *good
	tampered.SigningInput = strings.Replace(good.SigningInput, ".", ".e30", 1)
	truncated := *good
	truncated.Signature = good.Signature[:len(good.Signature)-1]
	tests := []struct {
		name string
		tok  *token.Token
		kind Kind
	}{
		{"another key, the pool's kid", forged, Invalid},
		{"signed input changed", &tampered, Invalid},
		{"signature truncated", &truncated, Invalid},
		{"RS512", sign(t, keyA(), map[string]any{"alg": "RS512", "kid": "kid-a"}, `{}`), Invalid},
		{"HS256", sign(t, keyA(), map[string]any{"alg": "HS256", "kid": "kid-a"}, `{}`), Invalid},
		{"no kid", sign(t, keyA(), map[string]any{"alg": "RS256"}, `{}`), Invalid},
		{"crit", sign(t, keyA(), map[string]any{"alg": "RS256", "kid": "kid-a", "crit": []string{"exp"}, "exp": 1}, `{}`), Invalid},
		{"crit b64", sign(t, keyA(), map[string]any{"alg": "RS256", "kid": "kid-a", "crit": []string{"b64"}, "b64": false}, `{}`), Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertKind(t, s.Verify(context.Background(), tc.tok), tc.kind, tc.tok)
		})
	}
	assert.Equal(t, int32(1), e.fetches.Load(), "refused without another fetch")
}

func TestVerifyCritIsRefusedBeforeAFetch(t *testing.T) {
	e := newEndpoint(t)
	s := newSet(e, testenv.NewClock(time.Now()))
	tok := sign(t, keyA(), map[string]any{"alg": "RS256", "kid": "kid-a", "crit": []string{"urn:example:ext"}, "urn:example:ext": true}, `{}`)
	err := s.Verify(context.Background(), tok)
	assertKind(t, err, Invalid, tok)
	assert.Contains(t, err.Error(), "crit")
	assert.Zero(t, e.fetches.Load())
}

func TestFetchedOnceForManyTokens(t *testing.T) {
	e := newEndpoint(t)
	s := newSet(e, testenv.NewClock(time.Now()))
	for range 20 {
		require.NoError(t, s.Verify(context.Background(), tokenOf(t, keyA(), "kid-a")))
	}
	assert.Equal(t, int32(1), e.fetches.Load())
}

func TestConcurrentFirstUseSharesOneFetch(t *testing.T) {
	e := newEndpoint(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.answer(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
		w.Write(e.jwks())
	})
	s := newSet(e, testenv.NewClock(time.Now()))
	tok := tokenOf(t, keyA(), "kid-a")
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Verify(context.Background(), tok) }()
	}
	<-entered
	close(release)
	for range n {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, int32(1), e.fetches.Load())
}

func TestUnknownKidRefetchedAtMostOncePerInterval(t *testing.T) {
	e := newEndpoint(t)
	clk := testenv.NewClock(time.Now())
	s := New(Config{URLs: []string{e.url()}, Now: clk.Now, Interval: time.Minute})
	require.NoError(t, s.Verify(context.Background(), tokenOf(t, keyA(), "kid-a")))

	// Keys the pool never had: refused, without a fetch within the
	// interval.
	for i := range 5 {
		tok := tokenOf(t, keyA(), fmt.Sprint("kid-random-", i))
		assertKind(t, s.Verify(context.Background(), tok), UnknownKey, tok)
	}
	assert.Equal(t, int32(1), e.fetches.Load())

	// After it, one such token causes one fetch.
	clk.Advance(time.Minute)
	tok := tokenOf(t, keyA(), "kid-random-z")
	assertKind(t, s.Verify(context.Background(), tok), UnknownKey, tok)
	assertKind(t, s.Verify(context.Background(), tok), UnknownKey, tok)
	assert.Equal(t, int32(2), e.fetches.Load())
}

// TestAbandonedFetchCompletesAndCounts: callers that go away during a fetch
// do not abort it, and it counts against the limit, whatever they do.
func TestAbandonedFetchCompletesAndCounts(t *testing.T) {
	e := newEndpoint(t)
	clk := testenv.NewClock(time.Now())
	s := newSet(e, clk)
	entered, release := make(chan struct{}), make(chan struct{})
	e.answer(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.Write(e.jwks())
	})
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	tok := tokenOf(t, keyA(), "kid-a")
	go func() { errs <- s.Verify(ctx, tok) }()
	<-entered
	cancel()
	err := <-errs
	assertKind(t, err, Canceled, tok)
	assert.ErrorIs(t, err, context.Canceled)

	// The fetch goes on; the next caller waits for it and does not fetch
	// again.
	close(release)
	require.NoError(t, s.Verify(context.Background(), tok))
	assert.Equal(t, int32(1), e.fetches.Load())
	for i := range 5 {
		random := tokenOf(t, keyA(), fmt.Sprint("kid-random-", i))
		assertKind(t, s.Verify(context.Background(), random), UnknownKey, random)
	}
	assert.Equal(t, int32(1), e.fetches.Load())
}

func TestCallerDeadline(t *testing.T) {
	e := newEndpoint(t)
	release := make(chan struct{})
	e.answer(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write(e.jwks())
	})
	s := newSet(e, testenv.NewClock(time.Now()))
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	tok := tokenOf(t, keyA(), "kid-a")
	err := s.Verify(ctx, tok)
	assertKind(t, err, Timeout, tok)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, s.Load(context.Background()), "the fetch went on")
	assert.Equal(t, int32(1), e.fetches.Load())
}

func TestKeyRotation(t *testing.T) {
	e := newEndpoint(t)
	clk := testenv.NewClock(time.Now())
	s := newSet(e, clk)
	old := tokenOf(t, keyA(), "kid-a")
	require.NoError(t, s.Verify(context.Background(), old))

	e.serve("kid-b", keyB())
	clk.Advance(DefaultInterval)
	require.NoError(t, s.Verify(context.Background(), tokenOf(t, keyB(), "kid-b")), "the new key is picked up")
	require.NoError(t, s.Verify(context.Background(), old), "the old key, still served, too")
	assert.Equal(t, int32(2), e.fetches.Load())
}

func TestFetchFailures(t *testing.T) {
	jwks := func(keys ...jose.JSONWebKey) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
		}
	}
	small := genKey(1024)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }},
		{"404", http.NotFound},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"over 1 MiB", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[` + strings.Repeat(" ", maxBody) + `]}`))
		}},
		{"no keys", jwks()},
		{"only an HMAC key", jwks(jose.JSONWebKey{Key: []byte("secret-secret-secret"), KeyID: "kid-a", Algorithm: "HS256"})},
		{"only a 1024-bit key", jwks(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"})},
		{"key for encryption", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RSA-OAEP", Use: "enc"})},
		{"RS256 key marked for encryption", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "enc"})},
		{"key marked for encryption, no alg", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Use: "enc"})},
		{"key without kid", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, Algorithm: "RS256", Use: "sig"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t)
			e.answer(tc.handler)
			clk := testenv.NewClock(time.Now())
			s := newSet(e, clk)
			tok := tokenOf(t, keyA(), "kid-a")
			assertKind(t, s.Verify(context.Background(), tok), Service, tok)

			// A failing endpoint is not asked again at once...
			assertKind(t, s.Load(context.Background()), Service, nil)
			assert.Equal(t, int32(1), e.fetches.Load())
			// ...but a second later it is, and a mended one serves the keys.
			e.answer(nil)
			clk.Advance(failureWait)
			require.NoError(t, s.Verify(context.Background(), tok))
			assert.Equal(t, int32(2), e.fetches.Load())
		})
	}
}

func TestMixedSetKeepsUsableKeys(t *testing.T) {
	e := newEndpoint(t)
	e.answer(func(w http.ResponseWriter, r *http.Request) {
		good, _ := json.Marshal(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"})
		w.Write([]byte(`{"keys":[{"kty":"OKP","crv":"X9","x":"AA","kid":"odd"},{"kty":"RSA","kid":"broken","n":"!!"},` + string(good) + `]}`))
	})
	s := newSet(e, testenv.NewClock(time.Now()))
	require.NoError(t, s.Verify(context.Background(), tokenOf(t, keyA(), "kid-a")))
}

// TestFailedRefetchKeepsKnownKeys: a JWKS endpoint that fails after the
// keys were loaded does not take them away.
func TestFailedRefetchKeepsKnownKeys(t *testing.T) {
	e := newEndpoint(t)
	clk := testenv.NewClock(time.Now())
	s := newSet(e, clk)
	good := tokenOf(t, keyA(), "kid-a")
	require.NoError(t, s.Verify(context.Background(), good))
	e.answer(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	clk.Advance(DefaultInterval)
	unknown := tokenOf(t, keyA(), "kid-new")
	assertKind(t, s.Verify(context.Background(), unknown), Service, unknown)
	require.NoError(t, s.Verify(context.Background(), good))
	require.NoError(t, s.Load(context.Background()))
}

func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestUnreachable(t *testing.T) {
	s := New(Config{URLs: []string{"http://" + unusedAddr(t) + "/us-east-1_Keys" + WellKnown}})
	tok := tokenOf(t, keyA(), "kid-a")
	assertKind(t, s.Verify(context.Background(), tok), Network, tok)
}

func TestFetchTimeout(t *testing.T) {
	e := newEndpoint(t)
	e.answer(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s := New(Config{URLs: []string{e.url()}, Client: &http.Client{Transport: tr, Timeout: 50 * time.Millisecond}})
	tok := tokenOf(t, keyA(), "kid-a")
	assertKind(t, s.Verify(context.Background(), tok), Timeout, tok)
}

// TestURLOrder: the JWKS is fetched first from the URL under the token's
// issuer, and from the next URL when that one fails.
func TestURLOrder(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/down/") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}}})
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	urls := []string{srv.URL + "/a/P" + WellKnown, srv.URL + "/down/P" + WellKnown, srv.URL + "/c/P" + WellKnown}
	tokenFrom := func(iss string) *token.Token {
		return sign(t, keyA(), map[string]any{"alg": "RS256", "kid": "kid-a"}, `{"iss":"`+iss+`"}`)
	}
	tests := []struct {
		name  string
		iss   string
		asked []string
	}{
		{"the token's issuer first", srv.URL + "/c/P", []string{"/c/P" + WellKnown}},
		{"the configured order for another issuer", "https://elsewhere.example/P", []string{"/a/P" + WellKnown}},
		{"the next one when the token's fails", srv.URL + "/down/P", []string{"/down/P" + WellKnown, "/a/P" + WellKnown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			s := New(Config{URLs: urls})
			require.NoError(t, s.Verify(context.Background(), tokenFrom(tc.iss)))
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tc.asked, asked)
		})
	}
}

func TestLoad(t *testing.T) {
	e := newEndpoint(t)
	s := newSet(e, testenv.NewClock(time.Now()))
	require.NoError(t, s.Load(context.Background()))
	require.NoError(t, s.Load(context.Background()))
	assert.Equal(t, int32(1), e.fetches.Load(), "a loaded set is not fetched again")
	require.NoError(t, s.Verify(context.Background(), tokenOf(t, keyA(), "kid-a")))
	assert.Equal(t, int32(1), e.fetches.Load(), "nor when its keys are used")
}

// TestEndedCallerGetsItsContextError: a caller whose context has ended is
// told so, even when the fetch it started ends at once; the fetch still
// loads the keys.
func TestEndedCallerGetsItsContextError(t *testing.T) {
	e := newEndpoint(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tok := tokenOf(t, keyA(), "kid-a")
	for range 50 {
		s := newSet(e, testenv.NewClock(time.Now()))
		err := s.Verify(ctx, tok)
		assertKind(t, err, Canceled, tok)
		require.NoError(t, s.Load(context.Background()))
	}
}
