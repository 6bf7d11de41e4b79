package signout_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/moto"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }

// startServer starts a stand-in for the test and a Client pointed at it.
func startServer(t *testing.T, opts ...signout.Option) (*signouttest.Server, *signout.Client) {
	t.Helper()
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(append([]signout.Option{signout.WithEndpoint(srv.URL)}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// asError returns err's *signout.Error, failing the test without one.
func asError(t *testing.T, err error) *signout.Error {
	t.Helper()
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	return se
}

// claim returns one claim of a JWT, read without checking its signature.
func claim(t *testing.T, jwt, name string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	v, _ := claims[name].(string)
	return v
}

func TestSignOutRevokesOnlyThatUsersTokens(t *testing.T) {
	srv, c := startServer(t)
	ctx := context.Background()
	alice, alice2, bob := srv.SignIn("alice"), srv.SignIn("alice"), srv.SignIn("bob")

	require.NoError(t, c.SignOut(ctx, alice.AccessToken))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
	assert.False(t, srv.Accepts(alice.AccessToken))
	assert.False(t, srv.Accepts(alice2.AccessToken), "on every device")
	assert.False(t, srv.Accepts(alice.RefreshToken))
	assert.True(t, srv.Accepts(bob.AccessToken), "bob is still signed in")
	assert.True(t, srv.Accepts(bob.RefreshToken))

	err := c.SignOut(ctx, alice.AccessToken)
	require.ErrorIs(t, err, signout.ErrTokenRevoked)
	se := asError(t, err)
	assert.Equal(t, "GlobalSignOut", se.Op)
	assert.Equal(t, "NotAuthorizedException", se.Code)
	assert.Equal(t, 400, se.StatusCode)
	assert.NotEmpty(t, se.RequestID)
	assert.Equal(t, 1, se.Attempts, "token errors are not retried")
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
		{"refresh token", srv.SignIn("b").RefreshToken, signout.ErrInvalidToken},
		{"expired beyond the leeway", srv.SignIn("c", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}).AccessToken, signout.ErrTokenExpired},
		{"missing scope", srv.SignIn("d", signouttest.Claims{"scope": "openid email"}).AccessToken, signout.ErrMissingScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.SignOut(context.Background(), tc.tok)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, signout.ErrNotAuthorized)
			se := asError(t, err)
			assert.Zero(t, se.Attempts)
			assert.Empty(t, se.Code, "refused locally, not by Cognito")
			assert.Zero(t, srv.Requests(""), "no request for a locally refused token")
		})
	}

	t.Run("expired within the leeway is sent", func(t *testing.T) {
		err := c.SignOut(context.Background(), srv.SignIn("e", signouttest.Claims{"exp": time.Now().Add(-30 * time.Second).Unix()}).AccessToken)
		require.ErrorIs(t, err, signout.ErrTokenExpired)
		assert.Equal(t, "NotAuthorizedException", asError(t, err).Code, "Cognito decided")
		assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
	})
}

// hostRecorder answers every request with an empty success and records the
// host the SDK resolved, so the region chosen is seen without a network.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func TestSignOutRegion(t *testing.T) {
	eu := signouttest.NewServer(signouttest.Region("eu-west-1"))
	t.Cleanup(eu.Close)
	euTok := eu.SignIn("alice").AccessToken
	// A token whose iss names no Cognito pool, as some emulators issue.
	foreignTok := eu.SignIn("bob", signouttest.Claims{"iss": "https://issuer.example"}).AccessToken
	tests := []struct {
		name     string
		env      string
		tok      string
		opts     []signout.Option
		wantHost string // "" : refused with ErrInvalidOption, nothing sent
	}{
		{"the token's region", "", euTok, nil, "cognito-idp.eu-west-1.amazonaws.com"},
		{"the token's region beats the environment", "ap-south-1", euTok, nil, "cognito-idp.eu-west-1.amazonaws.com"},
		{"WithRegion wins", "ap-south-1", euTok, []signout.Option{signout.WithRegion("us-west-2")}, "cognito-idp.us-west-2.amazonaws.com"},
		{"the environment when the token names none", "ca-central-1", foreignTok, nil, "cognito-idp.ca-central-1.amazonaws.com"},
		{"no region anywhere", "", foreignTok, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.env)
			t.Setenv("AWS_DEFAULT_REGION", "")
			rec := &hostRecorder{}
			c, err := signout.New(append(tc.opts, signout.WithHTTPClient(&http.Client{Transport: rec}))...)
			require.NoError(t, err)
			err = c.SignOut(context.Background(), tc.tok)
			if tc.wantHost == "" {
				require.ErrorIs(t, err, signout.ErrInvalidOption)
				assert.Contains(t, err.Error(), "no region")
				assert.Empty(t, rec.hosts, "nothing was sent")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{tc.wantHost}, rec.hosts)
		})
	}
}

