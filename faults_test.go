package signout_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
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

// noDNSClient resolves names only through a resolver that can reach no DNS
// server (it dials a closed loopback port), so an unknown host fails without
// a packet leaving the machine.
func noDNSClient(t *testing.T) *http.Client {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.LocalAddr().String()
	l.Close()
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dead)
	}}
	tr := &http.Transport{DialContext: (&net.Dialer{Resolver: resolver, Timeout: time.Second}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestFaultMatrix plays each fault and checks the typed error, Retryable,
// the attempts made and requests received, and that the call ended within
// its bound. Elapsed times are logged; the bound is generous because it
// proves that nothing hangs, not how fast the machine is.
func TestFaultMatrix(t *testing.T) {
	type row struct {
		name      string
		fault     *signouttest.Fault // played for GlobalSignOut
		endpoint  func(t *testing.T, srv *signouttest.Server) string
		opts      []signout.Option
		ctx       func() (context.Context, context.CancelFunc)
		cancelIn  bool // cancel once the request has arrived
		want      []error
		retryable bool
		attempts  int
		requests  int // -1: not counted (no stand-in involved)
		bound     time.Duration
	}
	tlsStandIn := func(t *testing.T, srv *signouttest.Server) string { return srv.URL }
	rows := []row{
		{name: "connection refused", endpoint: func(t *testing.T, _ *signouttest.Server) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := l.Addr().String()
			l.Close()
			return "http://" + addr
		}, want: []error{signout.ErrNetwork}, retryable: true, attempts: 3, requests: 0, bound: 5 * time.Second},
		{name: "unknown host", endpoint: func(*testing.T, *signouttest.Server) string { return "http://cognito.does-not-exist.invalid" },
			opts: []signout.Option{signout.WithHTTPClient(noDNSClient(t))}, want: []error{signout.ErrNetwork}, retryable: true, attempts: 3, requests: 0, bound: 5 * time.Second},
		{name: "TLS untrusted", endpoint: tlsStandIn, want: []error{signout.ErrNetwork}, retryable: false, attempts: 1, requests: 0, bound: 2 * time.Second},
		{name: "TLS below 1.2", endpoint: func(t *testing.T, _ *signouttest.Server) string { return tls11Server(t) },
			opts: []signout.Option{signout.WithInsecureSkipVerify()}, want: []error{signout.ErrNetwork}, retryable: false, attempts: 1, requests: 0, bound: 2 * time.Second},
		{name: "connect timeout (TLS handshake stalls)", endpoint: func(t *testing.T, _ *signouttest.Server) string { return stallListener(t) },
			opts: []signout.Option{signout.WithConnectTimeout(100 * time.Millisecond), signout.WithRetryMaxAttempts(2)},
			want: []error{signout.ErrTimeout}, retryable: true, attempts: 2, requests: 0, bound: 3 * time.Second},
		{name: "read timeout, headers", fault: &signouttest.Fault{Hang: true},
			opts: []signout.Option{signout.WithReadTimeout(100 * time.Millisecond), signout.WithRetryMaxAttempts(2)},
			want: []error{signout.ErrTimeout}, retryable: true, attempts: 2, requests: 2, bound: 3 * time.Second},
		{name: "read timeout, body", fault: &signouttest.Fault{Status: 200, Body: "{}", BodyDelay: time.Minute},
			opts: []signout.Option{signout.WithReadTimeout(100 * time.Millisecond), signout.WithRetryMaxAttempts(1)},
			want: []error{signout.ErrTimeout}, retryable: true, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "slow body within the read timeout", fault: &signouttest.Fault{Status: 200, Body: "{}", BodyDelay: 50 * time.Millisecond, Times: 1},
			opts: []signout.Option{signout.WithReadTimeout(time.Second)}, want: nil, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "context cancelled mid-request", fault: &signouttest.Fault{Hang: true}, cancelIn: true,
			want: []error{context.Canceled}, retryable: false, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "context deadline mid-request", fault: &signouttest.Fault{Hang: true},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 150*time.Millisecond)
			},
			want: []error{signout.ErrTimeout, context.DeadlineExceeded}, retryable: true, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "WithTimeout over retries", fault: &signouttest.Fault{Hang: true},
			opts: []signout.Option{signout.WithTimeout(200 * time.Millisecond), signout.WithReadTimeout(0)},
			want: []error{signout.ErrTimeout, context.DeadlineExceeded}, retryable: true, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "500 InternalErrorException", fault: &signouttest.Fault{Code: "InternalErrorException", Message: "boom"},
			want: []error{signout.ErrService}, retryable: true, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "502 HTML from a proxy", fault: &signouttest.Fault{Status: 502, Body: "<html><h1>502 Bad Gateway</h1></html>", ContentType: "text/html"},
			want: []error{signout.ErrService}, retryable: true, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "503 Service Unavailable", fault: &signouttest.Fault{Status: 503, Body: "Service Unavailable", ContentType: "text/plain"},
			want: []error{signout.ErrService}, retryable: true, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "403 HTML from a proxy", fault: &signouttest.Fault{Status: 403, Body: "<html>Forbidden</html>", ContentType: "text/html"},
			want: []error{signout.ErrService}, retryable: false, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "malformed JSON", fault: &signouttest.Fault{Status: 200, Body: "{not json"},
			want: []error{signout.ErrService}, retryable: true, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "truncated JSON error", fault: &signouttest.Fault{Status: 400, Body: `{"__type":"NotAuthorizedExc`},
			want: []error{signout.ErrService}, retryable: false, attempts: 1, requests: 1, bound: 2 * time.Second},
		{name: "connection reset", fault: &signouttest.Fault{Reset: true},
			want: []error{signout.ErrNetwork}, retryable: true, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "throttled for the first 2 attempts", fault: &signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 2},
			want: nil, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "throttled past the retry budget", fault: &signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"},
			want: []error{signout.ErrThrottled}, retryable: true, attempts: 3, requests: 3, bound: 5 * time.Second},
		{name: "token error is sent once", fault: &signouttest.Fault{Code: "NotAuthorizedException", Message: "Access Token has been revoked"},
			want: []error{signout.ErrTokenRevoked, signout.ErrNotAuthorized}, retryable: false, attempts: 1, requests: 1, bound: 2 * time.Second},
	}
	t.Logf("| fault | error | Retryable | attempts | elapsed | bound |")
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			var srvOpts []signouttest.ServerOption
			if tc.name == "TLS untrusted" {
				srvOpts = append(srvOpts, signouttest.TLS())
			}
			srv := signouttest.NewServer(srvOpts...)
			t.Cleanup(srv.Close)
			tok := srv.SignIn("alice").AccessToken
			endpoint := srv.URL
			if tc.endpoint != nil {
				endpoint = tc.endpoint(t, srv)
			}
			if tc.fault != nil {
				srv.InjectFault("GlobalSignOut", *tc.fault)
			}
			c, err := signout.New(append([]signout.Option{signout.WithEndpoint(endpoint)}, tc.opts...)...)
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)

			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			if tc.cancelIn {
				go func() {
					for srv.Requests("GlobalSignOut") == 0 && ctx.Err() == nil {
						runtime.Gosched()
					}
					cancel()
				}()
			}
			start := time.Now()
			err = c.SignOut(ctx, tok)
			elapsed := time.Since(start)

			var se *signout.Error
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				for _, w := range tc.want {
					require.ErrorIs(t, err, w)
				}
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tc.retryable, se.Retryable(), "Retryable")
				assert.Equal(t, tc.attempts, se.Attempts, "attempts")
				assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), tok)
			}
			if tc.requests >= 0 {
				assert.Equal(t, tc.requests, srv.Requests("GlobalSignOut"), "requests received")
			}
			assert.Less(t, elapsed, tc.bound, "ended within its bound")
			kind, retry := "nil", "-"
			if se != nil {
				kind, retry = sentinel(err), fmt.Sprint(se.Retryable())
			}
			t.Logf("| %s | %s | %s | %d | %v | %v |", tc.name, kind, retry, tc.attempts, elapsed.Round(time.Millisecond), tc.bound)
		})
	}
}

func sentinel(err error) string {
	for _, s := range []error{signout.ErrTokenRevoked, signout.ErrThrottled, signout.ErrService, signout.ErrNetwork,
		signout.ErrTimeout, context.Canceled} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return err.Error()
}
