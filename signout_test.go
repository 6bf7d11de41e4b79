package signout_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer starts a stand-in for the test and a Client pointed at it.
func startServer(t *testing.T, opts ...signout.Option) (*signouttest.Server, *signout.Client) {
	t.Helper()
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(append([]signout.Option{signout.WithEndpoint(srv.URL)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return srv, c
}

// rawSDK is a plain SDK client on the stand-in, to observe tokens from outside.
func rawSDK(t *testing.T, srv *signouttest.Server) *cip.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: tr}})
}

func TestSignOutRevokesOnlyThatUsersTokens(t *testing.T) {
	srv, c := startServer(t)
	sdk := rawSDK(t, srv)
	ctx := context.Background()
	alice, alice2, bob := srv.SignIn("alice"), srv.SignIn("alice"), srv.SignIn("bob")

	require.NoError(t, c.SignOut(ctx, alice.AccessToken))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))

	for _, tok := range []string{alice.AccessToken, alice2.AccessToken} {
		_, err := sdk.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(tok)})
		var na *types.NotAuthorizedException
		require.ErrorAs(t, err, &na, "alice's tokens on every device are refused")
		assert.Equal(t, "Access Token has been revoked", na.ErrorMessage())
	}
	_, err := sdk.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": alice.RefreshToken},
	})
	require.ErrorContains(t, err, "Refresh Token has been revoked")

	out, err := sdk.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(bob.AccessToken)})
	require.NoError(t, err, "bob is still signed in")
	assert.Equal(t, "bob", aws.ToString(out.Username))

	err = c.SignOut(ctx, alice.AccessToken)
	require.ErrorIs(t, err, signout.ErrTokenRevoked)
	assert.ErrorIs(t, err, signout.ErrNotAuthorized)
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "GlobalSignOut", se.Op)
	assert.Equal(t, "NotAuthorizedException", se.Code)
	assert.Equal(t, 400, se.StatusCode)
	assert.NotEmpty(t, se.RequestID)
	assert.Equal(t, 1, se.Attempts, "token errors are not retried")
	assert.False(t, se.Retryable())
	assert.Equal(t, 2, srv.Requests("GlobalSignOut"))
}

func TestSignOutLocalChecks(t *testing.T) {
	srv, c := startServer(t)
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"empty", "", signout.ErrInvalidToken},
		{"blank", " \t\n", signout.ErrInvalidToken},
		{"not a jwt", "opaque-session-id", signout.ErrInvalidToken},
		{"two segments", "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ", signout.ErrInvalidToken},
		{"header injection", srv.SignIn("a").AccessToken + "\r\nX-Evil: 1", signout.ErrInvalidToken},
		{"absurd length", strings.Repeat("eyJ", 20000), signout.ErrInvalidToken},
		{"id token", srv.SignIn("b").IDToken, signout.ErrInvalidToken},
		{"expired", srv.AccessToken("c", signouttest.ExpiresIn(-time.Hour)), signout.ErrTokenExpired},
		{"missing scope", srv.AccessToken("d", signouttest.Scope("openid email")), signout.ErrMissingScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.SignOut(context.Background(), tc.tok)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, signout.ErrNotAuthorized)
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.Zero(t, se.Attempts)
			assert.Empty(t, se.Code, "refused locally, not by Cognito")
			assert.Zero(t, srv.Requests(""), "no request for a locally refused token")
		})
	}
}

func TestSignOutLeewayLetsCognitoDecide(t *testing.T) {
	srv, c := startServer(t)
	tok := srv.AccessToken("alice", signouttest.ExpiresIn(-30*time.Second))
	err := c.SignOut(context.Background(), tok)
	require.ErrorIs(t, err, signout.ErrTokenExpired)
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "NotAuthorizedException", se.Code, "inside the leeway the token is sent")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
}

func TestSignOutWithTokenChecksOff(t *testing.T) {
	srv, c := startServer(t, signout.WithTokenChecks(false))
	err := c.SignOut(context.Background(), "opaque-session-id")
	require.ErrorIs(t, err, signout.ErrInvalidToken)
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "Cognito decided")

	err = c.SignOut(context.Background(), "")
	require.ErrorIs(t, err, signout.ErrInvalidToken)
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "an empty token is never sent")
}