// noRegion leaves the test without a region from the environment, so that
// only the token can name one.
func noRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
}

// TestSignOutRoutesByIssuer: with no region set anywhere, a sign-out goes to
// Cognito's endpoint in the region the token's iss names, under each issuer
// form, and so reaches the stand-in serving that region.
func TestSignOutRoutesByIssuer(t *testing.T) {
	noRegion(t)
	tests := []struct {
		name      string
		opts      []signouttest.ServerOption
		atReplica bool // the token was issued at the replica
		toReplica bool // and is sent there
	}{
		{"original issuer, issued at the primary", nil, false, false},
		{"original issuer, issued at the replica", nil, true, true},
		{"updated issuer, issued at the primary", []signouttest.ServerOption{signouttest.UpdatedIssuer()}, false, false},
		{"updated issuer, issued at the replica: the primary", []signouttest.ServerOption{signouttest.UpdatedIssuer()}, true, false},
		{"original issuer in China", []signouttest.ServerOption{signouttest.Region("cn-north-1")}, true, true},
		{"updated issuer in China", []signouttest.ServerOption{signouttest.Region("cn-north-1"), signouttest.UpdatedIssuer()}, true, false},
	}
	for _, tc := range tests {
		for _, replicated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, WithReplicaRegions %t", tc.name, replicated), func(t *testing.T) {
				srv := signouttest.NewServer(tc.opts...)
				t.Cleanup(srv.Close)
				rep := srv.Replica(map[string]string{"us-east-1": "eu-west-1", "cn-north-1": "cn-northwest-1"}[srv.Region])
				srv.AddUser("alice", nil)
				at, to, other := srv, srv, rep
				if tc.atReplica {
					at = rep
				}
				if tc.toReplica {
					to, other = rep, srv
				}
				opts := []signout.Option{signout.WithHTTPClient(srv.HTTPClient())}
				if replicated {
					opts = append(opts, signout.WithReplicaRegions(srv.UserPoolID, rep.Region))
				}
				c, err := signout.New(opts...)
				require.NoError(t, err)
				tok := at.SignIn("alice").AccessToken
				require.NoError(t, c.SignOut(context.Background(), tok))
				assert.Equal(t, 1, to.Requests("GlobalSignOut"), "sent to %s", to.Region)
				assert.Zero(t, other.Requests(""))
				assert.False(t, srv.Accepts(tok))
			})
		}
	}
}

