package signouthttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

// defaultTimeout is Config.Timeout's default: the library's default for one
// call, now shared by all of a logout's calls.
const defaultTimeout = 10 * time.Second

// siteData are the directives of Clear-Site-Data.
var siteData = []string{"cache", "cookies", "storage", "executionContexts", "clientHints", "prefetchCache", "prerenderCache", "*"}

// Config configures the handler NewHandler returns.
type Config struct {
	// Client ends the sessions: a *signout.Client, or a fake.
	// signout.ThisSession needs the app client (signout.WithAppClient) to
	// revoke the refresh token; without it the client signs the user out
	// everywhere instead (see signout.Client.Logout).
	Client Client
	// Reach is which sessions a logout ends: signout.ThisSession, the
	// default, or signout.AllSessions. ThisSession is what a "Log out" button means: the phone
	// stays signed in when the laptop logs out. It also costs less: Cognito
	// counts RevokeToken against the UserToken quota (120 requests per
	// second, adjustable), GlobalSignOut against UserUpdate (25 per second,
	// shared with AdminUserGlobalSignOut, not adjustable). Amplify's
	// signOut() makes the same choice. Use a second handler with
	// AllSessions for "Log out of all devices".
	Reach signout.Reach
	// AccessTokenCookie and RefreshTokenCookie name the cookies holding the
	// tokens. The access token is taken from "Authorization: Bearer" first.
	AccessTokenCookie  string
	RefreshTokenCookie string
	// ClearCookies names more cookies to expire, such as the application's
	// own session cookie. The token cookies are always expired.
	ClearCookies []string
	// CookiePath and CookieDomain must be those the cookies were set with,
	// or the browser keeps them. Default: path "/", host-only.
	CookiePath   string
	CookieDomain string
	// AllowedOrigins lists other origins (scheme://host[:port]) whose pages
	// may post to the handler, besides its own. A browser request from any
	// other origin, even a same-site one such as another port or subdomain,
	// is refused with 403 and changes nothing. The check is net/http's
	// CrossOriginProtection: it reads Sec-Fetch-Site, or in older browsers
	// compares Origin with the Host header. A request with neither header is
	// allowed: it does not come from a browser page (curl, a mobile app with
	// Authorization: Bearer), so it cannot be a cross-site forgery.
	AllowedOrigins []string
	// AllowAnyOrigin turns the origin check off, for an application that
	// protects the endpoint against cross-site requests itself. It
	// contradicts AllowedOrigins: NewHandler refuses both.
	AllowAnyOrigin bool
	// ClearSiteData lists the Clear-Site-Data directives sent with the
	// logout answer. The default, "cache", has the browser drop its HTTP
	// cache of the site and the pages in its back/forward cache, so Back
	// does not show them; the page the logout is posted from needs
	// Cache-Control: no-store as well (see the package doc). "cookies" also
	// drops every cookie of the registrable domain (sibling subdomains
	// included), "storage" drops local storage, IndexedDB and service
	// workers, "*" everything. Browsers honour the header over HTTPS and on
	// localhost only.
	ClearSiteData []string
	// NoClearSiteData sends no Clear-Site-Data. It contradicts ClearSiteData:
	// NewHandler refuses both.
	NoClearSiteData bool
	// Timeout bounds the whole logout, every call to Cognito and its retries
	// included; the client's own WithTimeout bounds each call within it.
	// The request's cancellation is ignored, so a user who closes the tab
	// does not stop the revocation. Default 10 s; negative is an error.
	Timeout time.Duration
	// RedirectURL, when set, is where the handler sends the browser with
	// 303 See Other: a path on this site, or an http(s) URL such as a
	// LogoutURL to also end the managed-login session. NewHandler refuses
	// anything else ("//host", javascript:, ...). Without it the handler
	// answers 204 No Content.
	RedirectURL string
	// OnError, when set, hears of each session the logout did not end as
	// far as Reach asked: ended is what did end (0 for nothing,
	// signout.ThisSession when AllSessions was asked but only this session
	// could be ended), err why (Cognito unreachable, throttled, the access
	// token expired, ...). It runs after the answer, expired cookies
	// included, has been sent, so it cannot change the answer, nor spoil it
	// by panicking. It also hears ErrTooManyTokens. err never holds a token.
	OnError func(r *http.Request, ended signout.Reach, err error)
}

