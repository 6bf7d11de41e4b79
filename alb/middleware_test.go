package alb

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// app is a user pool, a load balancer in front of it, a revocation store,
// and a Verifier reading the store, as an application behind a load
// balancer has them.
type app struct {
	srv    *signouttest.Server
	lb     *signouttest.ALB
	store  *revocation.Store
	v      *Verifier
	client *signout.Client
}

func newApp(t *testing.T) *app {
	t.Helper()
	a := &app{srv: signouttest.NewServer(), store: revocation.New()}
	t.Cleanup(a.srv.Close)
	a.lb = signouttest.NewALB(a.srv, http.NotFoundHandler())
	t.Cleanup(a.lb.Close)
	access, err := verify.New(verify.WithPool(a.srv.Issuer, a.srv.ClientID), verify.WithEndpoint(a.srv.URL),
		verify.WithRevocationStore(a.store))
	require.NoError(t, err)
	a.v, err = New(access, WithLoadBalancer(a.lb.ARN), WithKeyEndpoint(a.lb.KeyURL))
	require.NoError(t, err)
	a.client, err = signout.New(signout.WithEndpoint(a.srv.URL), signout.WithPool(a.srv.UserPoolID), signout.WithRevocationStore(a.store))
	require.NoError(t, err)
	t.Cleanup(func() { a.client.Close() })
	return a
}

// request is a request as the load balancer forwards it, with its session
// cookie's two shards.
func request(h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for k, vs := range h {
		r.Header[k] = vs
	}
	r.AddCookie(&http.Cookie{Name: SessionCookie + "-0", Value: "a"})
	r.AddCookie(&http.Cookie{Name: SessionCookie + "-1", Value: "b"})
	r.AddCookie(&http.Cookie{Name: "theme", Value: "dark"})
	return r
}

func TestMiddleware(t *testing.T) {
	a := newApp(t)
	alice, bob := a.srv.SignIn("alice"), a.srv.SignIn("bob")
	other := signouttest.NewServer() // another pool's tokens
	t.Cleanup(other.Close)
	mixed := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		h.Set(name, value)
		return h
	}
	twice := a.lb.Headers(alice)
	twice.Add(headerAccess, alice.AccessToken)
	tests := []struct {
		name    string
		headers http.Header
		status  int
		user    string
	}{
		{"signed in", a.lb.Headers(alice), http.StatusOK, "alice"},
		{"no load balancer headers", http.Header{}, http.StatusUnauthorized, ""},
		{"no access token", mixed(a.lb.Headers(alice), headerAccess, ""), http.StatusUnauthorized, ""},
		{"another user's access token", mixed(a.lb.Headers(alice), headerAccess, bob.AccessToken), http.StatusUnauthorized, ""},
		{"another user's identity", mixed(a.lb.Headers(alice), headerIdentity, "someone-else"), http.StatusUnauthorized, ""},
		{"an ID token for the access token", mixed(a.lb.Headers(alice), headerAccess, alice.IDToken), http.StatusUnauthorized, ""},
		{"another pool's access token", mixed(a.lb.Headers(alice), headerAccess, other.SignIn("alice").AccessToken), http.StatusUnauthorized, ""},
		{"forged load balancer token", mixed(a.lb.Headers(alice), headerData, "x.y.z"), http.StatusUnauthorized, ""},
		{"two access tokens", twice, http.StatusUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *Claims
			h := a.v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = ClaimsFromContext(r.Context())
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, request(tc.headers))
			assert.Equal(t, tc.status, w.Code)
			if tc.status == http.StatusOK {
				require.NotNil(t, got)
				assert.Equal(t, tc.user, got.Username)
				require.NotNil(t, got.Access)
				assert.Equal(t, got.Subject, got.Access.Subject)
				assert.Empty(t, w.Result().Cookies())
				return
			}
			assert.Nil(t, got, "next was not called")
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assertSessionCookiesExpired(t, w)
		})
	}
}

func assertSessionCookiesExpired(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	var expired []string
	for _, c := range w.Result().Cookies() {
		assert.Equal(t, -1, c.MaxAge, c.Name)
		assert.Equal(t, "/", c.Path, c.Name)
		expired = append(expired, c.Name)
	}
	assert.Equal(t, []string{SessionCookie + "-0", SessionCookie + "-1"}, expired, "the load balancer's cookies, and no other")
}

// TestMiddlewareRefusesSignedOutSession is the point of the middleware:
// the load balancer keeps forwarding a session whose cookie lives, with
// its access token, after the user signed out; the access token's
// revocation is what refuses it.
func TestMiddlewareRefusesSignedOutSession(t *testing.T) {
	a := newApp(t)
	alice := a.srv.SignIn("alice")
	h := a.v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	serve := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request(a.lb.Headers(alice)))
		return w
	}
	require.Equal(t, http.StatusOK, serve().Code)
	require.NoError(t, a.client.SignOut(context.Background(), alice.AccessToken))

	_, err := a.v.VerifyRequest(request(a.lb.Headers(alice)))
	assert.ErrorIs(t, err, signout.ErrTokenRevoked)
	w := serve()
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assertSessionCookiesExpired(t, w)
}

func TestMiddlewareUncheckableIs503(t *testing.T) {
	a := newApp(t)
	alice := a.srv.SignIn("alice")
	headers := a.lb.Headers(alice)
	a.lb.Close() // the key endpoint is gone
	w := httptest.NewRecorder()
	a.v.Middleware(http.NotFoundHandler()).ServeHTTP(w, request(headers))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Empty(t, w.Result().Cookies(), "the session is kept")
}

func TestClaimsFromContextWithoutMiddleware(t *testing.T) {
	c, ok := ClaimsFromContext(context.Background())
	assert.False(t, ok)
	assert.Nil(t, c)
}
