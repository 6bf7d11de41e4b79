package signouthttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cognitogo/signout"
)

// siteData are the directives of Clear-Site-Data.
var siteData = []string{"cache", "cookies", "storage", "executionContexts", "clientHints", "prefetchCache", "prerenderCache", "*"}

// Logouter ends a session as far as reach asks and returns what it ended;
// *signout.Client implements it. The handler calls it once for each session
// a request names, pairing duplicate access and refresh tokens by position
// (see the package doc), all at once and each within WithTimeout, so a
// Logouter must be safe for concurrent use.
type Logouter interface {
	Logout(ctx context.Context, accessToken, refreshToken string, reach signout.Reach) (signout.Reach, error)
}

// ErrTooManyTokens is what the WithOnError hook hears when a request
// carries more values of one token than a browser would send: the handler
// ends no session at Cognito and answers 400, with the cookies expired and
// Clear-Site-Data as for any logout.
var ErrTooManyTokens = errors.New("signouthttp: too many token cookies")

// handler serves logout requests.
type handler struct {
	options
	l       Logouter
	cookies []string // names to expire
	clear   string   // Clear-Site-Data, "" for none
}

// New returns the logout handler, which ends sessions with l, a
// *signout.Client with signout.WithAppClient (signout.ThisSession needs it
// to revoke the refresh token). It accepts POST only, as a logout by GET
// could be triggered by any page. An invalid option is an *signout.Error
// matching signout.ErrInvalidOption whose Op names it.
func New(l Logouter, opts ...Option) (http.Handler, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.err != nil:
		return nil, o.err
	case l == nil:
		return nil, badOption("New", "nil Logouter")
	case o.albCookie != "" && (o.accessCookie != "" || o.refreshCookie != ""):
		return nil, badOption("WithALB", "the load balancer forwards the access token: WithTokenCookies does not apply")
	case o.albCookie != "" && o.redirect != "":
		return nil, badOption("WithALB", "WithALB redirects to the logout URL: WithRedirect does not apply")
	case o.albCookie != "" && o.reachSet && o.reach != signout.AllSessions:
		return nil, badOption("WithALB", "the load balancer forwards no refresh token: a logout behind it ends all sessions")
	case o.albCookie != "":
		o.reach, o.redirect = signout.AllSessions, o.albLogout
	}
	h := &handler{options: o, l: l}
	for _, name := range append([]string{o.accessCookie, o.refreshCookie}, o.clearCookies...) {
		if name != "" && !slices.Contains(h.cookies, name) {
			h.cookies = append(h.cookies, name)
		}
	}
	quoted := make([]string, len(o.siteData))
	for i, d := range o.siteData {
		quoted[i] = `"` + d + `"`
	}
	h.clear = strings.Join(quoted, ", ")
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "logout needs POST", http.StatusMethodNotAllowed)
		return
	}
	if h.cop.Check(r) != nil {
		http.Error(w, "cross-origin logout refused", http.StatusForbidden)
		return
	}
	sessions, err := h.sessions(r)
	if err != nil {
		// Cognito is not asked to end sessions the handler cannot tell
		// apart, but the browser still forgets its own.
		h.respond(w, r, "too many session cookies\n", http.StatusBadRequest)
		h.onError(r, 0, err)
		return
	}
	type failure struct {
		ended signout.Reach
		err   error
	}
	// The sessions are ended at once, each with the whole budget: in turn,
	// a planted cookie sent first whose call hangs or is throttled would
	// use up the time of the user's own session, leaving it unrecorded.
	results := make([]failure, len(sessions))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.timeout)
	defer cancel()
	logout := func(i int) {
		ended, err := h.l.Logout(ctx, sessions[i].access, sessions[i].refresh, h.reach)
		results[i] = failure{ended, err}
	}
	var wg sync.WaitGroup
	for i := 1; i < len(sessions); i++ {
		wg.Go(func() { logout(i) })
	}
	if len(sessions) > 0 {
		logout(0) // on the request's goroutine, where net/http recovers a panic
	}
	wg.Wait()
	cancel()
	var failures []failure
	queued, retry := false, false
	for _, f := range results {
		if f.err == nil {
			continue
		}
		failures = append(failures, f)
		var se *signout.Error
		switch {
		case errors.Is(f.err, signout.ErrQueued):
			queued = true
		case errors.As(f.err, &se) && se.Retryable():
			retry = true
		}
	}
	switch {
	case retry:
		h.unavailable(w)
	case queued:
		h.respond(w, r, "", http.StatusAccepted)
	default:
		h.respond(w, r, "", http.StatusNoContent)
	}
	// The answer is out, so a hook that panics cannot spoil it.
	for _, f := range failures {
		h.onError(r, f.ended, f.err)
	}
}

// unavailable answers a logout that did not hold, and could if tried again
// (Cognito, the revocation store or the JWKS could not be reached, and the
// call could not be queued): 503 with Retry-After, and the cookies kept,
// so that the page can try again rather than leave the sessions alive
// unseen.
func (h *handler) unavailable(w http.ResponseWriter) {
	const msg = "logout not completed: try again\n"
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, msg)
	_ = http.NewResponseController(w).Flush()
}

func (h *handler) onError(r *http.Request, ended signout.Reach, err error) {
	if h.onErr != nil {
		h.onErr(r, ended, err)
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
	access := values(r, h.accessCookie, bearer(r))
	if h.albCookie != "" {
		access = nil
		for _, v := range r.Header.Values(albAccessHeader) {
			if v != "" && !slices.Contains(access, v) {
				access = append(access, v)
			}
		}
	}
	refresh := values(r, h.refreshCookie, "")
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
// back: 400 with the text refused when it is set, else the redirect, else
// status (204, or 202 when a call was queued). Every body has a
// Content-Length, so the answer is complete once flushed.
func (h *handler) respond(w http.ResponseWriter, r *http.Request, refused string, status int) {
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
	case h.redirect != "":
		w.Header().Set("Content-Length", "0")
		http.Redirect(w, r, h.redirect, http.StatusSeeOther)
	default:
		w.WriteHeader(status)
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

// albAccessHeader is where a load balancer forwards the access token.
const albAccessHeader = "X-Amzn-Oidc-Accesstoken"

// expireALBCookies expires every shard of the load balancer's session
// cookie that r carries, as the load balancer sets them: path /, no
// domain, Secure behind HTTPS (X-Forwarded-Proto, which it sets).
func (h *handler) expireALBCookies(w http.ResponseWriter, r *http.Request) {
	var done []string
	for _, c := range r.Cookies() {
		n, ok := strings.CutPrefix(c.Name, h.albCookie+"-")
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" || slices.Contains(done, c.Name) {
			continue
		}
		done = append(done, c.Name)
		http.SetCookie(w, &http.Cookie{Name: c.Name, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true,
			Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
	}
}

// expireCookies tells the browser to drop every configured cookie. A
// __Host- or __Secure- cookie, or any on HTTPS, is expired with Secure, as
// browsers require for those prefixes.
func (h *handler) expireCookies(w http.ResponseWriter, r *http.Request) {
	if h.albCookie != "" {
		h.expireALBCookies(w, r)
	}
	for _, name := range h.cookies {
		c := &http.Cookie{
			Name:     name,
			Value:    "",
			Path:     h.cookiePath,
			Domain:   h.cookieDomain,
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
