package transport

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silent starts a loopback listener that accepts connections, reads what
// comes, and never answers: a stalled proxy or TLS server.
func silent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				io.Copy(io.Discard, c) // until the client gives up
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestConnectTimeoutBoundsStalls(t *testing.T) {
	tests := []struct {
		name  string
		url   func(addr string) string
		proxy func(addr string) func(*http.Request) (*url.URL, error)
	}{
		{
			name: "proxy never answers CONNECT",
			url:  func(string) string { return "https://cognito-idp.us-east-1.amazonaws.com/" },
			proxy: func(addr string) func(*http.Request) (*url.URL, error) {
				return http.ProxyURL(&url.URL{Scheme: "http", Host: addr})
			},
		},
		{
			name:  "server never answers the TLS handshake",
			url:   func(addr string) string { return "https://" + addr + "/" },
			proxy: func(string) func(*http.Request) (*url.URL, error) { return nil },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := silent(t)
			tr, err := New(Config{ConnectTimeout: 50 * time.Millisecond, Proxy: tc.proxy(addr)})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)
			// The caller's whole budget, far longer than the connect timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, tc.url(addr), nil)
			require.NoError(t, err)

			resp, err := (&http.Client{Transport: tr}).Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "the caller's deadline ended the call, not the connect timeout")
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout(), "%v", err)
			assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end")
		})
	}
}

// proxyLog is what a test proxy saw.
type proxyLog struct {
	mu      sync.Mutex
	methods []string
	targets []string
	auth    []string
}

func (l *proxyLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.methods = append(l.methods, r.Method)
	l.targets = append(l.targets, r.Host)
	l.auth = append(l.auth, r.Header.Get("Proxy-Authorization"))
}

// forwardProxy starts a loopback forward proxy: it tunnels CONNECT to its
// target and answers a plain-HTTP request itself with "via proxy".
func forwardProxy(t *testing.T, useTLS bool) (*url.URL, *proxyLog) {
	t.Helper()
	log := &proxyLog{}
	var wg sync.WaitGroup
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		if r.Method != http.MethodConnect {
			io.WriteString(w, "via proxy")
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		wg.Go(func() {
			io.Copy(up, brw)
			up.Close()
		})
		wg.Go(func() {
			io.Copy(c, up)
			c.Close()
		})
	})
	ts := httptest.NewUnstartedServer(h)
	if useTLS {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(func() {
		ts.Close()
		wg.Wait()
	})
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	return u, log
}

func certPEM(ts *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
}

func TestProxy(t *testing.T) {
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "target "+r.Proto)
	}))
	target.EnableHTTP2 = true
	target.StartTLS()
	t.Cleanup(target.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "not through the proxy")
	}))
	t.Cleanup(plain.Close)

	tests := []struct {
		name       string
		proxyTLS   bool
		user       *url.Userinfo
		url        string
		want       string
		wantMethod string
		wantAuth   string
	}{
		{name: "https through http proxy", url: target.URL, want: "target HTTP/2.0", wantMethod: http.MethodConnect},
		{name: "https through https proxy", proxyTLS: true, url: target.URL, want: "target HTTP/2.0", wantMethod: http.MethodConnect},
		{
			name: "proxy credentials", user: url.UserPassword("alice", "s3cret"), url: target.URL,
			want: "target HTTP/2.0", wantMethod: http.MethodConnect,
			wantAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret")),
		},
		{name: "plain http through proxy", url: plain.URL, want: "via proxy", wantMethod: http.MethodGet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pu, log := forwardProxy(t, tc.proxyTLS)
			pu.User = tc.user
			// The proxy and the target share httptest's certificate.
			tr, err := New(Config{CABundlePEM: certPEM(target), ConnectTimeout: 10 * time.Second, Proxy: http.ProxyURL(pu)})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)

			resp, err := (&http.Client{Transport: tr}).Get(tc.url)
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(b))

			log.mu.Lock()
			defer log.mu.Unlock()
			require.Len(t, log.methods, 1)
			assert.Equal(t, tc.wantMethod, log.methods[0])
			assert.Equal(t, tc.wantAuth, log.auth[0])
			if tc.wantMethod == http.MethodConnect {
				assert.Equal(t, target.Listener.Addr().String(), log.targets[0])
			}
		})
	}
}

func TestProxyRefusal(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusProxyAuthRequired)
	}))
	t.Cleanup(ts.Close)
	pu, _ := url.Parse(ts.URL)
	tr, err := New(Config{ConnectTimeout: 10 * time.Second, Proxy: http.ProxyURL(pu)})
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	_, err = (&http.Client{Transport: tr}).Get("https://cognito-idp.us-east-1.amazonaws.com/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Proxy Authentication Required")
}

func TestDirectHTTPSKeepsHTTP2(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	tr, err := New(Config{CABundlePEM: certPEM(ts), ConnectTimeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "HTTP/2.0", string(b))

}

// TestHandshakeErrorsAreCryptoTLSs: a refused handshake reads as net/http
// would report it, which is how a caller tells it from a transient failure.
func TestHandshakeErrorsAreCryptoTLSs(t *testing.T) {
	old := httptest.NewUnstartedServer(http.NotFoundHandler())
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0)
	old.StartTLS()
	t.Cleanup(old.Close)
	unknown := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(unknown.Close)

	tr, err := New(Config{CABundlePEM: certPEM(old), ConnectTimeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}

	_, err = c.Get(old.URL)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.Equal(t, "remote error", op.Op, "the peer's alert: %v", err)

	tr2, err := New(Config{ConnectTimeout: 10 * time.Second}) // system roots only
	require.NoError(t, err)
	t.Cleanup(tr2.CloseIdleConnections)
	_, err = (&http.Client{Transport: tr2}).Get(unknown.URL)
	var verify *tls.CertificateVerificationError
	assert.ErrorAs(t, err, &verify)
}
