// Package signouthttp provides an http.Handler for a logout endpoint: it
// ends the user's Cognito session (see signout.Client.Logout) and always
// expires the application's session cookies, even when Cognito cannot be
// reached.
//
//	h, err := signouthttp.NewHandler(signouthttp.Config{
//		Client:             client, // a *signout.Client with WithAppClient
//		AccessTokenCookie:  "access_token",
//		RefreshTokenCookie: "refresh_token",
//		AllowedOrigins:     []string{"https://app.example.com"},
//		RedirectURL:        "/",
//	})
//	mux.Handle("POST /logout", h)
package signouthttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

// Client ends sessions at Cognito; *signout.Client implements it.
type Client interface {
	Logout(ctx context.Context, accessToken, refreshToken string, reach signout.Reach) (signout.Reach, error)
}

// Config configures the handler NewHandler returns.
type Config struct {
	// Client ends the session: a *signout.Client configured with
	// WithAppClient (so that it can revoke refresh tokens), or a fake.
	Client Client
	// Reach is how far a logout goes: signout.ThisSession (the default)
	// or signout.AllSessions.
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
	// AllowedOrigins, when set, lists the origins (scheme://host[:port])
	// that may post to the handler. A request whose Origin header, or
	// lacking one its Referer, names another origin is refused with 403 and
	// changes nothing. A request with neither is allowed: it does not come
	// from a browser page, so it cannot be a cross-site forgery.
	AllowedOrigins []string
	// RedirectURL, when set, is where the handler sends the browser with
	// 303 See Other, for example a signout.LogoutURL to also end the
	// managed-login session. Without it the handler answers 204 No Content.
	RedirectURL string
	// OnError, when set, hears of a session Cognito did not end (unreachable,
	// throttled, ...). The cookies are expired and the answer sent all the
	// same. err never holds a token.
	OnError func(r *http.Request, ended signout.Reach, err error)
}

// handler serves logout requests.
type handler struct {
	cfg     Config
	cookies []string // names to expire
	origins []string
}

// NewHandler returns the logout handler. It accepts POST only, as a logout
// by GET could be triggered by any page. The session is ended with the
// request's values but not its cancellation, so a user who closes the tab
// does not stop the revocation; the Client's own timeout bounds it.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Client == nil {
		return nil, errors.New("signouthttp: Config.Client is nil")
	}
	if cfg.Reach == 0 {
		cfg.Reach = signout.ThisSession
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
	for _, o := range cfg.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("signouthttp: allowed origin %q is not scheme://host[:port]", o)
		}
		h.origins = append(h.origins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	if cfg.RedirectURL != "" {
		if u, err := url.Parse(cfg.RedirectURL); err != nil || (!u.IsAbs() && !strings.HasPrefix(cfg.RedirectURL, "/")) {
			return nil, fmt.Errorf("signouthttp: RedirectURL %q is neither absolute nor a path", cfg.RedirectURL)
		}
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "logout needs POST", http.StatusMethodNotAllowed)
		return
	}
	if !h.originAllowed(r) {
		http.Error(w, "cross-origin logout refused", http.StatusForbidden)
		return
	}
	at := bearer(r)
	if at == "" {
		at = h.cookie(r, h.cfg.AccessTokenCookie)
	}
	rt := h.cookie(r, h.cfg.RefreshTokenCookie)
	if at != "" || rt != "" {
		ended, err := h.cfg.Client.Logout(context.WithoutCancel(r.Context()), at, rt, h.cfg.Reach)
		if err != nil && h.cfg.OnError != nil {
			h.cfg.OnError(r, ended, err)
		}
	}
	h.expireCookies(w, r)
	w.Header().Set("Cache-Control", "no-store")
	if h.cfg.RedirectURL != "" {
		http.Redirect(w, r, h.cfg.RedirectURL, http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) originAllowed(r *http.Request) bool {
	if len(h.origins) == 0 {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host != "" {
			origin = ref.Scheme + "://" + ref.Host
		}
	}
	if origin == "" {
		return true
	}
	return slices.Contains(h.origins, strings.ToLower(origin))
}

func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (h *handler) cookie(r *http.Request, name string) string {
	if name == "" {
		return ""
	}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
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