func TestSignOutErrorMapping(t *testing.T) {
	tests := []struct {
		name      string
		fault     signouttest.Fault
		want      error
		retryable bool
		attempts  int
	}{
		{"revoked", signouttest.Fault{Code: "NotAuthorizedException", Message: "Access Token has been revoked"}, signout.ErrTokenRevoked, false, 1},
		{"expired", signouttest.Fault{Code: "NotAuthorizedException", Message: "Access Token has expired"}, signout.ErrTokenExpired, false, 1},
		{"invalid", signouttest.Fault{Code: "NotAuthorizedException", Message: "Invalid Access Token"}, signout.ErrInvalidToken, false, 1},
		{"scope", signouttest.Fault{Code: "NotAuthorizedException", Message: "Access Token does not have required scopes"}, signout.ErrMissingScope, false, 1},
		{"other not authorized", signouttest.Fault{Code: "NotAuthorizedException", Message: "User is disabled."}, signout.ErrNotAuthorized, false, 1},
		{"throttled", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"}, signout.ErrThrottled, true, 3},
		{"internal", signouttest.Fault{Code: "InternalErrorException", Message: "boom"}, signout.ErrService, true, 3},
		{"invalid parameter", signouttest.Fault{Code: "InvalidParameterException", Message: "bad"}, signout.ErrInvalidParameter, false, 1},
		{"user not found", signouttest.Fault{Code: "UserNotFoundException", Message: "User does not exist."}, signout.ErrUserNotFound, false, 1},
		{"user not confirmed", signouttest.Fault{Code: "UserNotConfirmedException", Message: "x"}, signout.ErrUserNotConfirmed, false, 1},
		{"password reset", signouttest.Fault{Code: "PasswordResetRequiredException", Message: "x"}, signout.ErrPasswordResetRequired, false, 1},
		{"resource not found", signouttest.Fault{Code: "ResourceNotFoundException", Message: "x"}, signout.ErrResourceNotFound, false, 1},
		{"forbidden", signouttest.Fault{Code: "ForbiddenException", Message: "x", Status: 403}, signout.ErrForbidden, false, 1},
		{"not enabled", signouttest.Fault{Code: "OperationNotEnabledException", Message: "x"}, signout.ErrOperationNotEnabled, false, 1},
		{"bad gateway html", signouttest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"}, signout.ErrService, true, 3},
		{"503 json", signouttest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "down"}, signout.ErrService, true, 3},
		{"proxy 403 html", signouttest.Fault{Status: 403, Body: "<html>denied</html>", ContentType: "text/html"}, signout.ErrService, false, 1},
		{"truncated json", signouttest.Fault{Status: 200, Body: `{"__type":`}, signout.ErrService, true, 1},
		{"unknown 4xx code", signouttest.Fault{Code: "MysteryException", Message: "?"}, signout.ErrService, false, 1},
		{"reset", signouttest.Fault{Reset: true}, signout.ErrNetwork, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startServer(t)
			tok := srv.SignIn("alice").AccessToken
			srv.InjectFault("GlobalSignOut", tc.fault)
			err := c.SignOut(context.Background(), tok)
			require.ErrorIs(t, err, tc.want)
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.retryable, se.Retryable())
			assert.Equal(t, tc.attempts, se.Attempts)
			assert.Equal(t, tc.attempts, srv.Requests("GlobalSignOut"))
			if tc.fault.Code != "" {
				assert.Equal(t, tc.fault.Code, se.Code)
				var api smithy.APIError
				require.ErrorAs(t, err, &api, "the SDK's error stays reachable")
				assert.Equal(t, tc.fault.Code, api.ErrorCode())
			}
		})
	}
}

func TestSignOutRetriesThenSucceeds(t *testing.T) {
	srv, c := startServer(t)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 2})
	require.NoError(t, c.SignOut(context.Background(), tok))
	assert.Equal(t, 3, srv.Requests("GlobalSignOut"))
	require.ErrorIs(t, c.SignOut(context.Background(), tok), signout.ErrTokenRevoked, "the third attempt did sign out")
}

