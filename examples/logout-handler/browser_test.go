package main

import (
	"context"
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/internal/testenv"
)

// TestBrowser drives the example in headless Chromium through the DevTools
// protocol, with the back/forward cache on and off: alice signs in on a
// laptop and a phone (two browser contexts), bob on a third; pages on other
// origins try to log alice out and to sign her in as mallory; she logs out
// with the page's own buttons, first on this device, then everywhere.
// Without SIGNOUT_LONG=1, only with the cache on, Chromium's default.
func TestBrowser(t *testing.T) {
	chromium := testenv.Chromium.Find(t)
	sameSite := startAttacker(t, "127.0.0.1:0") // another port: same site, other origin
	crossSite := startAttacker(t, "127.0.0.2:0")
	for _, bfcache := range []bool{true, false}[:testenv.Scale(1, 2)] {
		name := "bfcache on"
		if !bfcache {
			name = "bfcache off"
		}
		t.Run(name, func(t *testing.T) {
			srv, app := startApp(t)
			b := startChromium(t, chromium, bfcache)
			laptop, phone, bob := b.newContext(t), b.newContext(t), b.newContext(t)

			// The mode is real: a plain page comes back from the
			// back/forward cache when it is on, and only then.
			laptop.open(crossSite.URL + "/a")
			laptop.eval(`window.kept = true`)
			laptop.follow(`a`, crossSite.URL+"/b")
			how := laptop.back()
			require.Equal(t, bfcache, laptop.eval(`window.kept === true`) == "true", "restored from the back/forward cache: %v", how)

			laptop.signIn(app.URL, "alice")
			phone.signIn(app.URL, "alice")
			bob.signIn(app.URL, "bob")
			laptop.follow(`a[href="/protected"]`, app.URL+"/protected")
			assert.Contains(t, laptop.text(), "hello, alice")
			before := laptop.cookies(app.URL)
			require.Len(t, before, 2, "access_token and refresh_token")
			for _, c := range before {
				assert.True(t, c.HTTPOnly, c.Name)
			}

			// Pages elsewhere cannot log alice out, nor sign her in as mallory.
			for _, evil := range []*httptest.Server{sameSite, crossSite} {
				laptop.followAuto(evil.URL+"/logout?app="+app.URL, app.URL+"/")
				assert.Contains(t, laptop.text(), "cross-origin logout refused", evil.URL)
				laptop.followAuto(evil.URL+"/login?app="+app.URL, app.URL+"/")
				assert.Contains(t, laptop.text(), "cross-origin login refused", evil.URL)
			}
			assert.Equal(t, before, laptop.cookies(app.URL), "the cookies are untouched")
			assert.Zero(t, srv.Requests("RevokeToken")+srv.Requests("GlobalSignOut"), "no session was ended")

			// Log out on this device with the protected page's own button.
			laptop.open(app.URL + "/")
			require.Contains(t, laptop.text(), "Signed in as alice", "still alice, not mallory")
			laptop.follow(`a[href="/protected"]`, app.URL+"/protected")
			stale := laptop.newTab(t)
			stale.open(app.URL + "/protected")
			laptop.eval(`window.sessionPage = true`)
			laptop.follow(`#logout`, app.URL+"/")
			assert.Contains(t, laptop.text(), "Not signed in")
			assert.Empty(t, laptop.cookies(app.URL), "the cookies are gone, HttpOnly ones included")

			// Back twice shows nothing of the session.
			for i := 1; i <= 2; i++ {
				how := laptop.back()
				text := laptop.text()
				restored := laptop.eval(`window.sessionPage === true`) == "true"
				t.Logf("Back %d: %s (%v; script state kept: %v): %q", i, laptop.url(), how, restored, text)
				assert.NotContains(t, text, "hello, alice", "Back %d", i)
				assert.NotContains(t, text, "Signed in as alice", "Back %d", i)
			}

			// Cognito refuses the old tokens; the phone and bob are still in.
			assert.False(t, srv.Accepts(cookieValue(before, "access_token")), "old access token")
			assert.False(t, srv.Accepts(cookieValue(before, "refresh_token")), "old refresh token")
			phone.open(app.URL + "/protected")
			assert.Contains(t, phone.text(), "hello, alice", "this device only: the phone stays signed in")
			bob.open(app.URL + "/protected")
			assert.Contains(t, bob.text(), "hello, bob")

			// A second logout from a stale tab is harmless.
			calls := srv.Requests("")
			stale.follow(`#logout`, app.URL+"/")
			assert.Contains(t, stale.text(), "Not signed in")
			assert.Equal(t, calls, srv.Requests(""), "nothing left to end")

			// Log out of all devices: the phone is signed out too, bob is not.
			laptop.signIn(app.URL, "alice")
			laptop.follow(`#logout-all`, app.URL+"/")
			assert.Contains(t, laptop.text(), "Not signed in")
			assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
			phone.open(app.URL + "/protected")
			assert.Contains(t, phone.text(), "sign in first", "everywhere: the phone is signed out")
			bob.open(app.URL + "/protected")
			assert.Contains(t, bob.text(), "hello, bob")
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

// chrome is one headless Chromium process.
type chrome struct {
	ctx context.Context // the first tab's; new contexts derive from it
}

// startChromium starts the system chromium with a fresh profile, with or
// without the back/forward cache, and stops it when the test ends.
func startChromium(t *testing.T, path string, bfcache bool) *chrome {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	if !bfcache {
		opts = append(opts, chromedp.Flag("disable-features", "BackForwardCache"))
	}
	// Everything the browser does in this test must end within this time:
	// a bound on a hang, not on speed (on a machine with a load average of
	// 14 on 2 cores, one run took 46 s).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(browserCtx), "starting %s", path)
	return &chrome{ctx: browserCtx}
}

// newContext opens a tab in a new browser context: its own cookies and
// caches, like another device.
func (b *chrome) newContext(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return &tab{t: t, ctx: ctx}
}

// tab is one browser tab; its methods fail the test on any protocol error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens another tab in the same browser context.
func (tb *tab) newTab(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(tb.ctx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return &tab{t: t, ctx: ctx}
}

func (tb *tab) open(url string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.Navigate(url)), url)
}

// arrival says how a page came: by a navigation, or restored from the
// back/forward cache, and if a history navigation could not use that cache,
// why not.
type arrival struct {
	how       cdppage.NavigationType
	notCached []string
}

func (a arrival) String() string {
	if len(a.notCached) == 0 {
		return string(a.how)
	}
	return string(a.how) + ", not from the back/forward cache: " + strings.Join(a.notCached, " ")
}

// settle runs trigger and waits until the tab's main frame shows a page
// whose URL want accepts, loaded. A page restored from the back/forward
// cache fires no load event.
func (tb *tab) settle(trigger chromedp.Action[chromedp.Void], want func(url string) bool) arrival {
	tb.t.Helper()
	done := make(chan arrival, 1)
	ctx, cancel := context.WithCancel(tb.ctx)
	defer cancel()
	var a arrival
	navigated := false
	// Listen keeps the order of events of different types: the load event
	// wanted is the first after want's frameNavigated.
	require.NoError(tb.t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdppage.EventBackForwardCacheNotUsed:
			for _, e := range ev.NotRestoredExplanations {
				a.notCached = append(a.notCached, string(e.Reason))
			}
		case *cdppage.EventFrameNavigated:
			if ev.Frame.ParentID == "" && want(ev.Frame.URL) {
				navigated, a.how = true, ev.Type
				if a.how == cdppage.NavigationTypeBackForwardCacheRestore {
					done <- a
				}
			}
		case *cdppage.EventLoadEventFired:
			if navigated && a.how == cdppage.NavigationTypeNavigation {
				done <- a
				navigated = false
			}
		}
	}))
	require.NoError(tb.t, chromedp.Do(tb.ctx, trigger))
	select {
	case a := <-done:
		return a
	case <-tb.ctx.Done():
		tb.t.Fatalf("the page never loaded: %v", tb.ctx.Err())
		return arrival{}
	}
}

