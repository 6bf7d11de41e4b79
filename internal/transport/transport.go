// Package transport builds the HTTP transport a Client owns and wraps any
// HTTP client so that each attempt is observed and each body read is bounded.
package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
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
		DisableCompression:    true, // answers are bounded as sent, never inflated
		MaxConnsPerHost:       conns,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}