func TestSignOutRetryMaxAttempts(t *testing.T) {
	srv, c := startServer(t, signout.WithRetryMaxAttempts(1))
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"})
	err := c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
	require.ErrorIs(t, err, signout.ErrThrottled)
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
}

func TestSignOutTimeouts(t *testing.T) {
	tests := []struct {
		name     string
		fault    signouttest.Fault
		opts     []signout.Option
		ctx      func() (context.Context, context.CancelFunc)
		want     []error
		deadline time.Duration // the configured bound
	}{
		{
			name:     "read timeout on headers",
			fault:    signouttest.Fault{Hang: true},
			opts:     []signout.Option{signout.WithReadTimeout(50 * time.Millisecond)},
			want:     []error{signout.ErrTimeout},
			deadline: 50 * time.Millisecond,
		},
		{
			name:     "read timeout on body",
			fault:    signouttest.Fault{Status: 200, Body: "{}", BodyDelay: time.Minute},
			opts:     []signout.Option{signout.WithReadTimeout(50 * time.Millisecond)},
			want:     []error{signout.ErrTimeout},
			deadline: 50 * time.Millisecond,
		},
		{
			name:     "overall timeout",
			fault:    signouttest.Fault{Hang: true},
			opts:     []signout.Option{signout.WithReadTimeout(0), signout.WithTimeout(80 * time.Millisecond)},
			want:     []error{signout.ErrTimeout, context.DeadlineExceeded},
			deadline: 80 * time.Millisecond,
		},
		{
			name:  "caller deadline",
			fault: signouttest.Fault{Hang: true},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 60*time.Millisecond)
			},
			want:     []error{signout.ErrTimeout, context.DeadlineExceeded},
			deadline: 60 * time.Millisecond,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startServer(t, append(tc.opts, signout.WithRetryMaxAttempts(1))...)
			tok := srv.SignIn("alice").AccessToken
			srv.InjectFault("GlobalSignOut", tc.fault)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			start := time.Now()
			err := c.SignOut(ctx, tok)
			elapsed := time.Since(start)
			for _, w := range tc.want {
				require.ErrorIs(t, err, w)
			}
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.True(t, se.Retryable())
			assert.GreaterOrEqual(t, elapsed, tc.deadline, "it waited for the bound")
			t.Logf("%s: %v after %v (bound %v)", tc.name, err, elapsed, tc.deadline)
		})
	}
}

func TestSignOutCanceled(t *testing.T) {
	srv, c := startServer(t)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.SignOut(ctx, tok) }()
	// Cancel once the request is in flight, seen from the server's side.
	require.Eventually(t, func() bool { return srv.Requests("GlobalSignOut") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	assert.False(t, se.Retryable())
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "a cancelled call is not retried")
}

func TestTokenNeverLeaks(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithLogger(logger), signout.WithRetryMaxAttempts(1))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	tok := srv.SignIn("alice").AccessToken

	// moto and some proxies echo the token in their messages.
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "NotAuthorizedException", Message: tok, Times: 1})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Status: 500, Body: "upstream rejected " + tok, Times: 1})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "slow down " + tok})
	var errs []error
	for range 3 {
		errs = append(errs, c.SignOut(context.Background(), tok))
	}
	require.ErrorIs(t, errs[0], signout.ErrNotAuthorized)
	require.ErrorIs(t, errs[1], signout.ErrService)
	require.ErrorIs(t, errs[2], signout.ErrThrottled)
	for _, err := range errs {
		for _, text := range []string{err.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)} {
			assert.NotContains(t, text, tok)
			assert.NotContains(t, text, tok[strings.LastIndex(tok, ".")+1:], "nor its signature")
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			assert.NotContains(t, e.Error(), tok, "nor anywhere down the chain")
		}
		var api smithy.APIError
		if errors.As(err, &api) {
			assert.NotContains(t, api.ErrorMessage(), tok)
		}
	}
	require.Contains(t, logs.String(), "signout: attempt")
	assert.NotContains(t, logs.String(), tok)
}

