// Package chromium drives headless Chromium through chromedp for the
// examples' browser tests. [Start] runs one Chromium process for a test,
// [Browser.NewContext] gives each simulated device its own cookies and
// caches, and a [Tab] opens pages, follows links, goes back and reads what
// the page shows and the cookies its device holds. Waits follow the
// DevTools protocol's events, never the clock; any protocol error fails the
// test.
package chromium

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
	"github.com/stretchr/testify/require"
)

// Browser is one headless Chromium process.
type Browser struct {
	t   testing.TB
	ctx context.Context // the first tab's; new contexts derive from it
}

// Start starts the Chromium at path with a fresh profile, with or without
// the back/forward cache (on is Chromium's default), and stops it when t
// ends. Everything the browser does must end within 2 minutes of Start;
// past that, every call fails t.
func Start(t testing.TB, path string, bfcache bool) *Browser {
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
	// A bound on a hang, not on speed: on a machine with a load average of
	// 14 on 2 cores, the logout example's browser test took 46 s.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(browserCtx), "starting %s", path)
	return &Browser{t: t, ctx: browserCtx}
}

// NewContext opens a tab in a new browser context: its own cookies and
// caches, like another device.
func (b *Browser) NewContext() *Tab {
	b.t.Helper()
	return open(b.t, b.ctx, chromedp.WithNewBrowserContext())
}

// Tab is one browser tab; its methods fail the test on any protocol error.
type Tab struct {
	t   testing.TB
	ctx context.Context
}

func open(t testing.TB, parent context.Context, opts ...chromedp.ContextOption) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return &Tab{t: t, ctx: ctx}
}

// NewTab opens another tab in the same browser context.
func (tb *Tab) NewTab() *Tab {
	tb.t.Helper()
	return open(tb.t, tb.ctx)
}

// Open loads u and returns once the page it ends at has loaded.
func (tb *Tab) Open(u string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.Navigate(u)), u)
}

// OpenUntil opens u, whose page sends the browser on by itself, and waits
// for the first page whose URL want accepts.
func (tb *Tab) OpenUntil(u string, want func(url string) bool) {
	tb.t.Helper()
	tb.settle(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.Navigate, cdppage.NavigateParams{URL: u})
		return err
	}), want)
}

// Follow clicks the element sel finds, a link or a form's button, and
// waits for the page it leads to, whose URL want accepts.
func (tb *Tab) Follow(sel string, want func(url string) bool) {
	tb.t.Helper()
	tb.settle(chromedp.Click(chromedp.CSS(sel)), want)
}

// Is returns a test for Follow and OpenUntil that accepts the URL want
// and no other.
func Is(want string) func(url string) bool {
	return func(u string) bool { return u == want }
}

// Under returns a test for Follow and OpenUntil that accepts the URLs that
// start with prefix.
func Under(prefix string) func(url string) bool {
	return func(u string) bool { return strings.HasPrefix(u, prefix) }
}

// Type types text into the element sel finds.
func (tb *Tab) Type(sel, text string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.CSS(sel), text)), sel)
}

// Arrival says how a page came: by a navigation or restored from the
// back/forward cache, and, when a history navigation could not use that
// cache, why not.
type Arrival struct {
	how       cdppage.NavigationType
	notCached []string
}

// String returns the navigation type, followed by Chromium's reasons for
// not using the back/forward cache if it gave any.
func (a Arrival) String() string {
	if len(a.notCached) == 0 {
		return string(a.how)
	}
	return string(a.how) + ", not from the back/forward cache: " + strings.Join(a.notCached, " ")
}

