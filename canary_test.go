package signout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
)

// leaks reports whether text holds tok or its signature part.
func leaks(text, tok string) bool {
	if strings.Contains(text, tok) {
		return true
	}
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 16 {
		return strings.Contains(text, tok[i+1:])
	}
	return false
}

// everything renders err every way a program might print it, down its chain.
func everything(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v|%+v|%#v|%s|%q\n", err, err, err, err, err)
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error() + "\n")
	}
	var se *signout.Error
	if errors.As(err, &se) {
		b.WriteString(se.Message + "|" + se.Code + "|" + se.RequestID + "\n")
	}
	return b.String()
}

// TestCanary sends recognisable tokens down every path the library has,
// with debug logging on and servers that echo them, and looks for them in
// every error, log line and response.
func TestCanary(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := signouttest.NewServer(signouttest.Confidential())
	t.Cleanup(srv.Close)
	base := []signout.Option{signout.WithEndpoint(srv.URL), signout.WithLogger(logger), signout.WithRetryMaxAttempts(2),
		signout.WithClientID(srv.ClientID), signout.WithClientSecret(srv.ClientSecret), signout.WithReadTimeout(200 * time.Millisecond)}
	c, err := signout.New(base...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	unchecked, err := signout.New(append(base, signout.WithTokenChecks(false))...)
	require.NoError(t, err)
	t.Cleanup(unchecked.CloseIdleConnections)

	var seen []string // every text produced, with the tokens that must not be in it
	var secrets []string
	check := func(text string, toks ...string) {
		seen = append(seen, text)
		secrets = append(secrets, toks...)
	}

	echo := func(tok string) []signouttest.Fault {
		return []signouttest.Fault{
			{Code: "NotAuthorizedException", Message: tok},
			{Code: "NotAuthorizedException", Message: "Invalid Access Token: " + tok},
			{Code: "TooManyRequestsException", Message: "slow down " + tok},
			{Code: "InternalErrorException", Message: `{"echo":"` + tok + `"}`},
			{Code: tok, Message: "odd code"},
			{Code: "InvalidParameterException", Message: "x", RequestID: "req-" + tok},
			{Status: 502, Body: "<html>upstream said " + tok + "</html>"},
			{Status: 200, Body: `{"truncated":"` + tok},
			{Status: 400, Body: tok},
			{Reset: true},
			{Hang: true},
		}
	}
	// A JWT from the stand-in, and an opaque canary only exact matching can catch.
	jwt := srv.SignIn("canary").AccessToken
	opaque := "CANARY-opaque-token-0123456789"
	for _, tc := range []struct {
		client *signout.Client
		tok    string
	}{{c, jwt}, {unchecked, opaque}} {
		for _, f := range echo(tc.tok) {
			srv.InjectFault("GlobalSignOut", f)
			err := tc.client.SignOut(context.Background(), tc.tok)
			srv.ClearFaults()
			require.Error(t, err)
			check(everything(err), tc.tok)
		}
	}
	// Success, and refusal of the revoked token.
	live := srv.SignIn("canary2")
	require.NoError(t, c.SignOut(context.Background(), live.AccessToken))
	check(everything(c.SignOut(context.Background(), live.AccessToken)), live.AccessToken)
	// Local refusals.
	for _, bad := range []string{srv.AccessToken("x", signouttest.ExpiresIn(-time.Hour)), srv.AccessToken("y", signouttest.Scope("openid")), srv.SignIn("z").IDToken} {
		check(everything(c.SignOut(context.Background(), bad)), bad)
	}
	// RevokeToken and EndSession, with the refresh token and client secret echoed.
	s := srv.SignIn("canary3")
	srv.InjectFault("RevokeToken", signouttest.Fault{Code: "UnauthorizedException", Message: s.RefreshToken + " / " + srv.ClientSecret})
	res, err := c.EndSession(context.Background(), signout.Session{AccessToken: "expired-" + s.AccessToken, RefreshToken: s.RefreshToken})
	require.Error(t, err)
	check(everything(err)+everything(res.SignOutErr)+everything(res.RevokeErr), s.AccessToken, s.RefreshToken, srv.ClientSecret)
	srv.ClearFaults()

	// The logout handler, its hook writing the error to the same log.
	h, err := signouthttp.NewHandler(signouthttp.Config{Ender: c, AccessTokenCookie: "at", RefreshTokenCookie: "rt",
		OnError: func(r *http.Request, res signout.Result, err error) { logger.Error("logout failed", "err", err) }})
	require.NoError(t, err)
	hs := srv.SignIn("canary4")
	srv.InjectFault("", signouttest.Fault{Code: "InternalErrorException", Message: hs.AccessToken + hs.RefreshToken})
	req := httptest.NewRequest(http.MethodPost, "/logout", nil)
	req.AddCookie(&http.Cookie{Name: "at", Value: hs.AccessToken})
	req.AddCookie(&http.Cookie{Name: "rt", Value: hs.RefreshToken})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	srv.ClearFaults()
	check(rec.Body.String()+fmt.Sprint(rec.Header()), hs.AccessToken, hs.RefreshToken)

	require.Contains(t, logs.String(), "signout: attempt", "debug logging was on")
	require.Contains(t, logs.String(), "logout failed", "the hook ran")
	seen = append(seen, logs.String())
	for _, text := range seen {
		for _, secret := range secrets {
			assert.False(t, leaks(text, secret), "a secret leaked into: %.300s", text)
		}
	}
	t.Logf("%d texts checked against %d secrets; %d bytes of debug log", len(seen), len(secrets), logs.Len())
}
