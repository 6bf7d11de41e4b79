package alb

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

type claimsKey struct{}

// ClaimsFromContext returns the claims the middleware verified for the
// request whose context is ctx.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// Middleware checks each request with VerifyRequest and calls next with
// the claims in the request's context (see ClaimsFromContext). Otherwise
// it answers 401 when the session is not valid (no load balancer headers,
// a forged, expired or mismatched token, a session signed out), and
// expires the load balancer's session cookies the request carries, so
// that the load balancer signs the user in again on their next request;
// or 503 with Retry-After when the tokens could not be checked (a key
// endpoint or JWKS unreachable, key fetches limited, the revocation store
// failing), keeping the cookies. Answers carry Cache-Control: no-store.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.VerifyRequest(r)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
		case errors.Is(err, signout.ErrNotAuthorized):
			expireSessionCookies(w, r, v.sessionCookie)
			refuse(w, http.StatusUnauthorized, "session not valid: sign in again")
		default:
			w.Header().Set("Retry-After", "1")
			refuse(w, http.StatusServiceUnavailable, "session check unavailable")
		}
	})
}

func refuse(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}

// expireSessionCookies expires every shard (name-0, name-1, ...) of the
// load balancer's session cookie that r carries, as the load balancer sets
// them: path /, no domain, Secure behind HTTPS (X-Forwarded-Proto, which
// the load balancer sets).
func expireSessionCookies(w http.ResponseWriter, r *http.Request, name string) {
	var done []string
	for _, c := range r.Cookies() {
		n, ok := strings.CutPrefix(c.Name, name+"-")
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" || slices.Contains(done, c.Name) {
			continue
		}
		done = append(done, c.Name)
		http.SetCookie(w, &http.Cookie{Name: c.Name, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true,
			Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
	}
}
