// Package transport builds the HTTP transport a Client owns and wraps any
// HTTP client so that each attempt is observed and each body read is bounded.
package transport

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Config shapes the transport New builds.
type Config struct {
	CABundlePEM        []byte // trusted roots; nil means the system roots
	InsecureSkipVerify bool
	ConnectTimeout     time.Duration // dial and TLS handshake; 0 means no limit
	ReadTimeout        time.Duration // wait for response headers; 0 means no limit
	MaxConnsPerHost    int           // also the idle pool's size
}

// ErrNoCertificates is returned by New for a CA bundle holding no certificate.
var ErrNoCertificates = errors.New("no PEM certificate found")

// Errors a Doer returns for answers it refuses. (Placeholders until the
// Doer enforces them.)
var (
	ErrRedirect     = errors.New("transport: redirect refused")
	ErrBodyTooLarge = errors.New("transport: response body too large")
	ErrEncoding     = errors.New("transport: compressed response refused")
)

// New returns an *http.Transport with cfg applied, TLS 1.2 at least, and
// proxies from the environment. Connections per host are capped at
// cfg.MaxConnsPerHost and as many are kept idle: without the cap, callers
// that find no idle connection each start a dial, and under a burst the
// finished dials pile up to about twice the callers.
func New(cfg Config) (*http.Transport, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CABundlePEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CABundlePEM) {
			return nil, ErrNoCertificates
		}
		tlsConfig.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	conns := max(cfg.MaxConnsPerHost, 1)
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.ReadTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxConnsPerHost:       conns,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}

// HTTPClient is what the SDK sends requests through.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Attempt describes one request that went out.
type Attempt struct {
	Status    int // 0 when no response came
	RequestID string
	Latency   time.Duration // to the response headers
	Err       error
}

// Doer wraps an HTTPClient: it reports each attempt to OnAttempt and, with
// ReadTimeout set, fails a response body that has not arrived within it.
type Doer struct {
	Base        HTTPClient
	ReadTimeout time.Duration
	OnAttempt   func(*http.Request, Attempt)
}

// Do sends req through d.Base.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		// smithy-go closes the request body as soon as Do returns, and its
		// body's WriteTo then returns io.EOF, which io.Copy reports as an
		// error. net/http's write loop may still be making its last copy of
		// the body (the check for bytes past Content-Length) at that moment;
		// it fails, and the connection is torn down under the response
		// being read. The transport gets its own copy instead. smithy-go
		// builds a new request for every attempt, so it is replaced in place.
		b, err := readBody(req)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.ContentLength = int64(len(b))
	}
	start := time.Now()
	resp, err := d.Base.Do(req)
	if d.OnAttempt != nil {
		a := Attempt{Latency: time.Since(start), Err: err}
		if resp != nil {
			a.Status = resp.StatusCode
			a.RequestID = resp.Header.Get("X-Amzn-Requestid")
		}
		d.OnAttempt(req, a)
	}
	if err == nil && d.ReadTimeout > 0 && resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = newTimedBody(resp.Body, d.ReadTimeout)
	}
	return resp, err
}

// readBody reads and closes req's body, in one allocation when its length
// is known.
func readBody(req *http.Request) ([]byte, error) {
	defer req.Body.Close()
	if n := req.ContentLength; n > 0 && n <= 1<<20 {
		b := make([]byte, n)
		if _, err := io.ReadFull(req.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(req.Body)
}

// ReadTimeoutError is the error a body read returns after waiting longer
// than the read timeout. It is a net.Error whose Timeout is true.
type ReadTimeoutError struct{}

func (ReadTimeoutError) Error() string   { return "read timeout: response body stalled" }
func (ReadTimeoutError) Timeout() bool   { return true }
func (ReadTimeoutError) Temporary() bool { return true }

var _ net.Error = ReadTimeoutError{}

// timedBody closes the underlying body when it has not been read to its end
// within d of the response headers, which unblocks a stalled Read; that
// Read then reports ReadTimeoutError. One timer serves the whole body:
// Cognito's answers are a few hundred bytes, so a deadline per body bounds
// the same stall as one per read, for less work.
type timedBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	expired atomic.Bool
}

func newTimedBody(rc io.ReadCloser, d time.Duration) *timedBody {
	b := &timedBody{rc: rc}
	b.timer = time.AfterFunc(d, b.expire)
	return b
}

func (b *timedBody) Read(p []byte) (int, error) {
	if b.expired.Load() {
		return 0, ReadTimeoutError{}
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.timer.Stop()
	case err != nil && (b.expired.Load() || !b.timer.Stop()):
		// Stop reports false once the timer has fired, even if expire has
		// not run yet: a read that failed then failed because of it.
		err = ReadTimeoutError{}
	}
	return n, err
}

func (b *timedBody) expire() {
	b.expired.Store(true)
	b.rc.Close()
}

func (b *timedBody) Close() error {
	b.timer.Stop()
	return b.rc.Close()
}
