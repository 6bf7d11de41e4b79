package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

func TestJWKSFetchedOnceForManyTokens(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithCacheSize(0))
	assert.Zero(t, p.fetches.Load(), "New fetches nothing")
	for i := range 20 {
		c := p.claims(clk.Now())
		c["jti"] = fmt.Sprint(i)
		_, err := v.Verify(context.Background(), p.mint(t, c))
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), p.fetches.Load())
}

func TestJWKSConcurrentFirstUseSharesOneFetch(t *testing.T) {
	p := newTestPool(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
		p.mu.Lock()
		body := p.jwksLocked()
		p.mu.Unlock()
		w.Write(body)
	})
	clk := newClock()
	v := p.verifier(t, clk)
	tok := p.mint(t, p.claims(clk.Now()))
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		}()
	}
	<-entered
	close(release)
	for range n {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, int32(1), p.fetches.Load())
}

func TestJWKSUnknownKidRefetchedAtMostOncePerInterval(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithRefreshInterval(time.Minute))
	_, err := v.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
	require.Equal(t, int32(1), p.fetches.Load())

	// Tokens naming keys the pool never had: refused, and within the
	// interval no fetch is made for them.
	for i := range 5 {
		tok := signRS256(t, keyA(), "kid-random-"+string(rune('a'+i)), p.claims(clk.Now()))
		_, err := v.Verify(context.Background(), tok)
		assertRefused(t, err, signout.ErrInvalidToken, tok)
	}
	assert.Equal(t, int32(1), p.fetches.Load())

	// After the interval one such token causes one fetch.
	clk.Advance(time.Minute + time.Second)
	tok := signRS256(t, keyA(), "kid-random-z", p.claims(clk.Now()))
	_, err = v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrInvalidToken, tok)
	_, err = v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrInvalidToken, tok)
	assert.Equal(t, int32(2), p.fetches.Load())
}

// TestJWKSKeyRotation rotates the pool's signing key on this package's own
// JWKS server; the stand-in's RotateKey is not there yet.
func TestJWKSKeyRotation(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	old := p.mint(t, p.claims(clk.Now()))
	_, err := v.Verify(context.Background(), old)
	require.NoError(t, err)

	p.rotate()
	clk.Advance(defaultRefreshInterval)
	c := p.claims(clk.Now())
	c["jti"] = "after-rotation"
	rotated := p.mint(t, c)
	_, err = v.Verify(context.Background(), rotated)
	require.NoError(t, err, "the new key is picked up")
	assert.Equal(t, int32(2), p.fetches.Load(), "with one more fetch")

	c["jti"] = "after-rotation-2"
	_, err = v.Verify(context.Background(), p.mint(t, c))
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), old)
	require.NoError(t, err, "a token of the old key, still served, is accepted")
	assert.Equal(t, int32(2), p.fetches.Load())
}

func TestJWKSFetchFailures(t *testing.T) {
	jwks := func(keys ...jose.JSONWebKey) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
		}
	}
	small := genKey(1024)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    error
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, signout.ErrService},
		{"404", http.NotFound, signout.ErrService},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, signout.ErrService},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, signout.ErrService},
		{"over 1 MiB", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[` + strings.Repeat(" ", maxJWKSBody) + `]}`))
		}, signout.ErrService},
		{"no keys", jwks(), signout.ErrService},
		{"only an HMAC key", jwks(jose.JSONWebKey{Key: []byte("secret-secret-secret"), KeyID: "kid-a", Algorithm: "HS256"}), signout.ErrService},
		{"only a 1024-bit key", jwks(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}), signout.ErrService},
		{"key for encryption", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RSA-OAEP", Use: "enc"}), signout.ErrService},
		{"RS256 key marked for encryption", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "enc"}), signout.ErrService},
		{"key marked for encryption, no alg", jwks(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Use: "enc"}), signout.ErrService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPool(t)
			p.answer(tc.handler)
			clk := newClock()
			v := p.verifier(t, clk)
			tok := p.mint(t, p.claims(clk.Now()))
			_, err := v.Verify(context.Background(), tok)
			assertRefused(t, err, tc.kind, tok)
			assert.NotErrorIs(t, err, signout.ErrNotAuthorized, "the token was not judged")

			// A failing endpoint is not asked again on the next request...
			_, err = v.Verify(context.Background(), tok)
			assert.ErrorIs(t, err, tc.kind)
			assert.Equal(t, int32(1), p.fetches.Load())
			// ...but a second later it is, and a mended one serves the keys.
			p.answer(nil)
			clk.Advance(time.Second)
			_, err = v.Verify(context.Background(), tok)
			require.NoError(t, err)
			assert.Equal(t, int32(2), p.fetches.Load())
		})
	}
}

func TestJWKSMixedSetKeepsUsableKeys(t *testing.T) {
	p := newTestPool(t)
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		good, _ := json.Marshal(jose.JSONWebKey{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"})
		w.Write([]byte(`{"keys":[{"kty":"OKP","crv":"X9","x":"AA","kid":"odd"},{"kty":"RSA","kid":"broken","n":"!!"},` + string(good) + `]}`))
	})
	clk := newClock()
	_, err := p.verifier(t, clk).Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
}

func TestJWKSUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	p := newTestPool(t)
	clk := newClock()
	v, err := New(WithPool(p.issuer, p.client), WithEndpoint("http://"+addr))
	require.NoError(t, err)
	v.now = clk.Now
	tok := p.mint(t, p.claims(clk.Now()))
	_, err = v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrNetwork, tok)
}

func TestJWKSTimeout(t *testing.T) {
	p := newTestPool(t)
	p.answer(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	clk := newClock()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	v := p.verifier(t, clk, WithHTTPClient(&http.Client{Transport: tr, Timeout: 50 * time.Millisecond}))
	tok := p.mint(t, p.claims(clk.Now()))
	_, err := v.Verify(context.Background(), tok)
	assertRefused(t, err, signout.ErrTimeout, tok)
}

func TestJWKSCallerContext(t *testing.T) {
	p := newTestPool(t)
	entered := make(chan struct{})
	var once sync.Once
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-r.Context().Done()
	})
	clk := newClock()
	v := p.verifier(t, clk)
	tok := p.mint(t, p.claims(clk.Now()))

	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, err := v.Verify(ctx, tok)
		errs <- err
	}()
	<-entered
	cancel()
	err := <-errs
	assertRefused(t, err, context.Canceled, tok)

	// The caller gave up; it did not break the pool: the next caller
	// fetches at once.
	p.answer(nil)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, int32(2), p.fetches.Load())

	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	unknown := signRS256(t, keyA(), "kid-new", p.claims(clk.Now()))
	clk.Advance(defaultRefreshInterval)
	_, err = v.Verify(ctx, unknown)
	assertRefused(t, err, signout.ErrTimeout, unknown)
}

func TestJWKSFromIssuerByDefault(t *testing.T) {
	var got string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		w.Write(mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}}}))
	}))
	defer srv.Close()
	issuer := srv.URL + "/us-east-1_Direct"
	v, err := New(WithPool(issuer, "client"), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	now := time.Now()
	tok := signRS256(t, keyA(), "kid-a", map[string]any{
		"iss": issuer, "sub": "s", "client_id": "client", "token_use": "access", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "/us-east-1_Direct/.well-known/jwks.json", got)
}