func TestLoggerRecordsAttempts(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := startServer(t, signout.WithLogger(logger))
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 1})
	tok := srv.SignIn("alice").AccessToken
	require.NoError(t, c.SignOut(context.Background(), tok))
	out := logs.String()
	assert.Contains(t, out, `"msg":"signout: attempt"`)
	assert.Contains(t, out, `"attempt":1`)
	assert.Contains(t, out, `"attempt":2`)
	assert.Contains(t, out, `"status":400`)
	assert.Contains(t, out, `"status":200`)
	assert.Contains(t, out, `"region":"us-east-1"`)
	assert.Contains(t, out, `"endpoint":"`+srv.URL+`"`)
	assert.Contains(t, out, `"msg":"signout: done"`)
	assert.NotContains(t, out, tok)
}

// hostRecorder answers every request with an empty success and records the
// host the SDK resolved, so region choice can be seen without a network.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func TestRegionChoice(t *testing.T) {
	eu := signouttest.NewServer(signouttest.Region("eu-west-1"))
	t.Cleanup(eu.Close)
	euTok := eu.SignIn("alice").AccessToken
	tests := []struct {
		name     string
		env      string
		opts     []signout.Option
		wantHost string
	}{
		{"token region", "", nil, "cognito-idp.eu-west-1.amazonaws.com"},
		{"token region beats env", "ap-south-1", nil, "cognito-idp.eu-west-1.amazonaws.com"},
		{"WithRegion wins", "ap-south-1", []signout.Option{signout.WithRegion("us-west-2")}, "cognito-idp.us-west-2.amazonaws.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.env)
			t.Setenv("AWS_DEFAULT_REGION", "")
			rec := &hostRecorder{}
			c, err := signout.New(append(tc.opts, signout.WithHTTPClient(&http.Client{Transport: rec}))...)
			require.NoError(t, err)
			require.NoError(t, c.SignOut(context.Background(), euTok))
			assert.Equal(t, []string{tc.wantHost}, rec.hosts)
		})
	}
}

func TestRegionFromEnvWhenTokenNamesNone(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "ca-central-1")
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.AccessToken("alice")
	rec := &hostRecorder{}
	c, err := signout.New(signout.WithHTTPClient(&http.Client{Transport: rec}), signout.WithTokenChecks(false))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), "opaque-"+tok[:10]))
	assert.Equal(t, []string{"cognito-idp.ca-central-1.amazonaws.com"}, rec.hosts)
}

func TestNoRegionIsALocalError(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	rec := &hostRecorder{}
	c, err := signout.New(signout.WithHTTPClient(&http.Client{Transport: rec}), signout.WithTokenChecks(false))
	require.NoError(t, err)
	err = c.SignOut(context.Background(), "opaque-token")
	require.ErrorIs(t, err, signout.ErrNoRegion)
	assert.Empty(t, rec.hosts, "nothing was sent")
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte("[profile known]\nregion = eu-west-2\n"), 0o600))
	mock := &mockAPI{}
	tests := []struct {
		name   string
		opts   []signout.Option
		naming string
	}{
		{"negative connect timeout", []signout.Option{signout.WithConnectTimeout(-time.Second)}, "WithConnectTimeout"},
		{"negative read timeout", []signout.Option{signout.WithReadTimeout(-1)}, "WithReadTimeout"},
		{"negative timeout", []signout.Option{signout.WithTimeout(-1)}, "WithTimeout"},
		{"negative leeway", []signout.Option{signout.WithExpiryLeeway(-1)}, "WithExpiryLeeway"},
		{"zero attempts", []signout.Option{signout.WithRetryMaxAttempts(0)}, "WithRetryMaxAttempts"},
		{"zero connections", []signout.Option{signout.WithMaxConnsPerHost(0)}, "WithMaxConnsPerHost"},
		{"endpoint without scheme", []signout.Option{signout.WithEndpoint("localhost:5000")}, "WithEndpoint"},
		{"endpoint ftp", []signout.Option{signout.WithEndpoint("ftp://localhost")}, "WithEndpoint"},
		{"endpoint without host", []signout.Option{signout.WithEndpoint("http://")}, "WithEndpoint"},
		{"bad region", []signout.Option{signout.WithRegion("us east 1")}, "WithRegion"},
		{"empty region", []signout.Option{signout.WithRegion("")}, "WithRegion"},
		{"missing CA bundle", []signout.Option{signout.WithCABundle(filepath.Join(dir, "missing.pem"))}, "WithCABundle"},
		{"CA bundle without certificates", []signout.Option{signout.WithCABundle(notPEM)}, "WithCABundle"},
		{"CA PEM without certificates", []signout.Option{signout.WithCABundlePEM([]byte("x"))}, "WithCABundlePEM"},
		{"unknown profile", []signout.Option{signout.WithProfile("nope")}, "WithProfile"},
		{"empty profile", []signout.Option{signout.WithProfile("")}, "WithProfile"},
		{"nil HTTP client", []signout.Option{signout.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"HTTP client with CA", []signout.Option{signout.WithHTTPClient(http.DefaultClient), signout.WithCABundlePEM([]byte("x"))}, "WithHTTPClient"},
		{"nil API", []signout.Option{signout.WithAPI(nil)}, "WithAPI"},
		{"API with endpoint", []signout.Option{signout.WithAPI(mock), signout.WithEndpoint("http://localhost")}, "WithAPI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := signout.New(tc.opts...)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			assert.Contains(t, err.Error(), tc.naming)
			assert.Nil(t, c)
		})
	}
}

