package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// dialer makes the connections of a Transport New builds. To an https
// endpoint it does what net/http would, through an http or https proxy the
// CONNECT exchange and then the TLS handshake, but within one connect
// timeout: net/http gives a proxy's CONNECT a minute whatever its other
// timeouts say.
type dialer struct {
	tr      *http.Transport // for its TLSClientConfig, read per dial: net/http adds "h2" to it on first use
	net     net.Dialer
	proxy   func(*http.Request) (*url.URL, error)
	timeout time.Duration
}

// proxyCONNECTLimit bounds a proxy's CONNECT when there is no connect
// timeout, as net/http does.
const proxyCONNECTLimit = time.Minute

// transportProxy is the Transport's Proxy. It keeps the tunnels to https
// endpoints for dialTLS, and leaves plain-HTTP requests and SOCKS proxies
// to net/http.
func (d *dialer) transportProxy(req *http.Request) (*url.URL, error) {
	u, err := d.proxy(req)
	if err != nil || u == nil || req.URL.Scheme != "https" || !tunnels(u) {
		return u, err
	}
	return nil, nil
}

func tunnels(proxy *url.URL) bool { return proxy.Scheme == "http" || proxy.Scheme == "https" }

// dial is the Transport's DialContext, used for plain-HTTP endpoints and
// proxies.
func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	bounded, cancel := d.bound(ctx, d.timeout)
	defer cancel()
	c, err := d.net.DialContext(bounded, network, addr)
	if err != nil {
		return nil, connectError(ctx, bounded, network, err)
	}
	return c, nil
}

// dialTLS is the Transport's DialTLSContext: it returns a TLS connection to
// addr, through the proxy d.proxy names for it if any, with the TCP dial,
// the CONNECT exchange and the TLS handshakes bounded together. As in
// net/http, a failure before the tunnel is made is a *net.OpError whose Op
// is "proxyconnect", and the handshake's errors are crypto/tls's own.
func (d *dialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	proxy, err := d.proxy(&http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "https", Host: addr}, Host: addr, Header: http.Header{}})
	if err != nil {
		return nil, err
	}
	hop, timeout := addr, d.timeout
	if proxy != nil {
		if !tunnels(proxy) {
			return nil, fmt.Errorf("proxy scheme %q not supported for https", proxy.Scheme)
		}
		hop = proxyAddr(proxy)
		if timeout <= 0 {
			timeout = proxyCONNECTLimit
		}
	}
	bounded, cancel := d.bound(ctx, timeout)
	defer cancel()
	raw, err := d.net.DialContext(bounded, network, hop)
	if err == nil {
		var conn *tls.Conn
		if conn, err = d.handshake(bounded, raw, proxy, addr, host); err == nil {
			return conn, nil
		}
		raw.Close()
	} else if proxy != nil {
		err = proxyError(err)
	}
	return nil, connectError(ctx, bounded, network, err)
}

// handshake asks proxy, if not nil, for a tunnel to addr, then makes a TLS
// connection to host, all over raw and within ctx.
func (d *dialer) handshake(ctx context.Context, raw net.Conn, proxy *url.URL, addr, host string) (*tls.Conn, error) {
	// A deadline on raw bounds every exchange on it; an end of ctx before
	// the deadline (cancellation) moves it to the past.
	if deadline, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(deadline); err != nil {
			return nil, err
		}
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var conn net.Conn = raw
	if proxy != nil {
		if proxy.Scheme == "https" {
			pc := tls.Client(raw, d.tlsConfig(proxy.Hostname(), false))
			if err := pc.Handshake(); err != nil {
				return nil, proxyError(err)
			}
			conn = pc
		}
		if err := connect(conn, proxy, addr); err != nil {
			return nil, proxyError(err)
		}
	}
	tc := tls.Client(conn, d.tlsConfig(host, true))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	if !stop() {
		// ctx ended as the handshake did: raw's deadline may be past.
		return nil, ctx.Err()
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return tc, nil
}

// tlsConfig returns the Transport's TLS settings for a connection to
// serverName; without target, for a proxy, they offer HTTP/1.1 only.
func (d *dialer) tlsConfig(serverName string, target bool) *tls.Config {
	cfg := d.tr.TLSClientConfig.Clone()
	if !target {
		cfg.ServerName = serverName
		cfg.NextProtos = nil
	} else if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	return cfg
}

// connect asks the proxy at the other end of conn for a tunnel to addr.
func connect(conn net.Conn, proxy *url.URL, addr string) error {
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if u := proxy.User; u != nil {
		pass, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass)))
	}
	if err := req.Write(conn); err != nil {
		return err
	}
	br := bufio.NewReader(&io.LimitedReader{R: conn, N: 64 << 10})
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("proxy refused CONNECT: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if br.Buffered() > 0 {
		// A TLS server speaks only when spoken to.
		return errors.New("proxy sent data after its CONNECT answer")
	}
	return nil
}

// proxyAddr returns the host:port to dial for proxy.
func proxyAddr(proxy *url.URL) string {
	port := proxy.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[proxy.Scheme]
	}
	return net.JoinHostPort(proxy.Hostname(), port)
}

func (d *dialer) bound(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// proxyError marks err as a failure to reach an endpoint through a proxy,
// as net/http does.
func proxyError(err error) error {
	return &net.OpError{Op: "proxyconnect", Net: "tcp", Err: err}
}

// connectError returns err, from making a connection within bounded
// (derived from ctx); when the bound, not ctx, ended the attempt, it
// returns a *net.OpError whose cause is connectTimeoutError instead,
// whatever failure the deadline produced.
func connectError(ctx, bounded context.Context, network string, err error) error {
	if ctx.Err() == nil && bounded.Err() != nil {
		return &net.OpError{Op: "dial", Net: network, Err: connectTimeoutError{}}
	}
	return err
}

// connectTimeoutError is the cause of a connection that was not made within
// the connect timeout. It is a net.Error whose Timeout is true; unlike the
// errors net and net/http use for their own timeouts, it does not match
// context.DeadlineExceeded, which is the caller's.
type connectTimeoutError struct{}

func (connectTimeoutError) Error() string   { return "connect timeout" }
func (connectTimeoutError) Timeout() bool   { return true }
func (connectTimeoutError) Temporary() bool { return true }
