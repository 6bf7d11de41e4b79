package signout_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/signouttest"
)

// stallListener accepts TCP connections on loopback and never says a word,
// so a TLS handshake with it can only time out.
func stallListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "https://" + l.Addr().String()
}

// closedPort returns a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// serve starts an httptest server answering with h.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ts := httptest.NewServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(ts.Close)
	return ts.URL
}

// endless writes a body that never ends, until the client goes away.
func endless(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// gzipBomb answers with a small gzip body that inflates to 1 GiB.
func gzipBomb(t *testing.T) http.HandlerFunc {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zero := make([]byte, 1<<20)
	for range 1024 {
		zw.Write(zero)
	}
	require.NoError(t, zw.Close())
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(500)
		w.Write(buf.Bytes())
	}
}

// TestErrorMapping plays each of Cognito's answers and each fault on the
// way to it, once, and checks the typed error, Retryable, the attempts made
// and the requests received.
func TestErrorMapping(t *testing.T) {
	t.Parallel() // waits out retry backoffs; overlapped with the others
	type row struct {
		name      string
		fault     signouttest.Fault                                  // played for GlobalSignOut
		endpoint  func(t *testing.T, srv *signouttest.Server) string // instead of the stand-in
		opts      []signout.Option
		want      error
		retryable bool
		attempts  int
	}
	f := func(code, msg string) signouttest.Fault {
		return signouttest.Fault{Mode: signouttest.ErrorReply, Code: code, Message: msg}
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	rows := []row{
		{name: "revoked", fault: f("NotAuthorizedException", "Access Token has been revoked"), want: signout.ErrTokenRevoked, attempts: 1},
		{name: "expired", fault: f("NotAuthorizedException", "Access Token has expired"), want: signout.ErrTokenExpired, attempts: 1},
		{name: "invalid", fault: f("NotAuthorizedException", "Invalid Access Token"), want: signout.ErrInvalidToken, attempts: 1},
		{name: "scope", fault: f("NotAuthorizedException", "Access Token does not have required scopes"), want: signout.ErrMissingScope, attempts: 1},
		{name: "other not authorized", fault: f("NotAuthorizedException", "User is disabled."), want: signout.ErrNotAuthorized, attempts: 1},
		{name: "user not confirmed", fault: f("UserNotConfirmedException", "User is not confirmed."), want: signout.ErrNotAuthorized, attempts: 1},
		{name: "password reset required", fault: f("PasswordResetRequiredException", "Password reset required for the user"), want: signout.ErrNotAuthorized, attempts: 1},
		{name: "user not found", fault: f("UserNotFoundException", "User does not exist."), want: signout.ErrUserNotFound, attempts: 1},
		{name: "resource not found", fault: f("ResourceNotFoundException", "x"), want: signout.ErrResourceNotFound, attempts: 1},
		{name: "invalid parameter", fault: f("InvalidParameterException", "bad"), want: signout.ErrInvalidParameter, attempts: 1},
		{name: "forbidden by WAF", fault: signouttest.Fault{Mode: signouttest.ErrorReply, Status: 403, Code: "ForbiddenException", Message: "x"}, want: signout.ErrForbidden, attempts: 1},
		{name: "client not authorized", fault: f("UnauthorizedException", "Client authentication failed."), want: signout.ErrForbidden, attempts: 1},
		{name: "not enabled", fault: f("UnsupportedOperationException", "Token revocation is not enabled"), want: signout.ErrOperationNotEnabled, attempts: 1},
		{name: "unsupported token type", fault: f("UnsupportedTokenTypeException", "x"), want: signout.ErrInvalidToken, attempts: 1},
		{name: "throttled past the retries", fault: f("TooManyRequestsException", "Rate exceeded"), want: signout.ErrThrottled, retryable: true, attempts: 3},
		{name: "internal error", fault: f("InternalErrorException", "boom"), want: signout.ErrService, retryable: true, attempts: 3},
		{name: "unknown 4xx code", fault: f("MysteryException", "?"), want: signout.ErrService, attempts: 1},
		{name: "502 HTML from a proxy", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"}, want: signout.ErrService, retryable: true, attempts: 3},
		{name: "503 plain text", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 503, Body: "Service Unavailable", ContentType: "text/plain"}, want: signout.ErrService, retryable: true, attempts: 3},
		{name: "403 HTML from a proxy", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 403, Body: "<html>denied</html>", ContentType: "text/html"}, want: signout.ErrService, attempts: 1},
		{name: "malformed JSON", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 200, Body: "{not json"}, want: signout.ErrService, attempts: 1},
		{name: "truncated JSON error", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 400, Body: `{"__type":"NotAuthorizedExc`}, want: signout.ErrService, attempts: 1},
		{name: "connection reset", fault: signouttest.Fault{Mode: signouttest.Reset}, want: signout.ErrNetwork, retryable: true, attempts: 3},
		{name: "connection refused", endpoint: func(t *testing.T, _ *signouttest.Server) string { return closedPort(t) },
			want: signout.ErrNetwork, retryable: true, attempts: 3},
		{name: "connect timeout: the TLS handshake stalls", endpoint: func(t *testing.T, _ *signouttest.Server) string { return stallListener(t) },
			opts: []signout.Option{signout.WithConnectTimeout(100 * time.Millisecond), signout.WithRetryMaxAttempts(2)},
			want: signout.ErrTimeout, retryable: true, attempts: 2},
		{name: "TLS below 1.2", endpoint: func(t *testing.T, _ *signouttest.Server) string {
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			ts.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
			ts.Config.ErrorLog = log.New(io.Discard, "", 0)
			ts.StartTLS()
			t.Cleanup(ts.Close)
			return ts.URL
		}, opts: []signout.Option{signout.WithHTTPClient(insecure)}, want: signout.ErrNetwork, attempts: 1},
		{name: "redirect to another host", endpoint: func(t *testing.T, srv *signouttest.Server) string {
			return serve(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, srv.URL, http.StatusTemporaryRedirect)
			})
		}, want: signout.ErrService, attempts: 1},
		{name: "endless error body", endpoint: func(t *testing.T, _ *signouttest.Server) string { return serve(t, endless(500)) },
			want: signout.ErrService, attempts: 1},
		{name: "gzip bomb", endpoint: func(t *testing.T, _ *signouttest.Server) string { return serve(t, gzipBomb(t)) },
			want: signout.ErrService, attempts: 1},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each row has its own server, and most wait on backoffs
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			tok := srv.SignIn("alice").AccessToken
			endpoint := srv.URL
			if tc.endpoint != nil {
				endpoint = tc.endpoint(t, srv)
			} else {
				srv.InjectFault("GlobalSignOut", tc.fault)
			}
			c, err := signout.New(append([]signout.Option{signout.WithEndpoint(endpoint)}, tc.opts...)...)
			require.NoError(t, err)
			err = c.SignOut(context.Background(), tok)
			require.ErrorIs(t, err, tc.want)
			se := asError(t, err)
			assert.Equal(t, tc.retryable, se.Retryable(), "Retryable")
			assert.Equal(t, tc.attempts, se.Attempts, "attempts")
			if tc.endpoint == nil {
				assert.Equal(t, tc.attempts, srv.Requests("GlobalSignOut"), "requests received")
			} else {
				assert.Zero(t, srv.Requests(""), "nothing reached the stand-in, not even by a redirect")
			}
			if tc.fault.Code != "" {
				assert.Equal(t, tc.fault.Code, se.Code)
				var api smithy.APIError
				require.ErrorAs(t, err, &api, "the SDK's error stays reachable")
				assert.Equal(t, tc.fault.Code, api.ErrorCode())
			}
			assert.LessOrEqual(t, len(se.Message), 515, "a server's message is bounded")
		})
	}
}

