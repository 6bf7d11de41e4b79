package verify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

// TestVerifyKeyFailures: each way the pool's keys can fail maps to its
// signout kind, and a token that could not be checked is not called bad.
func TestVerifyKeyFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	unused := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	slow := &http.Transport{}
	t.Cleanup(slow.CloseIdleConnections)

	tests := []struct {
		name     string
		handler  http.HandlerFunc
		ctx      context.Context
		opts     []Option
		kind     error
		notAuthz bool // the token itself was judged
	}{
		{"JWKS answers 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, nil, nil, signout.ErrService, false},
		{"JWKS unreachable", nil, nil, []Option{WithEndpoint(unused)}, signout.ErrNetwork, false},
		{"JWKS too slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, nil,
			[]Option{WithHTTPClient(&http.Client{Transport: slow, Timeout: 50 * time.Millisecond})}, signout.ErrTimeout, false},
		{"caller canceled", nil, canceled, nil, context.Canceled, false},
		{"caller's deadline passed", nil, expired, nil, signout.ErrTimeout, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPool(t)
			p.answer(tc.handler)
			clk := newClock()
			v := p.verifier(t, clk, tc.opts...)
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			tok := p.mint(t, p.claims(clk.Now()))
			_, err := v.Verify(ctx, tok)
			assertRefused(t, err, tc.kind, tok)
			assert.NotErrorIs(t, err, signout.ErrNotAuthorized, "the token was not judged")
			// A fetch started by a caller that went away completes: wait
			// for it before the test ends.
			p.answer(nil)
			_ = v.Load(context.Background())
		})
	}
}

func TestVerifyDeadlineMatchesContextError(t *testing.T) {
	p := newTestPool(t)
	release := make(chan struct{})
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		<-release
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Write(p.jwksLocked())
	})
	clk := newClock()
	v := p.verifier(t, clk)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := v.Verify(ctx, p.mint(t, p.claims(clk.Now())))
	assert.ErrorIs(t, err, signout.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, v.Load(context.Background()))
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