// Back presses Back, waits for the page the previous history entry leads
// to, and says how it came.
func (tb *Tab) Back() Arrival {
	tb.t.Helper()
	hist, err := chromedp.Run(tb.ctx, chromedp.NavigationEntries())
	require.NoError(tb.t, err)
	require.Positive(tb.t, hist.CurrentIndex, "there is a page to go back to")
	prev := hist.Entries[hist.CurrentIndex-1]
	// The entry's page may send the browser elsewhere (a load balancer to
	// its sign-in form): the first page shown counts.
	return tb.settle(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.NavigateToHistoryEntry, cdppage.NavigateToHistoryEntryParams{EntryID: prev.ID})
		return err
	}), func(string) bool { return true })
}

// settle runs trigger and waits until the tab's main frame shows a page
// whose URL want accepts, loaded. A page restored from the back/forward
// cache fires no load event.
func (tb *Tab) settle(trigger chromedp.Action[chromedp.Void], want func(url string) bool) Arrival {
	tb.t.Helper()
	done := make(chan Arrival, 1)
	ctx, cancel := context.WithCancel(tb.ctx)
	defer cancel()
	var a Arrival
	navigated := false
	// The first arrival counts. A later one, such as a redirect's page
	// after the first page Back accepts, must not block the listener,
	// which delivers every event of the tab.
	arrived := func(a Arrival) {
		select {
		case done <- a:
		default:
		}
	}
	// Listen keeps the order of events of different types: the load event
	// wanted is the first after want's frameNavigated.
	require.NoError(tb.t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdppage.EventBackForwardCacheNotUsed:
			for _, e := range ev.NotRestoredExplanations {
				a.notCached = append(a.notCached, string(e.Reason))
			}
		case *cdppage.EventFrameNavigated:
			if ev.Frame.ParentID != "" {
				break
			}
			// A page want refuses that follows one it accepted, before
			// that one's load event, is not the page waited for.
			navigated = want(ev.Frame.URL)
			if navigated {
				a.how = ev.Type
				if a.how == cdppage.NavigationTypeBackForwardCacheRestore {
					arrived(a)
				}
			}
		case *cdppage.EventLoadEventFired:
			if navigated && a.how == cdppage.NavigationTypeNavigation {
				arrived(a)
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
		return Arrival{}
	}
}

// Text returns what the page shows.
func (tb *Tab) Text() string {
	tb.t.Helper()
	var s string
	tb.evalInto(`document.body ? document.body.innerText : ""`, &s)
	return s
}

// URL returns the address of the page shown.
func (tb *Tab) URL() string {
	tb.t.Helper()
	var s string
	tb.evalInto(`location.href`, &s)
	return s
}

// Eval runs script in the page shown and returns its result as JSON text.
func (tb *Tab) Eval(script string) string {
	tb.t.Helper()
	var raw json.RawMessage
	tb.evalInto(script, &raw)
	return string(raw)
}

// evalInto runs a script in the page's current document and decodes its
// result into v. Runtime.evaluate without a context id runs in the
// document shown now, also just after a navigation.
func (tb *Tab) evalInto(script string, v any) {
	tb.t.Helper()
	byValue := true
	res, err := chromedp.Call(tb.ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: script, ReturnByValue: &byValue})
	require.NoError(tb.t, err, script)
	require.Nil(tb.t, res.ExceptionDetails, script)
	require.NoError(tb.t, json.Unmarshal([]byte(res.Result.Value), v), script)
}

// Cookies lists, through the protocol, the cookies the tab's browser
// context holds for the host of u, HttpOnly ones included.
func (tb *Tab) Cookies(u string) []*network.Cookie {
	tb.t.Helper()
	parsed, err := url.Parse(u)
	require.NoError(tb.t, err)
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	res, err := chromedp.CallBrowser(tb.ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: id})
	require.NoError(tb.t, err)
	var cs []*network.Cookie
	for _, c := range res.Cookies {
		if c.Domain == parsed.Hostname() {
			cs = append(cs, c)
		}
	}
	return cs
}

// SetCookies puts cookies, such as a copy of what Cookies returned, into
// the tab's browser context.
func (tb *Tab) SetCookies(cs []*network.Cookie) {
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
