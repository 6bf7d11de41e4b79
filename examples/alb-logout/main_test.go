package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }

// startApp serves the example behind fresh stand-ins.
func startApp(t *testing.T) (*signouttest.Server, *signouttest.ALB) {
	t.Helper()
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	lb := signouttest.NewALB(srv, mux)
	t.Cleanup(lb.Close)
	client, err := setup(mux, srv, lb)
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	return srv, lb
}

// browser is an HTTP client with a cookie jar that follows redirects and
// posts forms with Origin, as a browser does.
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
	return &browser{t: t, jar: jar, c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

// do sends a request and returns the status, the final URL and the body.
func (b *browser) do(method, u string, form url.Values) (int, string, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, resp.Request.URL.String(), string(body)
}

// signIn visits the app and answers the managed login's form.
func (b *browser) signIn(lb *signouttest.ALB, name string) {
	b.t.Helper()
	_, at, body := b.do(http.MethodGet, lb.URL+"/", nil)
	require.True(b.t, strings.HasPrefix(at, lb.LoginURL+"/oauth2/authorize"), at)
	i := strings.Index(body, `name="state" value="`)
	require.Positive(b.t, i, body)
	state := body[i+len(`name="state" value="`):]
	state = state[:strings.IndexByte(state, '"')]
	code, at, body := b.do(http.MethodPost, lb.LoginURL+"/login", url.Values{"state": {state}, "username": {name}})
	require.Equal(b.t, http.StatusOK, code, body)
	require.Equal(b.t, lb.URL+"/", at)
	require.Contains(b.t, body, "Signed in as <b>"+name+"</b>")
}

// sessionCookies returns the load balancer's session cookie shards.
func (b *browser) sessionCookies(lb *signouttest.ALB) []*http.Cookie {
	u, err := url.Parse(lb.URL)
	require.NoError(b.t, err)
	var cs []*http.Cookie
	for _, c := range b.jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "AWSELBAuthSessionCookie-") {
			cs = append(cs, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"})
		}
	}
	return cs
}

// TestLogoutEndToEnd drives the app over real HTTP through the stand-in
// load balancer: sign in, log out, land on the sign-in form, and find the
// old session refused though the load balancer still forwards it.
func TestLogoutEndToEnd(t *testing.T) {
	srv, lb := startApp(t)
	laptop, phone := newBrowser(t), newBrowser(t)
	laptop.signIn(lb, "alice")
	phone.signIn(lb, "alice")
	code, _, body := laptop.do(http.MethodGet, lb.URL+"/protected", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "hello, alice")
	old := laptop.sessionCookies(lb)
	require.Len(t, old, 2, "AWSELBAuthSessionCookie-0 and -1")

	code, at, body := laptop.do(http.MethodPost, lb.URL+"/logout", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, strings.HasPrefix(at, lb.LoginURL+"/oauth2/authorize"), "the sign-in form, not straight back in: %s", at)
	assert.Contains(t, body, "Sign in")
	assert.Empty(t, laptop.sessionCookies(lb), "the load balancer's cookies are gone")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))

	// A copy of the old cookie is still a session to the load balancer,
	// which forwards it with the old access token: the app refuses it.
	stale := newBrowser(t)
	u, err := url.Parse(lb.URL)
	require.NoError(t, err)
	stale.jar.SetCookies(u, old)
	code, at, body = stale.do(http.MethodGet, lb.URL+"/protected", nil)
	assert.Equal(t, lb.URL+"/protected", at, "the load balancer let it through")
	assert.Equal(t, http.StatusUnauthorized, code, body)
	assert.Empty(t, stale.sessionCookies(lb), "and the app expired it")

	// All sessions: the phone's is refused too.
	code, _, _ = phone.do(http.MethodGet, lb.URL+"/protected", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
}