func TestErrorMethods(t *testing.T) {
	cause := errors.New("cause")
	e := &signout.Error{Op: "GlobalSignOut", Kind: signout.ErrTokenRevoked, Code: "NotAuthorizedException",
		Message: "Access Token has been revoked", RequestID: "req-1", StatusCode: 400, Attempts: 1, Err: cause}
	assert.Equal(t, "signout: GlobalSignOut: token has been revoked (NotAuthorizedException: Access Token has been revoked; status 400; request id req-1)", e.Error())
	assert.ErrorIs(t, e, signout.ErrTokenRevoked)
	assert.ErrorIs(t, e, signout.ErrNotAuthorized, "a token problem is a case of not authorized")
	assert.NotErrorIs(t, e, signout.ErrThrottled)
	assert.ErrorIs(t, e, cause, "Unwrap reaches the cause")
	assert.Contains(t, fmt.Sprintf("%#v", e), "Kind:signout.ErrTokenRevoked", "%#v names the sentinel")

	// Every sentinel's %#v name is its variable's, and each matches only
	// itself and the sentinels it is a case of.
	names := map[string]error{
		"ErrNotAuthorized": signout.ErrNotAuthorized, "ErrTokenRevoked": signout.ErrTokenRevoked, "ErrTokenExpired": signout.ErrTokenExpired,
		"ErrInvalidToken": signout.ErrInvalidToken, "ErrMissingScope": signout.ErrMissingScope, "ErrUserNotFound": signout.ErrUserNotFound,
		"ErrResourceNotFound": signout.ErrResourceNotFound, "ErrForbidden": signout.ErrForbidden, "ErrThrottled": signout.ErrThrottled,
		"ErrInvalidParameter": signout.ErrInvalidParameter, "ErrOperationNotEnabled": signout.ErrOperationNotEnabled,
		"ErrService": signout.ErrService, "ErrNetwork": signout.ErrNetwork, "ErrTimeout": signout.ErrTimeout, "ErrInvalidOption": signout.ErrInvalidOption,
		"ErrQueued": signout.ErrQueued,
	}
	require.Len(t, signout.Sentinels, len(names), "every sentinel is exported")
	for name, s := range names {
		assert.Equal(t, "signout."+name, fmt.Sprintf("%#v", s))
		assert.True(t, strings.HasPrefix(s.Error(), "signout: "))
		matched := 0
		for _, other := range signout.Sentinels {
			if errors.Is(&signout.Error{Kind: s}, other) {
				matched++
			}
		}
		want := 1
		if errors.Is(s, signout.ErrNotAuthorized) && s != signout.ErrNotAuthorized {
			want = 2
		}
		assert.Equal(t, want, matched, name)
	}
}

