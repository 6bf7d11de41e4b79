package signouttest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/alb"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// seen is an application that records the headers of the last request the
// load balancer forwarded.
type seen struct{ last chan http.Header }

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.last:
	default:
	}
	s.last <- r.Header.Clone()
	io.WriteString(w, "app")
}

// browser is a client with a cookie jar that follows redirects.
type browser struct {
	t   *testing.T
	jar *cookiejar.Jar
	c   *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t, jar, &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

// do sends a request and returns the final URL and body.
func (b *browser) do(method, u string, form url.Values) (string, string) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.c.PostForm(u, form)
	} else {
		resp, err = b.c.Get(u)
	}
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, resp.StatusCode, string(body))
	return resp.Request.URL.String(), string(body)
}

// signIn fills in the managed login's form shown at loginPage.
func (b *browser) signIn(loginPage, body, name string) (string, string) {
	b.t.Helper()
	i := strings.Index(body, `name="state" value="`)
	require.Positive(b.t, i, "a sign-in form: %s", body)
	state := body[i+len(`name="state" value="`):]
	state = state[:strings.IndexByte(state, '"')]
	u, err := url.Parse(loginPage)
	require.NoError(b.t, err)
	return b.do(http.MethodPost, u.Scheme+"://"+u.Host+"/login", url.Values{"state": {state}, "username": {name}})
}

func TestALBSignsInAndForwards(t *testing.T) {
	srv := start(t)
	app := &seen{last: make(chan http.Header, 1)}
	lb := signouttest.NewALB(srv, app)
	t.Cleanup(lb.Close)
	access, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL))
	require.NoError(t, err)
	v, err := alb.New(access, alb.WithLoadBalancer(lb.ARN), alb.WithKeyEndpoint(lb.KeyURL))
	require.NoError(t, err)

	b := newBrowser(t)
	at, body := b.do(http.MethodGet, lb.URL+"/page?x=1", nil)
	require.True(t, strings.HasPrefix(at, lb.LoginURL+"/oauth2/authorize?"), at)
	require.Contains(t, body, "Sign in")
	at, body = b.signIn(at, body, "alice")
	assert.Equal(t, lb.URL+"/page?x=1", at, "back where the user was going")
	assert.Equal(t, "app", body)

	var shards []string
	front, err := url.Parse(lb.URL)
	require.NoError(t, err)
	for _, c := range b.jar.Cookies(front) {
		shards = append(shards, c.Name)
	}
	assert.Contains(t, shards, "AWSELBAuthSessionCookie-0")
	assert.Contains(t, shards, "AWSELBAuthSessionCookie-1", "the tokens take two shards")

	// The application sees the documented headers, and they verify.
	h := <-app.last
	r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil)
	require.NoError(t, err)
	r.Header = h
	c, err := v.VerifyRequest(r)
	require.NoError(t, err)
	assert.Equal(t, "alice", c.Username)
	assert.Equal(t, "http", h.Get("X-Forwarded-Proto"))
	assert.Equal(t, 1, lb.KeyRequests())
	assert.True(t, srv.Accepts(h.Get("X-Amzn-Oidc-Accesstoken")))

	// Headers a client sends are replaced, not passed on.
	req, err := http.NewRequest(http.MethodGet, lb.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("X-Amzn-Oidc-Identity", "mallory")
	req.Header.Set("x-amzn-oidc-data", "forged")
	resp, err := b.c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	h = <-app.last
	assert.Equal(t, []string{c.Subject}, h.Values("X-Amzn-Oidc-Identity"))
	assert.Len(t, h.Values("X-Amzn-Oidc-Data"), 1)
	assert.NotEqual(t, "forged", h.Get("X-Amzn-Oidc-Data"))
}

// TestALBManagedLoginSignsStraightBackIn shows the trap of a logout that
// only expires the load balancer's cookies: the managed login's own
// session signs the user in again without a form, until its /logout.
func TestALBManagedLoginSignsStraightBackIn(t *testing.T) {
	srv := start(t)
	lb := signouttest.NewALB(srv, &seen{last: make(chan http.Header, 1)})
	t.Cleanup(lb.Close)
	b := newBrowser(t)
	at, body := b.do(http.MethodGet, lb.URL+"/", nil)
	b.signIn(at, body, "alice")

	forgetALB := func() {
		front, err := url.Parse(lb.URL)
		require.NoError(t, err)
		var gone []*http.Cookie
		for _, c := range b.jar.Cookies(front) {
			if strings.HasPrefix(c.Name, "AWSELBAuthSessionCookie-") {
				gone = append(gone, &http.Cookie{Name: c.Name, Path: "/", MaxAge: -1})
			}
		}
		require.NotEmpty(t, gone)
		b.jar.SetCookies(front, gone)
	}
	forgetALB()
	at, body = b.do(http.MethodGet, lb.URL+"/", nil)
	assert.Equal(t, lb.URL+"/", at, "signed straight back in")
	assert.Equal(t, "app", body)

	forgetALB()
	at, _ = b.do(http.MethodGet, lb.LogoutURL(lb.URL+"/"), nil)
	require.True(t, strings.HasPrefix(at, lb.LoginURL+"/oauth2/authorize?"), "logout_uri is behind the load balancer, which asks for a sign-in: %s", at)
	_, body = b.do(http.MethodGet, lb.URL+"/", nil)
	assert.Contains(t, body, "Sign in", "after the managed login's logout, the form")
}

func TestALBScope(t *testing.T) {
	srv := start(t)
	app := &seen{last: make(chan http.Header, 1)}
	lb := signouttest.NewALB(srv, app, signouttest.ALBScope("openid"))
	t.Cleanup(lb.Close)
	b := newBrowser(t)
	at, body := b.do(http.MethodGet, lb.URL+"/", nil)
	b.signIn(at, body, "alice")
	access, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL))
	require.NoError(t, err)
	c, err := access.Verify(context.Background(), (<-app.last).Get("X-Amzn-Oidc-Accesstoken"))
	require.NoError(t, err)
	assert.Equal(t, "openid", c.Scope)
}

func TestALBRefusals(t *testing.T) {
	srv := start(t)
	lb := signouttest.NewALB(srv, nil)
	t.Cleanup(lb.Close)
	for name, tc := range map[string]struct {
		url    string
		status int
	}{
		"unknown key":                  {lb.KeyURL + "/00000000-0000-0000-0000-000000000000", http.StatusForbidden},
		"logout to another site":       {lb.LogoutURL("https://evil.example/"), http.StatusBadRequest},
		"logout of another client":     {lb.LoginURL + "/logout?client_id=other&logout_uri=" + url.QueryEscape(lb.URL+"/"), http.StatusBadRequest},
		"authorize another client":     {lb.LoginURL + "/oauth2/authorize?client_id=other&redirect_uri=" + url.QueryEscape(lb.URL+"/oauth2/idpresponse"), http.StatusBadRequest},
		"callback with a made-up code": {lb.URL + "/oauth2/idpresponse?code=x&state=y", http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(tc.url)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
		})
	}
	assert.Equal(t, 1, lb.KeyRequests())
}