// TestSignOutFailsOver: for a pool given WithReplicaRegions, a call that
// fails in its region for a regional reason is made in the next one; an
// answer, such as a token error, is not.
func TestSignOutFailsOver(t *testing.T) {
	noRegion(t)
	tests := []struct {
		name          string
		original      bool // the ORIGINAL issuer form, else UPDATED
		atReplica     bool // the token was issued at the replica
		primaryDown   bool
		primaryHangs  bool
		replicaRefuse bool // the replica refuses sign-outs
		revoked       bool // the token was signed out before
		logout        bool // Logout ThisSession (RevokeToken, then GetUser) in place of SignOut
		want          error
		primary       int // requests to the primary
		replica       int // requests to the replica
	}{
		{name: "the primary is down: done at the replica", primaryDown: true, primary: 3, replica: 1},
		{name: "the primary hangs: done at the replica within the budget", primaryHangs: true, primary: 1, replica: 1},
		// RevokeToken's 3 attempts, then GetUser's one (its answer only
		// decides whether to end more), at each region.
		{name: "the primary is down: a session revoked at the replica", logout: true, primaryDown: true, primary: 4, replica: 2},
		{name: "a replica's token, the replica refuses: done at the primary", original: true, atReplica: true,
			replicaRefuse: true, primary: 1, replica: 1},
		{name: "the primary is down and the replica refuses: not done, retryable", primaryDown: true, replicaRefuse: true,
			want: signout.ErrNetwork, primary: 3, replica: 1},
		{name: "a token error is an answer: no failover", revoked: true, want: signout.ErrTokenRevoked, primary: 1},
		{name: "the replica's token error after the primary's failure", primaryDown: true, revoked: true,
			want: signout.ErrTokenRevoked, primary: 3, replica: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []signouttest.ServerOption
			if !tc.original {
				opts = append(opts, signouttest.UpdatedIssuer())
			}
			srv := signouttest.NewServer(opts...)
			t.Cleanup(srv.Close)
			rep := srv.Replica("eu-west-1")
			srv.AddUser("alice", nil)
			at := srv
			if tc.atReplica {
				at = rep
			}
			tokens, other := at.SignIn("alice"), srv.SignIn("alice")
			if tc.revoked {
				_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: &tokens.AccessToken})
				require.NoError(t, err)
				other = srv.SignIn("alice")
			}
			before := srv.Requests("")
			srv.SetDown(tc.primaryDown)
			rep.RefuseSignOut(tc.replicaRefuse)
			if tc.primaryHangs {
				srv.InjectFault("", signouttest.Fault{Mode: signouttest.Hang})
			}
			c, err := signout.New(signout.WithHTTPClient(srv.HTTPClient()), signout.WithReplicaRegions(srv.UserPoolID, rep.Region),
				signout.WithAppClient(srv.ClientID, ""), signout.WithTimeout(2*time.Second))
			require.NoError(t, err)

			if tc.logout {
				var reach signout.Reach
				reach, err = c.Logout(context.Background(), tokens.AccessToken, tokens.RefreshToken, signout.ThisSession)
				assert.Equal(t, signout.ThisSession, reach)
			} else {
				err = c.SignOut(context.Background(), tokens.AccessToken)
			}
			assert.Equal(t, tc.primary, srv.Requests("")-before, "requests to the primary")
			assert.Equal(t, tc.replica, rep.Requests(""), "requests to the replica")
			srv.SetDown(false)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				se := asError(t, err)
				assert.Equal(t, tc.want != signout.ErrTokenRevoked, se.Retryable())
				assert.Equal(t, tc.primary+tc.replica, se.Attempts, "the requests of every region")
				if !tc.revoked {
					assert.True(t, srv.Accepts(tokens.AccessToken), "not done")
				}
				return
			}
			require.NoError(t, err)
			for _, s := range []*signouttest.Server{srv, rep} {
				assert.False(t, s.Accepts(tokens.AccessToken), "ended in %s", s.Region)
				assert.False(t, s.Accepts(tokens.RefreshToken), "ended in %s", s.Region)
				assert.Equal(t, tc.logout, s.Accepts(other.AccessToken), "the user's other session, in %s", s.Region)
			}
		})
	}
}

func TestSignOutRetries(t *testing.T) {
	t.Parallel() // it waits on retries and timeouts, not on the CPU
	tests := []struct {
		name     string
		fault    signouttest.Fault
		opts     []signout.Option
		want     error // nil: the last attempt signed out
		requests int
	}{
		{"throttled twice, then signed out", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 2}, nil, nil, 3},
		{"one attempt only", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"},
			[]signout.Option{signout.WithRetryMaxAttempts(1)}, signout.ErrThrottled, 1},
		{"more attempts", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom"},
			[]signout.Option{signout.WithRetryMaxAttempts(5)}, signout.ErrService, 5},
		{"a token error over 500 is not retried", signouttest.Fault{Mode: signouttest.ErrorReply, Status: 500, Code: "NotAuthorizedException", Message: "Access Token has been revoked"}, nil, signout.ErrTokenRevoked, 1},
		{"a token error over 503 is not retried", signouttest.Fault{Mode: signouttest.ErrorReply, Status: 503, Code: "NotAuthorizedException", Message: "Invalid Access Token"}, nil, signout.ErrInvalidToken, 1},
		{"a 429 without a code is throttling", signouttest.Fault{Mode: signouttest.RawReply, Status: 429, Body: "slow down", ContentType: "text/plain"}, nil, signout.ErrThrottled, 3},
		{"RequestTimeoutException is a timeout", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "RequestTimeoutException", Message: "timed out"}, nil, signout.ErrTimeout, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startServer(t, tc.opts...)
			tok := srv.SignIn("alice").AccessToken
			srv.InjectFault("GlobalSignOut", tc.fault)
			err := c.SignOut(context.Background(), tok)
			assert.Equal(t, tc.requests, srv.Requests("GlobalSignOut"))
			if tc.want == nil {
				require.NoError(t, err)
				assert.False(t, srv.Accepts(tok))
				return
			}
			require.ErrorIs(t, err, tc.want)
			se := asError(t, err)
			assert.Equal(t, tc.requests, se.Attempts)
			assert.Equal(t, tc.want != signout.ErrTokenRevoked && tc.want != signout.ErrInvalidToken, se.Retryable())
		})
	}
}

func TestSignOutTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		fault   signouttest.Fault
		opts    []signout.Option
		ctx     func() (context.Context, context.CancelFunc)
		want    []error
		notWant error
	}{
		{name: "read timeout on the headers", fault: signouttest.Fault{Mode: signouttest.Hang},
			opts: []signout.Option{signout.WithReadTimeout(50 * time.Millisecond)},
			want: []error{signout.ErrTimeout}, notWant: context.DeadlineExceeded},
		{name: "read timeout on the body", fault: signouttest.Fault{Mode: signouttest.RawReply, Status: 200, Body: "{}", BodyDelay: time.Minute},
			opts: []signout.Option{signout.WithReadTimeout(50 * time.Millisecond)},
			want: []error{signout.ErrTimeout}, notWant: context.DeadlineExceeded},
		{name: "WithTimeout over the whole call", fault: signouttest.Fault{Mode: signouttest.Hang},
			opts: []signout.Option{signout.WithReadTimeout(0), signout.WithTimeout(80 * time.Millisecond), signout.WithRetryMaxAttempts(3)},
			want: []error{signout.ErrTimeout, context.DeadlineExceeded}},
		{name: "the caller's deadline", fault: signouttest.Fault{Mode: signouttest.Hang},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 60*time.Millisecond)
			},
			want: []error{signout.ErrTimeout, context.DeadlineExceeded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startServer(t, append([]signout.Option{signout.WithRetryMaxAttempts(1)}, tc.opts...)...)
			tok := srv.SignIn("alice").AccessToken
			srv.InjectFault("GlobalSignOut", tc.fault)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			err := c.SignOut(ctx, tok)
			for _, w := range tc.want {
				require.ErrorIs(t, err, w)
			}
			if tc.notWant != nil {
				assert.NotErrorIs(t, err, tc.notWant, "no deadline was involved")
			}
			assert.True(t, asError(t, err).Retryable())
		})
	}
}

func TestSignOutCanceled(t *testing.T) {
	srv, c := startServer(t)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.Hang})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.SignOut(ctx, tok) }()
	// Cancel once the request is in flight, seen from the server's side.
	require.Eventually(t, func() bool { return srv.Requests("GlobalSignOut") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, asError(t, err).Retryable())
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "a cancelled call is not retried")
}

func TestSignOutOverTLS(t *testing.T) {
	srv := signouttest.NewServer(signouttest.TLS())
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, srv.CertificatePEM(), 0o600))
	tests := []struct {
		name string
		env  string
		opts []signout.Option
		ok   bool
	}{
		{"system roots do not trust it", "", nil, false},
		{"WithCABundle trusts it", "", []signout.Option{signout.WithCABundle(srv.CertificatePEM())}, true},
		{"AWS_CA_BUNDLE trusts it", bundle, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", tc.env)
			c, err := signout.New(append(tc.opts, signout.WithEndpoint(srv.URL))...)
			require.NoError(t, err)
			err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, signout.ErrNetwork)
			assert.Contains(t, err.Error(), "certificate")
			se := asError(t, err)
			assert.False(t, se.Retryable(), "an untrusted certificate will not change on retry")
			assert.Equal(t, 1, se.Attempts, "and is not retried")
		})
	}
}

// mockAPI is a hand-written CognitoAPI double: what a user's own mock
// looks like.
type mockAPI struct {
	mu     sync.Mutex
	tokens []string
	err    error
}

func (m *mockAPI) GlobalSignOut(_ context.Context, in *cip.GlobalSignOutInput, _ ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, aws.ToString(in.AccessToken))
	return &cip.GlobalSignOutOutput{}, m.err
}

func (m *mockAPI) GetUser(_ context.Context, in *cip.GetUserInput, _ ...func(*cip.Options)) (*cip.GetUserOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, aws.ToString(in.AccessToken))
	return &cip.GetUserOutput{}, m.err
}