// TestErrorsHoldNoSecret sends recognisable tokens and a client secret down
// every path, to servers that echo them in every place an answer has, with
// debug logging on, and looks for them in every text an error or the log
// can produce and in everything reachable from each error.
func TestErrorsHoldNoSecret(t *testing.T) {
	t.Parallel() // waits out retry backoffs; overlapped with the others
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := signouttest.NewServer(signouttest.Confidential())
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithLogger(logger), signout.WithRetryMaxAttempts(2),
		signout.WithAppClient(srv.ClientID, srv.ClientSecret), signout.WithReadTimeout(200*time.Millisecond))
	require.NoError(t, err)

	var errs []error
	echoes := func(secret string) []signouttest.Fault {
		return []signouttest.Fault{
			{Mode: signouttest.ErrorReply, Code: "NotAuthorizedException", Message: secret},
			{Mode: signouttest.ErrorReply, Code: "NotAuthorizedException", Message: "Invalid Access Token: " + secret[len(secret)-40:]},
			{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "slow down " + strings.ToUpper(secret)},
			{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: base64.StdEncoding.EncodeToString([]byte(secret))},
			{Mode: signouttest.ErrorReply, Code: secret, Message: "odd code"},
			{Mode: signouttest.ErrorReply, Code: "InvalidParameterException", Message: "x", RequestID: "req-" + secret},
			{Mode: signouttest.RawReply, Status: 502, Body: "<html>upstream said " + secret + "</html>"},
			{Mode: signouttest.RawReply, Status: 200, Body: `{"truncated":"` + secret},
			{Mode: signouttest.RawReply, Status: 400, Body: secret},
			{Mode: signouttest.Reset},
			{Mode: signouttest.Hang},
		}
	}
	// SignOut, with the access token echoed.
	tok := srv.SignIn("canary").AccessToken
	for _, f := range echoes(tok) {
		remove := srv.InjectFault("GlobalSignOut", f)
		errs = append(errs, c.SignOut(context.Background(), tok))
		remove()
	}
	// Logout, with the refresh token and the client secret echoed.
	s := srv.SignIn("canary2")
	for _, f := range append(echoes(s.RefreshToken), echoes(srv.ClientSecret+srv.ClientSecret)...) {
		remove := srv.InjectFault("RevokeToken", f)
		_, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, signout.ThisSession)
		errs = append(errs, err)
		remove()
	}
	// Local refusals and a revoked token.
	live := srv.SignIn("canary3")
	require.NoError(t, c.SignOut(context.Background(), live.AccessToken))
	for _, bad := range []string{live.AccessToken, srv.SignIn("x", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}).AccessToken, srv.SignIn("z").IDToken} {
		errs = append(errs, c.SignOut(context.Background(), bad))
	}

	secrets := []string{tok, s.AccessToken, s.RefreshToken, srv.ClientSecret, live.AccessToken}
	failed := 0
	for _, err := range errs {
		if err == nil {
			continue // a Logout that fell back to GlobalSignOut and ended the session
		}
		failed++
		text := fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)
		for e := err; e != nil; e = errors.Unwrap(e) {
			text += "|" + e.Error()
		}
		for _, secret := range secrets {
			assert.False(t, redact.Contains(text, secret), "a secret in the text of %v", err)
		}
		assert.Empty(t, redact.Find(err, secrets...), "a secret reachable from %v", err)
	}
	assert.Greater(t, failed, len(errs)*3/4, "most calls failed, each with an error to search")
	require.Contains(t, logs.String(), "signout: attempt", "debug logging was on")
	for _, secret := range secrets {
		assert.False(t, redact.Contains(logs.String(), secret), "a secret in the debug log")
	}
}

