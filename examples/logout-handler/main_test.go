package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
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

// startApp serves the example on a loopback port, on a fresh stand-in.
func startApp(t *testing.T) (*signouttest.Server, *httptest.Server) {
	t.Helper()
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	a, err := newApp(srv)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	ts := httptest.NewServer(a)
	t.Cleanup(ts.Close)
	return srv, ts
}

// browser is an HTTP client with a cookie jar that posts forms as a
// browser does, Origin included.
type browser struct {
	t    *testing.T
	base string
	jar  *cookiejar.Jar
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: base, jar: jar, c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

func (b *browser) get(path string) (int, string) {
	resp, err := b.c.Get(b.base + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(body)
}

func (b *browser) cookie(name string) string {
	u, err := url.Parse(b.base)
	require.NoError(b.t, err)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// TestLogoutEndToEnd drives the app over real HTTP as a browser would, with
// a cookie jar: sign in, see the protected page, log out, and find the old
// tokens refused by Cognito.
func TestLogoutEndToEnd(t *testing.T) {
	srv, ts := startApp(t)
	b := newBrowser(t, ts.URL)

	code, _ := b.get("/protected")
	require.Equal(t, http.StatusUnauthorized, code, "precondition: signed out")

	code, body := b.post("/login", url.Values{"username": {"alice"}})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Signed in as <b>alice</b>")
	code, body = b.get("/protected")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "hello, alice")
	oldAccess := b.cookie("access_token")
	require.NotEmpty(t, oldAccess)
	assert.Zero(t, srv.Requests("GetUser"), "pages verify tokens locally, asking Cognito nothing")

	code, body = b.post("/logout", nil)
	assert.Equal(t, http.StatusOK, code, "303 to / followed")
	assert.Contains(t, body, "Not signed in")
	assert.Empty(t, b.cookie("access_token"), "the browser's cookies are gone")
	assert.Empty(t, b.cookie("refresh_token"))
	code, _ = b.get("/protected")
	assert.Equal(t, http.StatusUnauthorized, code)
	asked := srv.Requests("GetUser") // the logout's own question about the token

	stale := newBrowser(t, ts.URL)
	u, _ := url.Parse(ts.URL)
	stale.jar.SetCookies(u, []*http.Cookie{{Name: "access_token", Value: oldAccess, Path: "/"}})
	code, _ = stale.get("/protected")
	assert.Equal(t, http.StatusUnauthorized, code, "the app's own check refuses the old token at once")
	assert.Equal(t, asked, srv.Requests("GetUser"), "without asking Cognito")
	assert.False(t, srv.Accepts(oldAccess), "the old token is dead at Cognito, not just forgotten")

	code, _ = b.post("/logout", nil)
	assert.Equal(t, http.StatusOK, code, "a second logout is fine")
	code, _ = b.get("/logout")
	assert.Equal(t, http.StatusMethodNotAllowed, code, "logout by GET is refused")

	req, err := http.NewRequest(http.MethodPost, ts.URL+"/logout", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a cross-site logout is refused")
}

// TestLogoutIntents: alice is signed in on a laptop and a phone. "Log out"
// on the laptop leaves the phone signed in; "Log out of all devices" does
// not.
func TestLogoutIntents(t *testing.T) {
	_, ts := startApp(t)
	laptop, phone := newBrowser(t, ts.URL), newBrowser(t, ts.URL)
	for _, b := range []*browser{laptop, phone} {
		code, _ := b.post("/login", url.Values{"username": {"alice"}})
		require.Equal(t, http.StatusOK, code)
	}

	code, _ := laptop.post("/logout", nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = laptop.get("/protected")
	assert.Equal(t, http.StatusUnauthorized, code, "the laptop is signed out")
	code, body := phone.get("/protected")
	assert.Equal(t, http.StatusOK, code, "the phone is still signed in")
	assert.Contains(t, body, "hello, alice")

	code, _ = laptop.post("/login", url.Values{"username": {"alice"}})
	require.Equal(t, http.StatusOK, code)
	code, _ = laptop.post("/logout/all", nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = phone.get("/protected")
	assert.Equal(t, http.StatusUnauthorized, code, "the phone is signed out too")
}

// TestLoginRefusesCrossOrigin: a page on another origin cannot sign the
// visitor in as someone else (login CSRF); the app's own page can.
func TestLoginRefusesCrossOrigin(t *testing.T) {
	_, ts := startApp(t)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"other site", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other port, same site", map[string]string{"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"old browser, other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"the app's own page", map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader("username=mallory"))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
			if tc.want == http.StatusForbidden {
				assert.Empty(t, resp.Cookies(), "no session is set")
			} else {
				assert.Len(t, resp.Cookies(), 2)
			}
		})
	}
}

// TestProtectedPageIsNotStored: pages of a session tell the browser not to
// keep them, so Back after logout cannot show them from a cache.
func TestProtectedPageIsNotStored(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	a, err := newApp(srv)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	tokens := srv.SignIn("alice")
	for _, path := range []string{"/", "/protected"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.AddCookie(&http.Cookie{Name: "access_token", Value: tokens.AccessToken})
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusOK, rec.Code, path)
		assert.Contains(t, rec.Body.String(), "alice", path)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), path)
	}
}
