package verify

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/cognitogo/signout"
)

type claimsKey struct{}

// ClaimsFromContext returns the claims Middleware verified for the request
// whose context is ctx.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// Middleware verifies the request's bearer token (Authorization: Bearer
// TOKEN), which must meet reqs as well as the requirements of
// WithRequirements, and calls next with the claims in the request's context
// (see ClaimsFromContext). Give each route its own reqs, such as
// v.Middleware(admin, verify.AllGroups("admins")): one Verifier and its
// cache serve them all. Otherwise it answers as RFC 6750 says, with a
// WWW-Authenticate: Bearer header: 401 without an error code when there is
// no bearer token; 401 invalid_token for an invalid, expired or revoked
// token; 403 insufficient_scope for a missing scope or group; 400
// invalid_request for a malformed Authorization header. When the token
// could not be checked (JWKS unreachable, revocation store stale, a
// Requirement built from bad arguments) it answers 503, so that clients
// keep their tokens and retry.
func (v *Verifier) Middleware(next http.Handler, reqs ...Requirement) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, problem := bearerToken(r)
		switch problem {
		case noToken:
			refuse(w, http.StatusUnauthorized, `Bearer`, "bearer token required")
			return
		case badHeader:
			refuse(w, http.StatusBadRequest, `Bearer error="invalid_request", error_description="malformed Authorization header"`, "invalid_request")
			return
		}
		c, err := v.Verify(r.Context(), token, reqs...)
		if err != nil {
			refuseError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
	})
}

const (
	tokenOK = iota
	noToken
	badHeader
)

func bearerToken(r *http.Request) (string, int) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", noToken
	case len(values) > 1:
		return "", badHeader
	}
	scheme, token, found := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// Another scheme carries no bearer token: challenge for one.
		return "", noToken
	}
	token = strings.TrimLeft(token, " ")
	if !found || token == "" || strings.ContainsAny(token, " \t") {
		return "", badHeader
	}
	return token, tokenOK
}

// refuseError answers for a Verify error with a fixed description per kind:
// the error's own message stays on the server.
func refuseError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, signout.ErrMissingScope):
		refuse(w, http.StatusForbidden, `Bearer error="insufficient_scope", error_description="the token lacks a required scope or group"`, "insufficient_scope")
	case errors.Is(err, signout.ErrTokenExpired):
		refuse(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="the token expired"`, "invalid_token")
	case errors.Is(err, signout.ErrTokenRevoked):
		refuse(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="the token was revoked"`, "invalid_token")
	case errors.Is(err, signout.ErrNotAuthorized):
		refuse(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="the token is invalid"`, "invalid_token")
	default:
		w.Header().Set("Retry-After", "1")
		refuse(w, http.StatusServiceUnavailable, "", "token verification unavailable")
	}
}

func refuse(w http.ResponseWriter, status int, challenge, body string) {
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