func TestNewBadAWSCABundleEnv(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing.pem"))
	_, err := signout.New()
	require.ErrorIs(t, err, signout.ErrInvalidOption)
	assert.Contains(t, err.Error(), "AWS_CA_BUNDLE")
}

func TestProfile(t *testing.T) {
	srv := signouttest.NewServer(signouttest.Region("eu-west-2"))
	t.Cleanup(srv.Close)
	cfg := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[profile dev]\nregion = eu-west-2\nendpoint_url = "+srv.URL+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	c, err := signout.New(signout.WithProfile("dev"), signout.WithTokenChecks(false))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "the profile's endpoint_url was used")
}

func TestTLS(t *testing.T) {
	srv := signouttest.NewServer(signouttest.TLS())
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, srv.CertificatePEM(), 0o600))
	tests := []struct {
		name string
		opts []signout.Option
		want error
	}{
		{"untrusted", nil, signout.ErrNetwork},
		{"CA bundle file", []signout.Option{signout.WithCABundle(bundle)}, nil},
		{"CA bundle PEM", []signout.Option{signout.WithCABundlePEM(srv.CertificatePEM())}, nil},
		{"insecure", []signout.Option{signout.WithInsecureSkipVerify()}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := signout.New(append(tc.opts, signout.WithEndpoint(srv.URL), signout.WithRetryMaxAttempts(1))...)
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)
			err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), "certificate")
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.False(t, se.Retryable(), "an untrusted certificate will not change on retry")
		})
	}
}

// tls11Server starts an HTTPS server that speaks at most TLS 1.1.
func tls11Server(t *testing.T) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("{}"))
	}))
	ts.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestTLSBelow12IsRefused(t *testing.T) {
	url := tls11Server(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(url), signout.WithInsecureSkipVerify(), signout.WithRetryMaxAttempts(1))
	require.NoError(t, err)
	err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
	require.ErrorIs(t, err, signout.ErrNetwork)
	assert.Contains(t, err.Error(), "protocol version")
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	assert.False(t, se.Retryable(), "an old TLS peer will not change on retry")
}

func TestConnectionRefusedAndConnectTimeout(t *testing.T) {
	srv := signouttest.NewServer()
	tok := srv.SignIn("alice").AccessToken
	url := srv.URL
	srv.Close() // nothing listens there now
	c, err := signout.New(signout.WithEndpoint(url), signout.WithRetryMaxAttempts(2))
	require.NoError(t, err)
	err = c.SignOut(context.Background(), tok)
	require.ErrorIs(t, err, signout.ErrNetwork)
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Retryable())
	assert.Equal(t, 2, se.Attempts, "network faults are retried")
}

// mockAPI is a hand-written API double: what a user's own mock looks like.
type mockAPI struct {
	mu     sync.Mutex
	inputs []string
	opts   int
	err    error
}