func (m *mockAPI) RevokeToken(_ context.Context, in *cip.RevokeTokenInput, _ ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, aws.ToString(in.Token))
	return &cip.RevokeTokenOutput{}, m.err
}

func TestSignOutWithCognitoAPI(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	m := &mockAPI{}
	c, err := signout.New(signout.WithCognitoAPI(m))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), tok))

	m.err = &types.NotAuthorizedException{Message: aws.String("Access Token has been revoked")}
	err = c.SignOut(context.Background(), tok)
	require.ErrorIs(t, err, signout.ErrTokenRevoked)
	assert.Equal(t, 1, asError(t, err).Attempts)
	assert.Equal(t, []string{tok, tok}, m.tokens)

	require.ErrorIs(t, c.SignOut(context.Background(), "garbage"), signout.ErrInvalidToken)
	assert.Len(t, m.tokens, 2, "local checks still guard the API")
}

func TestSignOutThroughProxy(t *testing.T) {
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

// TestSignOutSharedByManyCallers: one Client shared by 64 goroutines
// pools its connections instead of churning them.
func TestSignOutSharedByManyCallers(t *testing.T) {
	const callers, perCaller = 64, 4
	srv := signouttest.NewServer(signouttest.TLS())
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithCABundle(srv.CertificatePEM()))
	require.NoError(t, err)
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
}

func TestSignOutLogs(t *testing.T) {
	t.Parallel() // it waits out a retry backoff
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := startServer(t, signout.WithLogger(logger))
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 1})
	tok := srv.SignIn("alice").AccessToken
	require.NoError(t, c.SignOut(context.Background(), tok))
	out := logs.String()
	for _, want := range []string{`"msg":"signout: attempt"`, `"attempt":1`, `"attempt":2`, `"status":400`, `"status":200`,
		`"region":"us-east-1"`, `"endpoint":"` + srv.URL + `"`, `"msg":"signout: done"`} {
		assert.Contains(t, out, want)
	}
	assert.False(t, redact.Contains(out, tok))
}

// memStore is a RevocationStore that keeps the records it is given, and
// its outbox in a revocation.Store.
type memStore struct {
	*revocation.Store
	mu          sync.Mutex
	recs        []signout.Revocation
	err         error
	noDeadlines int // calls whose context had no deadline
}

func (m *memStore) Revoke(ctx context.Context, r signout.Revocation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		m.noDeadlines++
	}
	if m.err != nil {
		return m.err
	}
	m.recs = append(m.recs, r)
	return nil
}

func (m *memStore) records() []signout.Revocation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]signout.Revocation(nil), m.recs...)
}

// recordingClient returns a Client for srv that records its sign-outs in store.
func recordingClient(t *testing.T, srv *signouttest.Server, store signout.RevocationStore, opts ...signout.Option) *signout.Client {
	t.Helper()
	base := []signout.Option{signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, srv.ClientSecret),
		signout.WithRevocationStore(store), signout.WithPool(srv.UserPoolID)}
	c, err := signout.New(append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// apiOf returns whether an API verifying srv's tokens against store
// refuses a token as signed out.
func apiOf(t *testing.T, srv *signouttest.Server, store verify.RevocationStore) func(tok string) bool {
	t.Helper()
	v, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL), verify.WithRevocationStore(store),
		verify.WithCacheSize(0))
	require.NoError(t, err)
	return func(tok string) bool {
		_, err := v.Verify(context.Background(), tok)
		return errors.Is(err, signout.ErrTokenRevoked)
	}
}

// flakyStore is a revocation.Store whose Revoke fails while down is set.
type flakyStore struct {
	*revocation.Store
	mu   sync.Mutex
	down bool
}

func (f *flakyStore) Revoke(ctx context.Context, r signout.Revocation) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("store down")
	}
	return f.Store.Revoke(ctx, r)
}

func (f *flakyStore) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// router is the Cognito endpoint of a region: it serves every pool,
// sending each token's call to the stand-in of its pool.
type router struct {
	pools    map[string]*signouttest.Server // by issuer
	fallback *signouttest.Server            // for refresh tokens, which name no pool
}

func (r *router) server(tok string) *signouttest.Server {
	if s := r.pools[issOf(tok)]; s != nil {
		return s
	}
	return r.fallback
}