// fuzzToken passes the local checks, so that it is sent; the fuzzer's
// servers echo it.
var fuzzToken = func() string {
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return seg(map[string]string{"alg": "RS256", "kid": "k"}) + "." + seg(map[string]any{
		"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Canary", "sub": "canary", "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "exp": time.Now().Add(24 * time.Hour).Unix(),
	}) + ".Q0FOQVJZLWZ1enotc2lnbmF0dXJlLTAxMjM0NTY3ODk"
}()

// answer is a RoundTripper that answers every request with one canned
// response, so that the fuzzer exercises the SDK's deserializer and the
// library's mapping without a network.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: r}, nil
}

// FuzzErrorMapping feeds SignOut arbitrary answers (status, error type
// header, request id header, body; "TOKEN" in them stands for the token, as
// servers echo it) and checks that every failure is an *Error matching one
// sentinel (and its broader ones), that Retryable agrees with the attempts
// made, and that the token shows nowhere: not in the error's text, not
// reachable from it, not in the debug log.
func FuzzErrorMapping(f *testing.F) {
	f.Add(400, "NotAuthorizedException", "req-1", `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`)
	f.Add(400, "NotAuthorizedException", "req-1", `{"__type":"NotAuthorizedException","message":"Access Token has expired"}`)
	f.Add(400, "", "req-1", `{"__type":"NotAuthorizedException","message":"TOKEN"}`)
	f.Add(400, "TooManyRequestsException", "req-1", `{"__type":"TooManyRequestsException","message":"Rate exceeded"}`)
	f.Add(500, "InternalErrorException", "req-1", `{"__type":"InternalErrorException","message":"Internal server error"}`)
	f.Add(503, "NotAuthorizedException", "req-1", `{"__type":"NotAuthorizedException","message":"Invalid Access Token"}`)
	f.Add(429, "", "", `slow down`)
	f.Add(400, "", "req-1", `{"__type":"com.amazonaws.cognito#InvalidParameterException:http://internal","message":"x"}`)
	f.Add(502, "", "req-1", `<html>Bad Gateway TOKEN</html>`)
	f.Add(200, "", "req-1", `{"AccessToken":"TOKEN"`)
	f.Add(307, "", "", ``)
	f.Add(403, "", "req-1", ``)
	f.Add(400, "TOKEN", "TOKEN", `{"__type":"TOKEN","message":"TOKEN"}`)
	f.Fuzz(func(t *testing.T, status int, errType, reqID, body string) {
		if status < 200 || status > 599 {
			t.Skip()
		}
		echo := func(s string) string { return strings.ReplaceAll(s, "TOKEN", fuzzToken) }
		h := http.Header{"Content-Type": {"application/x-amz-json-1.1"}}
		if errType != "" {
			h.Set("X-Amzn-Errortype", echo(errType))
		}
		if reqID != "" {
			h.Set("X-Amzn-Requestid", echo(reqID))
		}
		var logs strings.Builder
		c, err := signout.New(signout.WithHTTPClient(&http.Client{Transport: answer{status, h, echo(body)}}),
			signout.WithRegion("us-east-1"), signout.WithRetryMaxAttempts(2),
			signout.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		if err != nil {
			t.Fatal(err)
		}
		err = c.SignOut(context.Background(), fuzzToken)
		if redact.Contains(logs.String(), fuzzToken) {
			t.Fatalf("token logged: %s", logs.String())
		}
		if err == nil {
			return
		}
		var se *signout.Error
		if !errors.As(err, &se) {
			t.Fatalf("not an *Error: %v", err)
		}
		var matched []error
		for _, s := range signout.Sentinels {
			if errors.Is(err, s) && !errors.Is(s, signout.ErrNotAuthorized) || s == se.Kind {
				matched = append(matched, s)
			}
		}
		if len(matched) != 1 || matched[0] != se.Kind {
			t.Fatalf("matches %v, Kind %v: %v", matched, se.Kind, err)
		}
		if want := 1 + btoi(se.Retryable()); se.Attempts != want {
			t.Fatalf("%d attempts, Retryable %v: %v", se.Attempts, se.Retryable(), err)
		}
		text := fmt.Sprintf("%v|%+v|%#v", err, err, err)
		for e := err; e != nil; e = errors.Unwrap(e) {
			text += "|" + e.Error()
		}
		if redact.Contains(text, fuzzToken) {
			t.Fatalf("token leaked: %s", text)
		}
		if path := redact.Find(err, fuzzToken); path != "" {
			t.Fatalf("token reachable at %s", path)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFromSDK(t *testing.T) {
	const secret = "s3cret-token-0123456789abcdef"
	api := &smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "Invalid Access Token " + secret}
	tests := []struct {
		name     string
		err      error
		ctxErr   error
		attempts int
		kind     error
		want     int // attempts reported
	}{
		{"API error", api, nil, 1, signout.ErrInvalidToken, 1},
		{"attempts from the SDK when not counted", &retry.MaxAttemptsError{Attempt: 3, Err: api}, nil, -1, signout.ErrInvalidToken, 3},
		{"the caller's deadline wins", api, context.DeadlineExceeded, 2, signout.ErrTimeout, 2},
		{"cancellation", fmt.Errorf("send: %w", context.Canceled), nil, 1, context.Canceled, 1},
		{"no code", &smithy.GenericAPIError{}, nil, 1, signout.ErrService, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := asError(t, signout.FromSDK("Op", tc.err, tc.ctxErr, tc.attempts, secret))
			assert.Equal(t, tc.kind, e.Kind)
			assert.Equal(t, tc.want, e.Attempts)
			assert.NotContains(t, e.Error(), secret)
			if tc.ctxErr != nil {
				assert.ErrorIs(t, e.Err, tc.ctxErr)
			}
		})
	}
}

func TestKindForCode(t *testing.T) {
	assert.Equal(t, signout.ErrThrottled, signout.KindForCode("", "", 429), "a 429 is throttling without a code")
	assert.Equal(t, signout.ErrTokenRevoked, signout.KindForCode("NotAuthorizedException", "Refresh Token has been revoked", 503), "whatever the status")
	assert.Equal(t, signout.ErrTimeout, signout.KindForCode("RequestTimeoutException", "", 408))
	assert.Equal(t, signout.ErrService, signout.KindForCode("MysteryException", "", 400))
}