func (m *mockAPI) GlobalSignOut(_ context.Context, in *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inputs = append(m.inputs, aws.ToString(in.AccessToken))
	m.opts += len(optFns)
	if m.err != nil {
		return nil, m.err
	}
	return &cip.GlobalSignOutOutput{}, nil
}

func TestWithAPI(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	msg := "Access Token has been revoked"
	m := &mockAPI{}
	c, err := signout.New(signout.WithAPI(m), signout.WithRegion("us-east-1"))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), tok))
	m.err = &types.NotAuthorizedException{Message: &msg}
	err = c.SignOut(context.Background(), tok)
	require.ErrorIs(t, err, signout.ErrTokenRevoked)
	assert.Equal(t, []string{tok, tok}, m.inputs)
	require.ErrorIs(t, c.SignOut(context.Background(), "garbage"), signout.ErrInvalidToken)
	assert.Len(t, m.inputs, 2, "local checks still guard the API")
}

func TestConcurrentCallersReuseConnections(t *testing.T) {
	const callers, perCaller = 64, 4
	srv := signouttest.NewServer(signouttest.TLS())
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithCABundlePEM(srv.CertificatePEM()))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	tokens := make([]string, callers*perCaller)
	for i := range tokens {
		tokens[i] = srv.SignIn(fmt.Sprintf("user%d", i)).AccessToken
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens))
	for g := range callers {
		wg.Go(func() {
			for i := range perCaller {
				errs <- c.SignOut(context.Background(), tokens[g*perCaller+i])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, len(tokens), srv.Requests("GlobalSignOut"))
	assert.LessOrEqual(t, srv.Connections(), callers, "connections are pooled, not churned")
	t.Logf("%d callers x %d calls opened %d connections", callers, perCaller, srv.Connections())
}

// countingTransport counts the requests an application's own client sends.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestWithAWSConfig(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	counting := &countingTransport{base: tr}
	cfg := aws.Config{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		HTTPClient:       &http.Client{Transport: counting},
		RetryMaxAttempts: 2,
	}
	c, err := signout.New(signout.WithAWSConfig(cfg), signout.WithTokenChecks(false))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, int32(1), counting.n.Load(), "the config's HTTP client carried the request")

	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"})
	err = c.SignOut(context.Background(), srv.SignIn("bob").AccessToken)
	require.ErrorIs(t, err, signout.ErrThrottled)
	assert.Equal(t, 3, srv.Requests("GlobalSignOut"), "the config's RetryMaxAttempts (2) applied")

	c, err = signout.New(signout.WithAWSConfig(cfg), signout.WithRetryMaxAttempts(1))
	require.NoError(t, err)
	require.ErrorIs(t, c.SignOut(context.Background(), srv.SignIn("carol").AccessToken), signout.ErrThrottled)
	assert.Equal(t, 4, srv.Requests("GlobalSignOut"), "an explicit option beats the config")
}

// TestNewReadsNoConfigFiles: without WithProfile, New reads no shared
// config, so a broken file or a missing AWS_PROFILE cannot fail it.
func TestNewReadsNoConfigFiles(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(broken, []byte("[profile broken\nregion = =\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", broken)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", broken)
	t.Setenv("AWS_PROFILE", "does-not-exist")
	_, err := signout.New()
	require.NoError(t, err)

	_, err = signout.New(signout.WithProfile("does-not-exist"))
	require.ErrorIs(t, err, signout.ErrInvalidOption, "with WithProfile it does read, and says so")
}

// TestThroughProxy signs out through a forward proxy given with
// WithHTTPClient, as an application behind a corporate proxy does.
func TestThroughProxy(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	var proxied atomic.Int32
	upstream := &http.Transport{}
	t.Cleanup(upstream.CloseIdleConnections)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		r.RequestURI = "" // a forward proxy resends the absolute-URI request
		resp, err := upstream.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	proxyURL, err := url.Parse(proxy.URL)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	t.Cleanup(tr.CloseIdleConnections)

	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, int32(1), proxied.Load(), "the request went through the proxy")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
}
