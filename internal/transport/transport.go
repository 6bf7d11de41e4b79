// Package transport is how signout talks HTTP. New builds the transport a
// Client owns: TLS 1.2 at least, one connect timeout over the dial, a
// proxy's CONNECT and the TLS handshake, no transparent gzip. A Doer wraps
// whatever HTTP client the SDK sends through (that transport, a user's
// *http.Client, an aws.Config's client) so that redirects and compressed
// answers are refused, response bodies are bounded in size and time and
// end with the caller's context, and each attempt is observed.
package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Config shapes the transport New builds.
type Config struct {
	CABundlePEM        []byte // trusted roots; nil means the system roots
	InsecureSkipVerify bool
	// ConnectTimeout bounds the making of a connection: the TCP dial, a
	// proxy's CONNECT and the TLS handshake together. A connection not made
	// in time fails with a net.Error whose Timeout is true and that does not
	// match context.DeadlineExceeded. 0 means no limit (a proxy's CONNECT
	// then has a minute, as in net/http).
	ConnectTimeout  time.Duration
	MaxConnsPerHost int // also the idle pool's size
	// Proxy returns the proxy for a request, as http.Transport's Proxy
	// does; nil means http.ProxyFromEnvironment. For an https endpoint it
	// is also called with a request that has only its URL and Host set.
	Proxy func(*http.Request) (*url.URL, error)
}

// ErrNoCertificates is returned by New for a CA bundle holding no certificate.
var ErrNoCertificates = errors.New("no PEM certificate found")

// New returns an *http.Transport with cfg applied, TLS 1.2 at least, no
// transparent gzip, and proxies from cfg.Proxy. Connections per host are
// capped at cfg.MaxConnsPerHost and as many are kept idle: without the cap,
// callers that find no idle connection each start a dial, and under a burst
// the finished dials pile up to about twice the callers.
//
// Its dial functions belong to it: a Clone of it dials with the original's
// TLS settings. The wait for an answer is bounded by [Doer], not here.
func New(cfg Config) (*http.Transport, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CABundlePEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CABundlePEM) {
			return nil, ErrNoCertificates
		}
		tlsConfig.RootCAs = pool
	}
	d := &dialer{net: net.Dialer{KeepAlive: 30 * time.Second}, proxy: cfg.Proxy, timeout: cfg.ConnectTimeout}
	if d.proxy == nil {
		d.proxy = http.ProxyFromEnvironment
	}
	conns := max(cfg.MaxConnsPerHost, 1)
	d.tr = &http.Transport{
		Proxy:          d.transportProxy,
		DialContext:    d.dial,
		DialTLSContext: d.dialTLS,
		// dialTLS does the handshakes, except through a SOCKS proxy.
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true, // answers are bounded as sent, never inflated
		MaxConnsPerHost:       conns,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
	}
	return d.tr, nil
}
