package signouthttp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

// Option configures the handler New returns. Options apply in order; a
// later option replaces what an earlier one of the same name set.
type Option func(*options)

type options struct {
	reach                       signout.Reach
	reachSet                    bool // WithReach was given
	albCookie, albLogout        string
	accessCookie, refreshCookie string
	clearCookies                []string
	cookiePath, cookieDomain    string
	cop                         *http.CrossOriginProtection
	siteData                    []string
	timeout                     time.Duration
	redirect                    string
	onErr                       func(r *http.Request, ended signout.Reach, err error)
	err                         error // the first invalid option
}

func defaultOptions() options {
	return options{
		reach:      signout.ThisSession,
		cookiePath: "/",
		cop:        http.NewCrossOriginProtection(),
		siteData:   []string{"cache"},
		timeout:    10 * time.Second,
	}
}

func badOption(op, msg string) error {
	return &signout.Error{Op: op, Kind: signout.ErrInvalidOption, Message: msg}
}

// fail records the first invalid option.
func (o *options) fail(op, msg string) {
	if o.err == nil {
		o.err = badOption(op, msg)
	}
}

// WithReach sets which sessions a logout ends: signout.ThisSession, the
// default, which is what a "Log out" button means (the phone stays signed
// in when the laptop logs out), or signout.AllSessions, for a second
// handler serving "Log out of all devices".
func WithReach(r signout.Reach) Option {
	return func(o *options) {
		if r != signout.ThisSession && r != signout.AllSessions {
			o.fail("WithReach", "neither signout.ThisSession nor signout.AllSessions")
			return
		}
		o.reach, o.reachSet = r, true
	}
}

// WithALB serves the logout of an application behind an Application Load
// Balancer that signs users in with Cognito, in the three steps it takes:
// it expires every shard of the load balancer's session cookie the request
// carries (sessionCookie-0, sessionCookie-1, ...; sessionCookie is the
// authenticate action's SessionCookieName, by default
// "AWSELBAuthSessionCookie", alb.SessionCookie); it signs the user out of
// all sessions with the access token the load balancer forwards
// (x-amzn-oidc-accesstoken), since it forwards no refresh token; and it
// sends the browser with 303 See Other to logoutURL, the user pool's
// managed-login logout URL (see LogoutURL), which ends the managed-login
// session too: without it the load balancer's next sign-in would be
// granted at once, with no password asked. The logout_uri in logoutURL
// is where the user lands, signed out. It is an error from New to combine
// WithALB with WithTokenCookies, WithRedirect or WithReach(ThisSession).
func WithALB(sessionCookie, logoutURL string) Option {
	return func(o *options) {
		u, err := url.Parse(logoutURL)
		switch {
		case sessionCookie == "" || !validCookieName(sessionCookie+"-0"):
			o.fail("WithALB", "not a cookie name")
		case err != nil || !safeRedirect(logoutURL) || !u.IsAbs():
			o.fail("WithALB", "the logout URL is not an absolute http(s) URL")
		default:
			o.albCookie, o.albLogout = sessionCookie, logoutURL
		}
	}
}

// WithTokenCookies names the cookies holding the access and refresh tokens;
// either may be "". The access token is taken from "Authorization: Bearer"
// first. The cookies are expired by every logout but one answered 503.
func WithTokenCookies(access, refresh string) Option {
	return func(o *options) {
		for _, name := range []string{access, refresh} {
			if name != "" && !validCookieName(name) {
				o.fail("WithTokenCookies", "not a cookie name")
				return
			}
		}
		o.accessCookie, o.refreshCookie = access, refresh
	}
}

// WithClearCookies names more cookies to expire, such as the application's
// own session cookie.
func WithClearCookies(names ...string) Option {
	return func(o *options) {
		for _, name := range names {
			if !validCookieName(name) {
				o.fail("WithClearCookies", "not a cookie name")
				return
			}
		}
		o.clearCookies = names
	}
}

func validCookieName(name string) bool {
	return (&http.Cookie{Name: name, Value: "x"}).Valid() == nil
}

// WithCookieScope sets the path and domain the cookies were set with, which
// expiring them needs, or the browser keeps them. Default: path "/",
// host-only (domain ""). __Host- cookies always have path "/" and no domain.
func WithCookieScope(path, domain string) Option {
	return func(o *options) {
		if !strings.HasPrefix(path, "/") {
			o.fail("WithCookieScope", "the path does not begin with /")
			return
		}
		o.cookiePath, o.cookieDomain = path, domain
	}
}

// WithCrossOriginProtection checks every request with p, net/http's
// protection against cross-site requests, which refuses them with 403
// before anything changes. The default is a new one, which accepts the
// handler's own origin only: it reads Sec-Fetch-Site, or in older browsers
// compares Origin with the Host header, and lets a request with neither
// header through, since it does not come from a browser page (curl, a
// mobile app with Authorization: Bearer). Give one with AddTrustedOrigin
// for pages of other origins, or with AddInsecureBypassPattern for an
// application that protects the endpoint itself.
func WithCrossOriginProtection(p *http.CrossOriginProtection) Option {
	return func(o *options) {
		if p == nil {
			o.fail("WithCrossOriginProtection", "nil *http.CrossOriginProtection")
			return
		}
		o.cop = p
	}
}

// WithClearSiteData sets the Clear-Site-Data directives sent with every
// logout answer; none sends no Clear-Site-Data. The default, "cache", has
// the browser drop its HTTP cache of the site and the pages in its
// back/forward cache, so Back does not show them; the page the logout is
// posted from needs Cache-Control: no-store as well (see the package doc).
// "cookies" also drops every cookie of the registrable domain (sibling
// subdomains included), "storage" drops local storage, IndexedDB and
// service workers, "*" everything. Browsers honour the header over HTTPS
// and on localhost only.
func WithClearSiteData(directives ...string) Option {
	return func(o *options) {
		for _, d := range directives {
			if !slices.Contains(siteData, d) {
				o.fail("WithClearSiteData", "a directive is not one of "+strings.Join(siteData, ", "))
				return
			}
		}
		o.siteData = directives
	}
}

// WithTimeout bounds the whole logout, every call to Cognito and its
// retries included; the client's own WithTimeout bounds each call within
// it. The request's cancellation is ignored, so a user who closes the tab
// does not stop the sign-out. Default 10 s.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.fail("WithTimeout", "not a positive duration")
			return
		}
		o.timeout = d
	}
}

// WithRedirect sends the browser to url with 303 See Other after a logout,
// instead of answering 204 No Content: a path on this site, or an http(s)
// URL such as a LogoutURL to also end the managed-login session. Anything
// else ("//host", javascript:, ...) is refused.
func WithRedirect(url string) Option {
	return func(o *options) {
		if !safeRedirect(url) {
			o.fail("WithRedirect", "neither an http(s) URL nor a path on this site")
			return
		}
		o.redirect = url
	}
}

// WithOnError sets a hook that hears of each session a logout did not end
// at Cognito as far as asked: ended is what did end (0 for nothing,
// signout.ThisSession when AllSessions was asked but only this session
// could be ended), err why. An err matching signout.ErrQueued means the
// session is recorded at the API and its Cognito call queued: the user is
// signed out. Any other err (Cognito unreachable, the access token
// expired, ...) means it is not. The hook runs after the answer has been
// sent, so it cannot change the answer, nor spoil it by panicking. It also
// hears ErrTooManyTokens. err never holds a token.
func WithOnError(f func(r *http.Request, ended signout.Reach, err error)) Option {
	return func(o *options) {
		if f == nil {
			o.fail("WithOnError", "nil func")
			return
		}
		o.onErr = f
	}
}