// issOf returns a token's iss claim, or "".
func issOf(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss string `json:"iss"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.Iss
}

func (r *router) GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, o ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	return r.server(aws.ToString(in.AccessToken)).Client().GlobalSignOut(ctx, in, o...)
}

func (r *router) GetUser(ctx context.Context, in *cip.GetUserInput, o ...func(*cip.Options)) (*cip.GetUserOutput, error) {
	return r.server(aws.ToString(in.AccessToken)).Client().GetUser(ctx, in, o...)
}

func (r *router) RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, o ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	return r.fallback.Client().RevokeToken(ctx, in, o...)
}

func TestSignOutRecordsTheSignOut(t *testing.T) {
	store := &memStore{Store: revocation.New()}
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithRevocationStore(store), signout.WithPool(srv.UserPoolID))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	before := time.Now()
	tok := srv.SignIn("alice").AccessToken
	require.NoError(t, c.SignOut(context.Background(), tok))
	recs := store.records()
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, srv.UserPoolID, r.UserPoolID)
	assert.Equal(t, claim(t, tok, "sub"), r.Subject)
	assert.Empty(t, r.OriginJTI, "every session of the user")
	assert.WithinRange(t, r.At, before, time.Now())
	assert.Equal(t, 24*time.Hour, r.Expires.Sub(r.At), "as long as Cognito's longest-lived token")
	assert.Zero(t, store.noDeadlines, "the store write is inside WithTimeout")

	store.err = errors.New("store down")
	err = c.SignOut(context.Background(), srv.SignIn("bob").AccessToken)
	require.ErrorIs(t, err, signout.ErrService, "signed out at Cognito, but not at the API")
	assert.Equal(t, "RevocationStore", asError(t, err).Op)
	assert.True(t, asError(t, err).Retryable(), "a store may come back")
	assert.Len(t, store.records(), 1)
}

// TestSignOutOnMoto signs out against moto, an emulator no one here wrote,
// and proves with GetUser and REFRESH_TOKEN_AUTH that only that user's
// tokens stopped working.
func TestSignOutOnMoto(t *testing.T) {
	t.Parallel() // waits for moto_server to start; overlapped with the others
	url := moto.Start(t)
	pool := moto.NewPool(t, moto.Admin(t, url))
	c, err := signout.New(signout.WithEndpoint(url))
	require.NoError(t, err)
	ctx := context.Background()
	alice, bob := pool.SignIn(t, "alice"), pool.SignIn(t, "bob")
	require.NoError(t, pool.GetUser(alice.Access), "precondition: alice is signed in")

	require.NoError(t, c.SignOut(ctx, alice.Access))
	assert.Error(t, pool.GetUser(alice.Access))
	assert.ErrorContains(t, pool.Refresh(alice.Refresh), "Refresh Token has been revoked")
	assert.NoError(t, pool.GetUser(bob.Access), "bob's access token still works")
	assert.NoError(t, pool.Refresh(bob.Refresh), "bob's refresh token still works")

	err = c.SignOut(ctx, alice.Access)
	require.ErrorIs(t, err, signout.ErrNotAuthorized, "moto refuses the token afterwards")
	assert.False(t, redact.Contains(err.Error(), alice.Access), "moto echoes the token; the error does not")
}

// TestSignOutUnderLoad signs out 2,000 times (400 without SIGNOUT_LONG=1)
// from 64 goroutines sharing one Client while the stand-in fails a share of
// requests, then checks that every result is nil or typed, that
// connections stayed near the number of callers, and that goroutines and
// heap came back.
func TestSignOutUnderLoad(t *testing.T) {
	const callers = 64
	users := testenv.Scale(200, 1000)
	srv := signouttest.NewServer()
	toks := make([]string, 0, 2*users)
	for i := range users {
		toks = append(toks, srv.SignIn(fmt.Sprintf("user%d", i)).AccessToken)
	}
	toks = append(toks, toks...) // each twice: the second sign-out meets a revoked token
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom", Every: 17})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded", Every: 29})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.RawReply, Status: 502, Body: "<html>bad gateway</html>", Every: 41})
	const resetEvery = 97
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.Reset, Every: resetEvery})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.Slow, Delay: 20 * time.Millisecond, Every: 13})

	goroutines, heap := runtime.NumGoroutine(), heapAlloc()
	c, err := signout.New(signout.WithEndpoint(srv.URL))
	require.NoError(t, err)
	work := make(chan string)
	var mu sync.Mutex
	outcomes := map[error]int{}
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for tok := range work {
				err := c.SignOut(context.Background(), tok)
				var kind error
				if err != nil {
					kind = asError(t, err).Kind
				}
				mu.Lock()
				outcomes[kind]++
				mu.Unlock()
			}
		})
	}
	for _, tok := range toks {
		work <- tok
	}
	close(work)
	wg.Wait()

	total := 0
	for kind, n := range outcomes {
		total += n
		assert.Contains(t, []error{nil, signout.ErrTokenRevoked, signout.ErrService, signout.ErrThrottled, signout.ErrNetwork}, kind,
			"an outcome the faults explain")
	}
	assert.Equal(t, len(toks), total)
	assert.LessOrEqual(t, outcomes[nil], users, "only first sign-outs can succeed")
	assert.GreaterOrEqual(t, outcomes[nil], users*9/10, "most first sign-outs succeed despite the faults")
	resets := srv.Requests("GlobalSignOut") / resetEvery
	assert.LessOrEqual(t, srv.Connections(), callers+resets+2, "connections stay near the callers (resets force new ones)")
	t.Logf("outcomes %v; %d requests, %d connections", outcomes, srv.Requests("GlobalSignOut"), srv.Connections())

	srv.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines }, 10*time.Second, 10*time.Millisecond,
		"goroutines back to %d", goroutines)
	assert.Less(t, heapAlloc(), heap+8<<20, "heap back near its baseline")
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkNew(b *testing.B) {
	b.Setenv("AWS_CA_BUNDLE", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signout.New(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocalReject measures refusing a bad token; it must send nothing.
func BenchmarkLocalReject(b *testing.B) {
	srv := signouttest.NewServer()
	defer srv.Close()
	c, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	for name, tok := range map[string]string{
		"garbage":       "not-a-token",
		"expired":       srv.SignIn("alice", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}).AccessToken,
		"missing-scope": srv.SignIn("alice", signouttest.Claims{"scope": "openid"}).AccessToken,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.SignOut(context.Background(), tok) == nil {
					b.Fatal("accepted a bad token")
				}
			}
			b.ReportMetric(float64(srv.Requests("")), "requests")
		})
	}
}

// TestSignOutRetryAfterStoreFailure: a store that failed leaves a
// retryable error though Cognito signed the user out; the retry, which
// Cognito answers ErrTokenRevoked, records the sign-out.
func TestSignOutRetryAfterStoreFailure(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := &flakyStore{Store: revocation.New()}
	c := recordingClient(t, srv, store)
	refused := apiOf(t, srv, store)
	s := srv.SignIn("alice")
	store.setDown(true)
	err := c.SignOut(context.Background(), s.AccessToken)
	require.Error(t, err)
	assert.True(t, asError(t, err).Retryable())
	store.setDown(false)
	err = c.SignOut(context.Background(), s.AccessToken)
	if err != nil {
		require.ErrorIs(t, err, signout.ErrTokenRevoked)
	}
	assert.True(t, refused(s.AccessToken), "the retry recorded the sign-out")
}

// TestSignOutRefusesForeignPools: tokens of a pool WithPool does not name,
// such as an attacker's own pool, are refused without a request and
// recorded nowhere.
func TestSignOutRefusesForeignPools(t *testing.T) {
	ours, theirs := signouttest.NewServer(), signouttest.NewServer()
	t.Cleanup(ours.Close)
	t.Cleanup(theirs.Close)
	store := revocation.New()
	c, err := signout.New(signout.WithCognitoAPI(&router{pools: map[string]*signouttest.Server{ours.Issuer: ours, theirs.Issuer: theirs}, fallback: ours}),
		signout.WithAppClient(ours.ClientID, ""), signout.WithRevocationStore(store), signout.WithPool(ours.UserPoolID))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	refused := apiOf(t, theirs, store)
	for _, reach := range []signout.Reach{signout.ThisSession, signout.AllSessions} {
		s := theirs.SignIn("mallory")
		_, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, reach)
		t.Logf("%v: %v", reach, err)
		assert.False(t, refused(s.AccessToken), "nothing recorded for another pool")
	}
	eve := theirs.SignIn("eve")
	err = c.SignOut(context.Background(), eve.AccessToken)
	assert.ErrorIs(t, err, signout.ErrInvalidToken)
	assert.False(t, refused(eve.AccessToken), "nothing recorded for another pool")
	assert.Zero(t, theirs.Requests("GlobalSignOut")+theirs.Requests("GetUser"), "no request for another pool's tokens")
}
