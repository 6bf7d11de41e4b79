package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

func TestMiddleware(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	checker := &fakeStore{revoked: map[string]bool{"revoked-user": true}}
	v := p.verifier(t, clk, WithRevocationStore(checker), WithRequirements(AllScopes("email")))
	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFromContext(r.Context())
		if !assert.True(t, ok) {
			return
		}
		w.Write([]byte("hello " + c.Username))
	}))

	now := clk.Now()
	valid := p.mint(t, p.claims(now))
	expiredClaims := p.claims(now)
	expiredClaims["exp"] = now.Add(-defaultLeeway * 2).Unix()
	revokedClaims := p.claims(now)
	revokedClaims["sub"] = "revoked-user"
	noScope := p.claims(now)
	noScope["scope"] = "openid"
	tests := []struct {
		name      string
		header    []string
		status    int
		challenge string
		body      string
	}{
		{"valid", []string{"Bearer " + valid}, 200, "", "hello alice"},
		{"scheme in lower case", []string{"bearer " + valid}, 200, "", "hello alice"},
		{"no header", nil, 401, `Bearer`, "bearer token required\n"},
		{"basic auth", []string{"Basic YWxpY2U6cGFzcw=="}, 401, `Bearer`, "bearer token required\n"},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, 400, `Bearer error="invalid_request", error_description="malformed Authorization header"`, "invalid_request\n"},
		{"bearer without token", []string{"Bearer "}, 400, `Bearer error="invalid_request", error_description="malformed Authorization header"`, "invalid_request\n"},
		{"token with a space", []string{"Bearer " + valid + " extra"}, 400, `Bearer error="invalid_request", error_description="malformed Authorization header"`, "invalid_request\n"},
		{"garbage token", []string{"Bearer not-a-token"}, 401, `Bearer error="invalid_token", error_description="the token is invalid"`, "invalid_token\n"},
		{"expired", []string{"Bearer " + p.mint(t, expiredClaims)}, 401, `Bearer error="invalid_token", error_description="the token expired"`, "invalid_token\n"},
		{"revoked", []string{"Bearer " + p.mint(t, revokedClaims)}, 401, `Bearer error="invalid_token", error_description="the token was revoked"`, "invalid_token\n"},
		{"missing scope", []string{"Bearer " + p.mint(t, noScope)}, 403, `Bearer error="insufficient_scope", error_description="the token lacks a required scope or group"`, "insufficient_scope\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api", nil)
			for _, h := range tc.header {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, tc.body, rec.Body.String())
			if tc.status != 200 {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			}
			for _, h := range tc.header {
				token := strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "bearer ")
				var headers []string
				for k, vs := range rec.Header() {
					headers = append(headers, k+": "+strings.Join(vs, ","))
				}
				if tc.status != 200 {
					assertNoToken(t, token, rec.Body.String(), strings.Join(headers, "\n"))
				}
			}
		})
	}
}

func TestMiddlewareUncheckableTokenIs503(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithRevocationStore(&fakeStore{err: &signout.Error{Kind: signout.ErrNetwork, Message: "stale"}}))
	called := false
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	req := httptest.NewRequest(http.MethodGet, "/api", nil)
	tok := p.mint(t, p.claims(clk.Now()))
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.False(t, called)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"), "the client's token is not at fault")
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assertNoToken(t, tok, rec.Body.String())
}

func TestClaimsFromContextWithoutMiddleware(t *testing.T) {
	c, ok := ClaimsFromContext(context.Background())
	assert.False(t, ok)
	assert.Nil(t, c)
}

func TestRefuseErrorCoversEveryKind(t *testing.T) {
	for _, kind := range []error{signout.ErrTokenExpired, signout.ErrTokenRevoked, signout.ErrInvalidToken, signout.ErrMissingScope, signout.ErrNotAuthorized} {
		rec := httptest.NewRecorder()
		refuseError(rec, &signout.Error{Kind: kind})
		require.Contains(t, []int{401, 403}, rec.Code, kind)
	}
	for _, kind := range []error{signout.ErrNetwork, signout.ErrTimeout, signout.ErrService, context.Canceled, errors.New("other")} {
		rec := httptest.NewRecorder()
		refuseError(rec, &signout.Error{Kind: kind})
		require.Equal(t, 503, rec.Code, kind)
	}
}

// TestMiddlewareCallersHangingUpKeepTheRefetchLimit: requests with tokens
// naming random keys, whose clients hang up while the JWKS is being
// fetched, must not make one fetch each: a fetch a caller abandons still
// completes and counts.
func TestMiddlewareCallersHangingUpKeepTheRefetchLimit(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	_, err := v.Verify(context.Background(), p.mint(t, p.claims(clk.Now())))
	require.NoError(t, err)
	require.Equal(t, int32(1), p.fetches.Load())
	clk.Advance(defaultRefreshInterval) // a fetch for an unknown key is allowed again

	entered, release := make(chan struct{}, 16), make(chan struct{})
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		p.mu.Lock()
		body := p.jwksLocked()
		p.mu.Unlock()
		w.Write(body)
	})
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a token of an unknown key was accepted") }))
	for i := range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api", nil)
		req.Header.Set("Authorization", "Bearer "+signRS256(t, keyA(), fmt.Sprint("kid-random-", i), p.claims(clk.Now())))
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}()
		select {
		case <-entered: // this request caused a fetch: hang up during it
			cancel()
			<-done
			release <- struct{}{}
		case <-done:
		}
		cancel()
	}
	assert.Equal(t, int32(2), p.fetches.Load(), "one fetch for the five unknown keys")
}

// TestMiddlewarePerRoute: one Verifier guards routes with requirements of
// their own.
func TestMiddlewarePerRoute(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux := http.NewServeMux()
	mux.Handle("/staff", v.Middleware(ok, AnyGroup("staff", "contractors")))
	mux.Handle("/billing", v.Middleware(ok, AllGroups("billing")))
	mux.Handle("/orders", v.Middleware(ok, AnyScope("orders.read", "email"), Check(func(c *Claims) error {
		if c.Username != "alice" {
			return errNotOwner
		}
		return nil
	})))
	mux.Handle("/misconfigured", v.Middleware(ok, AnyScope()))
	tok := p.mint(t, p.claims(clk.Now()))
	for path, status := range map[string]int{"/staff": 200, "/billing": 403, "/orders": 200, "/misconfigured": 503} {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			assert.Equal(t, status, rec.Code)
		})
	}
	assert.Equal(t, int32(1), p.fetches.Load())
}