// Client ends a session as far as reach asks and returns what it ended;
// *signout.Client implements it. The handler calls it once for each session
// a request names, all within Config.Timeout, pairing duplicate access and
// refresh tokens by position (see the package doc).
type Client interface {
	Logout(ctx context.Context, accessToken, refreshToken string, reach signout.Reach) (signout.Reach, error)
}

// ErrTooManyTokens is what OnError hears when a request carries more values
// of one token than a browser would send: the handler ends no session at
// Cognito and answers 400, with the cookies expired and Clear-Site-Data as
// for any logout.
var ErrTooManyTokens = errors.New("signouthttp: too many token cookies")

// handler serves logout requests.
type handler struct {
	cfg     Config
	cookies []string                    // names to expire
	clear   string                      // Clear-Site-Data, "" for none
	cop     *http.CrossOriginProtection // nil with AllowAnyOrigin
}

// NewHandler returns the logout handler. It accepts POST only, as a logout
// by GET could be triggered by any page. Invalid configuration is an error
// naming the field.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Client == nil {
		return nil, errors.New("signouthttp: Config.Client is nil")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("signouthttp: Config.Timeout is negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	switch cfg.Reach {
	case 0:
		cfg.Reach = signout.ThisSession
	case signout.ThisSession, signout.AllSessions:
	default:
		return nil, fmt.Errorf("signouthttp: Config.Reach %d is neither signout.ThisSession nor signout.AllSessions", int(cfg.Reach))
	}
	if cfg.CookiePath == "" {
		cfg.CookiePath = "/"
	}
	h := &handler{cfg: cfg}
	for _, name := range append([]string{cfg.AccessTokenCookie, cfg.RefreshTokenCookie}, cfg.ClearCookies...) {
		if name == "" || slices.Contains(h.cookies, name) {
			continue
		}
		if (&http.Cookie{Name: name, Value: "x"}).Valid() != nil {
			return nil, fmt.Errorf("signouthttp: %q is not a cookie name", name)
		}
		h.cookies = append(h.cookies, name)
	}
	switch {
	case cfg.NoClearSiteData && len(cfg.ClearSiteData) > 0:
		return nil, errors.New("signouthttp: NoClearSiteData and ClearSiteData contradict each other")
	case cfg.NoClearSiteData:
	case len(cfg.ClearSiteData) == 0:
		h.clear = `"cache"`
	default:
		quoted := make([]string, len(cfg.ClearSiteData))
		for i, d := range cfg.ClearSiteData {
			if !slices.Contains(siteData, d) {
				return nil, fmt.Errorf("signouthttp: ClearSiteData %q is not one of %q", d, siteData)
			}
			quoted[i] = `"` + d + `"`
		}
		h.clear = strings.Join(quoted, ", ")
	}
	if cfg.AllowAnyOrigin && len(cfg.AllowedOrigins) > 0 {
		return nil, errors.New("signouthttp: AllowAnyOrigin and AllowedOrigins contradict each other")
	}
	if !cfg.AllowAnyOrigin {
		h.cop = http.NewCrossOriginProtection()
	}
	for _, o := range cfg.AllowedOrigins {
		// Browsers send the origin in lower case, and it is matched exactly.
		u, err := url.Parse(strings.ToLower(o))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("signouthttp: allowed origin %q is not scheme://host[:port]", o)
		}
		if err := h.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("signouthttp: allowed origin %q: %w", o, err)
		}
	}
	if cfg.RedirectURL != "" && !safeRedirect(cfg.RedirectURL) {
		return nil, fmt.Errorf("signouthttp: RedirectURL %q is neither an http(s) URL nor a path on this site", cfg.RedirectURL)
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "logout needs POST", http.StatusMethodNotAllowed)
		return
	}
	if h.cop != nil && h.cop.Check(r) != nil {
		http.Error(w, "cross-origin logout refused", http.StatusForbidden)
		return
	}
	sessions, err := h.sessions(r)
	if err != nil {
		// Cognito is not asked to end sessions the handler cannot tell
		// apart, but the browser still forgets its own.
		h.respond(w, r, "too many session cookies\n")
		h.onError(r, 0, err)
		return
	}
	type failure struct {
		ended signout.Reach
		err   error
	}
	var failures []failure
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.cfg.Timeout)
	for _, s := range sessions {
		if ended, err := h.cfg.Client.Logout(ctx, s.access, s.refresh, h.cfg.Reach); err != nil {
			failures = append(failures, failure{ended, err})
		}
	}
	cancel()
	h.respond(w, r, "")
	// The answer is out, so a hook that panics cannot keep the cookies alive.
	for _, f := range failures {
		h.onError(r, f.ended, f.err)
	}
}

