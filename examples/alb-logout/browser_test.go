package main

import (
	"context"
	"encoding/json"
	"net/url"
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
	"github.com/cognitogo/signout/signouttest"
)

// TestBrowser drives the example behind the stand-in load balancer in
// headless Chromium through the DevTools protocol: alice signs in on a
// laptop and a phone (two browser contexts), bob on a third; alice logs out
// on the laptop with the page's button, lands on the managed login's form
// rather than back in the app, and a copy of her old load balancer cookie,
// put back into the browser, is refused by the app.
func TestBrowser(t *testing.T) {
	chromium := testenv.Chromium.Find(t)
	srv, lb := startApp(t)
	b := startChromium(t, chromium)
	laptop, phone, bob := b.newContext(t), b.newContext(t), b.newContext(t)
	signInPage := func(u string) bool { return strings.HasPrefix(u, lb.LoginURL+"/oauth2/authorize?") }

	laptop.signIn(lb, "alice")
	phone.signIn(lb, "alice")
	bob.signIn(lb, "bob")
	laptop.follow(`a[href="/protected"]`, is(lb.URL+"/protected"))
	assert.Contains(t, laptop.text(), "hello, alice")
	old := laptop.sessionCookies(lb.URL)
	require.Len(t, old, 2, "AWSELBAuthSessionCookie-0 and -1")
	for _, c := range old {
		assert.True(t, c.HTTPOnly, c.Name)
	}

	// Log out with the protected page's own button.
	laptop.follow(`#logout`, signInPage)
	assert.Contains(t, laptop.text(), "Sign in to the user pool", "the managed login asks again: not signed straight back in")
	assert.Empty(t, laptop.sessionCookies(lb.URL), "the load balancer's cookies are gone, HttpOnly as they are")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "signed out at Cognito")

	// Back shows nothing of the session.
	how := laptop.back()
	t.Logf("Back: %s (%v)", laptop.url(), how)
	assert.NotContains(t, laptop.text(), "hello, alice")

	// The old cookie, put back, is still a session to the load balancer;
	// the app refuses it, and expires it again.
	laptop.setCookies(old)
	laptop.open(lb.URL + "/protected")
	assert.Contains(t, laptop.text(), "session not valid")
	assert.Empty(t, laptop.sessionCookies(lb.URL))

	// All sessions ended: the phone's too. Bob is still in.
	phone.open(lb.URL + "/protected")
	assert.Contains(t, phone.text(), "session not valid")
	bob.open(lb.URL + "/protected")
	assert.Contains(t, bob.text(), "hello, bob")
}

// chrome is one headless Chromium process.
type chrome struct {
	ctx context.Context // the first tab's; new contexts derive from it
}

// startChromium starts the system chromium with a fresh profile and stops
// it when the test ends.
func startChromium(t *testing.T, path string) *chrome {
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
	// Everything the browser does in this test must end within this time:
	// a bound on a hang, not on speed (on a machine with a load average of
	// 14 on 2 cores, the logout example's browser test took 46 s).
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

func (tb *tab) open(u string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.Navigate(u)), u)
}

// settle runs trigger and waits until the tab's main frame shows a page
// whose URL want accepts, loaded, and says how it came. A page restored
// from the back/forward cache fires no load event.
func (tb *tab) settle(trigger chromedp.Action[chromedp.Void], want func(string) bool) cdppage.NavigationType {
	tb.t.Helper()
	done := make(chan cdppage.NavigationType, 1)
	ctx, cancel := context.WithCancel(tb.ctx)
	defer cancel()
	var how cdppage.NavigationType
	navigated := false
	require.NoError(tb.t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdppage.EventFrameNavigated:
			if ev.Frame.ParentID == "" && want(ev.Frame.URL) {
				navigated, how = true, ev.Type
				if how == cdppage.NavigationTypeBackForwardCacheRestore {
					done <- how
				}
			}
		case *cdppage.EventLoadEventFired:
			if navigated && how == cdppage.NavigationTypeNavigation {
				done <- how
				navigated = false
			}
		}
	}))
	require.NoError(tb.t, chromedp.Do(tb.ctx, trigger))
	select {
	case how := <-done:
		return how
	case <-tb.ctx.Done():
		tb.t.Fatalf("the page never loaded: %v", tb.ctx.Err())
		return ""
	}
}

// follow clicks the element sel finds, a link or a form's button, and
// waits for the page it leads to.
func (tb *tab) follow(sel string, want func(string) bool) {
	tb.t.Helper()
	tb.settle(chromedp.Click(chromedp.CSS(sel)), want)
}

func is(want string) func(string) bool { return func(u string) bool { return u == want } }

// back presses Back and says how the page came back.
func (tb *tab) back() cdppage.NavigationType {
	tb.t.Helper()
	hist, err := chromedp.Run(tb.ctx, chromedp.NavigationEntries())
	require.NoError(tb.t, err)
	require.Positive(tb.t, hist.CurrentIndex, "there is a page to go back to")
	prev := hist.Entries[hist.CurrentIndex-1]
	return tb.settle(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.NavigateToHistoryEntry, cdppage.NavigateToHistoryEntryParams{EntryID: prev.ID})
		return err
	}), func(string) bool { return true })
}

// signIn opens the app, which the load balancer sends to the managed
// login's form, and signs in as name.
func (tb *tab) signIn(lb *signouttest.ALB, name string) {
	tb.t.Helper()
	tb.open(lb.URL + "/")
	require.True(tb.t, strings.HasPrefix(tb.url(), lb.LoginURL+"/oauth2/authorize?"), tb.url())
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.CSS(`input[name=username]`), name)))
	tb.follow(`#signin`, is(lb.URL+"/"))
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

// evalInto runs a script in the page's current document and decodes its
// result into v.
func (tb *tab) evalInto(script string, v any) {
	tb.t.Helper()
	byValue := true
	res, err := chromedp.Call(tb.ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: script, ReturnByValue: &byValue})
	require.NoError(tb.t, err, script)
	require.Nil(tb.t, res.ExceptionDetails, script)
	require.NoError(tb.t, json.Unmarshal([]byte(res.Result.Value), v), script)
}

// sessionCookies lists, through the protocol, the load balancer's session
// cookies the tab's browser context holds for the host of u, HttpOnly ones
// included.
func (tb *tab) sessionCookies(u string) []*network.Cookie {
	tb.t.Helper()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	res, err := chromedp.CallBrowser(tb.ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: id})
	require.NoError(tb.t, err)
	parsed, err := url.Parse(u)
	require.NoError(tb.t, err)
	var cs []*network.Cookie
	for _, c := range res.Cookies {
		if c.Domain == parsed.Hostname() && strings.HasPrefix(c.Name, "AWSELBAuthSessionCookie-") {
			cs = append(cs, c)
		}
	}
	return cs
}

// setCookies puts cookies back into the tab's browser context.
func (tb *tab) setCookies(cs []*network.Cookie) {
	tb.t.Helper()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	var params []*network.CookieParam
	for _, c := range cs {
		params = append(params, &network.CookieParam{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: c.SameSite})
	}
	_, err := chromedp.CallBrowser(tb.ctx, storage.SetCookies, storage.SetCookiesParams{Cookies: params, BrowserContextID: id})
	require.NoError(tb.t, err)
}
