package main

import (
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/examples/internal/chromium"
	"github.com/cognitogo/signout/internal/testenv"
)

// TestBrowser drives the example in headless Chromium through the DevTools
// protocol, with the back/forward cache on and off: alice signs in on a
// laptop and a phone (two browser contexts), bob on a third; pages on other
// origins try to log alice out and to sign her in as mallory; she logs out
// with the page's own buttons, first on this device, then everywhere.
// Without SIGNOUT_LONG=1, only with the cache on, Chromium's default.
func TestBrowser(t *testing.T) {
	path := testenv.Chromium.Find(t)
	sameSite := startAttacker(t, "127.0.0.1:0") // another port: same site, other origin
	crossSite := startAttacker(t, "127.0.0.2:0")
	for _, bfcache := range []bool{true, false}[:testenv.Scale(1, 2)] {
		name := "bfcache on"
		if !bfcache {
			name = "bfcache off"
		}
		t.Run(name, func(t *testing.T) {
			srv, app := startApp(t)
			b := chromium.Start(t, path, bfcache)
			laptop, phone, bob := b.NewContext(), b.NewContext(), b.NewContext()

			// The mode is real: a plain page comes back from the
			// back/forward cache when it is on, and only then.
			laptop.Open(crossSite.URL + "/a")
			laptop.Eval(`window.kept = true`)
			laptop.Follow(`a`, chromium.Is(crossSite.URL+"/b"))
			how := laptop.Back()
			require.Equal(t, bfcache, laptop.Eval(`window.kept === true`) == "true", "restored from the back/forward cache: %v", how)

			signIn(t, laptop, app.URL, "alice")
			signIn(t, phone, app.URL, "alice")
			signIn(t, bob, app.URL, "bob")
			laptop.Follow(`a[href="/protected"]`, chromium.Is(app.URL+"/protected"))
			assert.Contains(t, laptop.Text(), "hello, alice")
			before := laptop.Cookies(app.URL)
			require.Len(t, before, 2, "access_token and refresh_token")
			for _, c := range before {
				assert.True(t, c.HTTPOnly, c.Name)
			}

			// Pages elsewhere cannot log alice out, nor sign her in as mallory.
			for _, evil := range []*httptest.Server{sameSite, crossSite} {
				laptop.OpenUntil(evil.URL+"/logout?app="+app.URL, chromium.Under(app.URL+"/"))
				assert.Contains(t, laptop.Text(), "cross-origin logout refused", evil.URL)
				laptop.OpenUntil(evil.URL+"/login?app="+app.URL, chromium.Under(app.URL+"/"))
				assert.Contains(t, laptop.Text(), "cross-origin login refused", evil.URL)
			}
			assert.Equal(t, before, laptop.Cookies(app.URL), "the cookies are untouched")
			assert.Zero(t, srv.Requests("RevokeToken")+srv.Requests("GlobalSignOut"), "no session was ended")

			// Log out on this device with the protected page's own button.
			laptop.Open(app.URL + "/")
			require.Contains(t, laptop.Text(), "Signed in as alice", "still alice, not mallory")
			laptop.Follow(`a[href="/protected"]`, chromium.Is(app.URL+"/protected"))
			stale := laptop.NewTab()
			stale.Open(app.URL + "/protected")
			laptop.Eval(`window.sessionPage = true`)
			laptop.Follow(`#logout`, chromium.Is(app.URL+"/"))
			assert.Contains(t, laptop.Text(), "Not signed in")
			assert.Empty(t, laptop.Cookies(app.URL), "the cookies are gone, HttpOnly ones included")

			// Back twice shows nothing of the session.
			for i := 1; i <= 2; i++ {
				how := laptop.Back()
				text := laptop.Text()
				restored := laptop.Eval(`window.sessionPage === true`) == "true"
				t.Logf("Back %d: %s (%v; script state kept: %v): %q", i, laptop.URL(), how, restored, text)
				assert.NotContains(t, text, "hello, alice", "Back %d", i)
				assert.NotContains(t, text, "Signed in as alice", "Back %d", i)
			}

			// Cognito refuses the old tokens; the phone and bob are still in.
			assert.False(t, srv.Accepts(cookieValue(before, "access_token")), "old access token")
			assert.False(t, srv.Accepts(cookieValue(before, "refresh_token")), "old refresh token")
			phone.Open(app.URL + "/protected")
			assert.Contains(t, phone.Text(), "hello, alice", "this device only: the phone stays signed in")
			bob.Open(app.URL + "/protected")
			assert.Contains(t, bob.Text(), "hello, bob")

			// A second logout from a stale tab is harmless.
			calls := srv.Requests("")
			stale.Follow(`#logout`, chromium.Is(app.URL+"/"))
			assert.Contains(t, stale.Text(), "Not signed in")
			assert.Equal(t, calls, srv.Requests(""), "nothing left to end")

			// Log out of all devices: the phone is signed out too, bob is not.
			signIn(t, laptop, app.URL, "alice")
			laptop.Follow(`#logout-all`, chromium.Is(app.URL+"/"))
			assert.Contains(t, laptop.Text(), "Not signed in")
			assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
			phone.Open(app.URL + "/protected")
			assert.Contains(t, phone.Text(), "sign in first", "everywhere: the phone is signed out")
			bob.Open(app.URL + "/protected")
			assert.Contains(t, bob.Text(), "hello, bob")
		})
	}
}

// attackerPage is served by another origin. Its form posts to the app as
// soon as the page loads.
var attackerPage = template.Must(template.New("attacker").Parse(`<!doctype html>
<title>win a prize</title>
<form method="post" action="{{.Action}}">{{if .User}}<input type="hidden" name="username" value="{{.User}}">{{end}}</form>
<script>document.forms[0].submit()</script>`))

// startAttacker serves, on addr, pages that post to an app given by the
// query parameter "app", and two plain pages for the back/forward cache.
func startAttacker(t *testing.T, addr string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		attackerPage.Execute(w, struct{ Action, User string }{r.FormValue("app") + "/logout", ""})
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		attackerPage.Execute(w, struct{ Action, User string }{r.FormValue("app") + "/login", "mallory"})
	})
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><title>a</title><a href="/b">b</a>`))
	})
	mux.HandleFunc("GET /b", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><title>b</title><p>b</p>`))
	})
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(mux)
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// signIn opens the app in tab and signs in as name.
func signIn(t *testing.T, tab *chromium.Tab, appURL, name string) {
	t.Helper()
	tab.Open(appURL + "/")
	tab.Type(`input[name=username]`, name)
	tab.Follow(`#login`, chromium.Is(appURL+"/"))
	require.Contains(t, tab.Text(), "Signed in as "+name)
}

func cookieValue(cs []*network.Cookie, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