func (h *handler) onError(r *http.Request, ended signout.Reach, err error) {
	if h.cfg.OnError != nil {
		h.cfg.OnError(r, ended, err)
	}
}

// session holds the tokens of one session; either may be empty.
type session struct{ access, refresh string }

// maxTokens bounds the values of one token a request may carry. A browser
// sends one, or a few when cookies with other paths or domains share the
// name.
const maxTokens = 8

// sessions returns the sessions a request names. A page on a sibling
// subdomain can set a cookie of the same name that the browser sends first
// (rt=ATTACKER; rt=VICTIM): every distinct value is taken, the access tokens
// (the bearer token first) paired by position with the refresh tokens. A
// pair may mix two sessions; that is safe because each Logout call ends at
// Cognito only what its own tokens name.
func (h *handler) sessions(r *http.Request) ([]session, error) {
	access := values(r, h.cfg.AccessTokenCookie, bearer(r))
	refresh := values(r, h.cfg.RefreshTokenCookie, "")
	if len(access) > maxTokens || len(refresh) > maxTokens {
		return nil, ErrTooManyTokens
	}
	sessions := make([]session, max(len(access), len(refresh)))
	for i := range sessions {
		if i < len(access) {
			sessions[i].access = access[i]
		}
		if i < len(refresh) {
			sessions[i].refresh = refresh[i]
		}
	}
	return sessions, nil
}

// values returns first, when set, and the values of the cookies called name,
// each once.
func values(r *http.Request, name, first string) []string {
	var vs []string
	if first != "" {
		vs = append(vs, first)
	}
	if name == "" {
		return vs
	}
	for _, c := range r.CookiesNamed(name) {
		if c.Value != "" && !slices.Contains(vs, c.Value) {
			vs = append(vs, c.Value)
		}
	}
	return vs
}

// respond expires the cookies, sends Clear-Site-Data, and sends the whole
// answer, flushed, so that nothing the handler does afterwards can hold it
// back: 400 with the text refused when it is set, else the redirect or 204.
// Every body has a Content-Length, so the answer is complete once flushed.
func (h *handler) respond(w http.ResponseWriter, r *http.Request, refused string) {
	h.expireCookies(w, r)
	w.Header().Set("Cache-Control", "no-store")
	if h.clear != "" {
		w.Header().Set("Clear-Site-Data", h.clear)
	}
	switch {
	case refused != "":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Length", strconv.Itoa(len(refused)))
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, refused)
	case h.cfg.RedirectURL != "":
		w.Header().Set("Content-Length", "0")
		http.Redirect(w, r, h.cfg.RedirectURL, http.StatusSeeOther)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	_ = http.NewResponseController(w).Flush()
}

// safeRedirect accepts an absolute http or https URL with a host, or a path
// on this site. Browsers read "//host" and "/\host" as another host, and a
// javascript: or data: URL would run in the site's origin.
func safeRedirect(s string) bool {
	u, err := url.Parse(s)
	if err != nil || strings.ContainsRune(s, '\\') {
		return false
	}
	if u.Scheme == "https" || u.Scheme == "http" {
		return u.Host != "" && u.User == nil
	}
	return u.Scheme == "" && u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
}

func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// expireCookies tells the browser to drop every configured cookie. A
// __Host- or __Secure- cookie, or any on HTTPS, is expired with Secure, as
// browsers require for those prefixes.
func (h *handler) expireCookies(w http.ResponseWriter, r *http.Request) {
	for _, name := range h.cookies {
		c := &http.Cookie{
			Name:     name,
			Value:    "",
			Path:     h.cfg.CookiePath,
			Domain:   h.cfg.CookieDomain,
			MaxAge:   -1,
			Expires:  time.Unix(0, 0),
			HttpOnly: true,
			SameSite: http.SameSiteLaxMode,
			Secure:   r.TLS != nil || strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-"),
		}
		if strings.HasPrefix(name, "__Host-") {
			c.Path, c.Domain = "/", ""
		}
		http.SetCookie(w, c)
	}
}
