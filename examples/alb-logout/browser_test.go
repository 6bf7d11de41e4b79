package main

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/examples/internal/chromium"
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
	path := testenv.Chromium.Find(t)
	srv, lb := startApp(t)
	b := chromium.Start(t, path, true)
	laptop, phone, bob := b.NewContext(), b.NewContext(), b.NewContext()
	signInPage := chromium.Under(lb.LoginURL + "/oauth2/authorize?")

	signIn(t, laptop, lb, "alice")
	signIn(t, phone, lb, "alice")
	signIn(t, bob, lb, "bob")
	laptop.Follow(`a[href="/protected"]`, chromium.Is(lb.URL+"/protected"))
	assert.Contains(t, laptop.Text(), "hello, alice")
	old := sessionCookies(laptop, lb)
	require.Len(t, old, 2, "AWSELBAuthSessionCookie-0 and -1")
	for _, c := range old {
		assert.True(t, c.HTTPOnly, c.Name)
	}

	// Log out with the protected page's own button.
	laptop.Follow(`#logout`, signInPage)
	assert.Contains(t, laptop.Text(), "Sign in to the user pool", "the managed login asks again: not signed straight back in")
	assert.Empty(t, sessionCookies(laptop, lb), "the load balancer's cookies are gone, HttpOnly as they are")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "signed out at Cognito")

	// Back shows nothing of the session.
	how := laptop.Back()
	t.Logf("Back: %s (%v)", laptop.URL(), how)
	assert.NotContains(t, laptop.Text(), "hello, alice")

	// The old cookie, put back, is still a session to the load balancer;
	// the app refuses it, and expires it again.
	laptop.SetCookies(old)
	laptop.Open(lb.URL + "/protected")
	assert.Contains(t, laptop.Text(), "session not valid")
	assert.Empty(t, sessionCookies(laptop, lb))

	// All sessions ended: the phone's too. Bob is still in.
	phone.Open(lb.URL + "/protected")
	assert.Contains(t, phone.Text(), "session not valid")
	bob.Open(lb.URL + "/protected")
	assert.Contains(t, bob.Text(), "hello, bob")
}

// signIn opens the app in tab, which the load balancer sends to the managed
// login's form, and signs in as name.
func signIn(t *testing.T, tab *chromium.Tab, lb *signouttest.ALB, name string) {
	t.Helper()
	tab.Open(lb.URL + "/")
	require.True(t, strings.HasPrefix(tab.URL(), lb.LoginURL+"/oauth2/authorize?"), tab.URL())
	tab.Type(`input[name=username]`, name)
	tab.Follow(`#signin`, chromium.Is(lb.URL+"/"))
	require.Contains(t, tab.Text(), "Signed in as "+name)
}

// sessionCookies returns the load balancer's session cookies that tab's
// browser context holds, HttpOnly ones included.
func sessionCookies(tab *chromium.Tab, lb *signouttest.ALB) []*network.Cookie {
	var cs []*network.Cookie
	for _, c := range tab.Cookies(lb.URL) {
		if strings.HasPrefix(c.Name, "AWSELBAuthSessionCookie-") {
			cs = append(cs, c)
		}
	}
	return cs
}