// follow clicks the element sel finds, a link or a form's button, and
// waits for the page it leads to, at want.
func (tb *tab) follow(sel, want string) {
	tb.t.Helper()
	tb.settle(chromedp.Click(chromedp.CSS(sel)), is(want))
}

// followAuto opens url, whose page sends the browser on by itself, and
// waits for the first page under prefix.
func (tb *tab) followAuto(url, prefix string) {
	tb.t.Helper()
	tb.settle(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.Navigate, cdppage.NavigateParams{URL: url})
		return err
	}), func(u string) bool { return strings.HasPrefix(u, prefix) })
}

func is(want string) func(string) bool { return func(u string) bool { return u == want } }

// back presses Back and says how the page came back.
func (tb *tab) back() arrival {
	tb.t.Helper()
	hist, err := chromedp.Run(tb.ctx, chromedp.NavigationEntries())
	require.NoError(tb.t, err)
	require.Positive(tb.t, hist.CurrentIndex, "there is a page to go back to")
	prev := hist.Entries[hist.CurrentIndex-1]
	return tb.settle(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.NavigateToHistoryEntry, cdppage.NavigateToHistoryEntryParams{EntryID: prev.ID})
		return err
	}), is(prev.URL))
}

func (tb *tab) signIn(appURL, name string) {
	tb.t.Helper()
	tb.open(appURL + "/")
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.CSS(`input[name=username]`), name)))
	tb.follow(`#login`, appURL+"/")
	require.Contains(tb.t, tb.text(), "Signed in as "+name)
}

// text returns what the page shows.
func (tb *tab) text() string {
	tb.t.Helper()
	var s string
	tb.evalInto(`document.body ? document.body.innerText : ""`, &s)
	return s
}

func (tb *tab) url() string {
	tb.t.Helper()
	var s string
	tb.evalInto(`location.href`, &s)
	return s
}

// eval runs a script in the page and returns its result as JSON text.
func (tb *tab) eval(script string) string {
	tb.t.Helper()
	var raw json.RawMessage
	tb.evalInto(script, &raw)
	return string(raw)
}

// evalInto runs a script in the page's current document and decodes its
// result into v. Runtime.evaluate without a context id runs in the
// document shown now, also just after a navigation.
func (tb *tab) evalInto(script string, v any) {
	tb.t.Helper()
	byValue := true
	res, err := chromedp.Call(tb.ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: script, ReturnByValue: &byValue})
	require.NoError(tb.t, err, script)
	require.Nil(tb.t, res.ExceptionDetails, script)
	require.NoError(tb.t, json.Unmarshal([]byte(res.Result.Value), v), script)
}

// cookies lists, through the protocol, the cookies the tab's browser
// context holds for url, HttpOnly ones included.
func (tb *tab) cookies(url string) []*network.Cookie {
	tb.t.Helper()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	res, err := chromedp.CallBrowser(tb.ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: id})
	require.NoError(tb.t, err)
	host := strings.TrimPrefix(url, "http://")
	host, _, _ = strings.Cut(host, ":")
	var cs []*network.Cookie
	for _, c := range res.Cookies {
		if c.Domain == host {
			cs = append(cs, c)
		}
	}
	return cs
}

func cookieValue(cs []*network.Cookie, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
