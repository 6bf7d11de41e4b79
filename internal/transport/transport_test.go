package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewRejectsBundleWithoutCertificates(t *testing.T) {
	_, err := New(Config{CABundlePEM: []byte("not a certificate")})
	require.ErrorIs(t, err, ErrNoCertificates)
}

func TestNewSettings(t *testing.T) {
	tr, err := New(Config{ConnectTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxConnsPerHost: 7})
	require.NoError(t, err)
	assert.Equal(t, uint16(0x0303), tr.TLSClientConfig.MinVersion, "TLS 1.2 at least")
	assert.Equal(t, time.Second, tr.TLSHandshakeTimeout)
	assert.Equal(t, 2*time.Second, tr.ResponseHeaderTimeout)
	assert.Equal(t, 7, tr.MaxConnsPerHost)
	assert.Equal(t, 7, tr.MaxIdleConnsPerHost)
	assert.NotNil(t, tr.Proxy, "proxies come from the environment")
}

func TestDoerBodyReadTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		io.WriteString(w, "late")
	}))
	defer ts.Close()
	defer close(release)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	var seen []Attempt
	d := &Doer{Base: &http.Client{Transport: tr}, ReadTimeout: 30 * time.Millisecond, OnAttempt: func(_ *http.Request, a Attempt) { seen = append(seen, a) }}
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	resp, err := d.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	var ne net.Error
	require.True(t, errors.As(err, &ne), "got %v", err)
	assert.True(t, ne.Timeout())
	assert.ErrorIs(t, err, ReadTimeoutError{})
	require.Len(t, seen, 1)
	assert.Equal(t, 200, seen[0].Status)
}

func TestDoerFastBodyIsUntouched(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "rid-1")
		io.WriteString(w, strings.Repeat("x", 100_000))
	}))
	defer ts.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	var seen Attempt
	d := &Doer{Base: &http.Client{Transport: tr}, ReadTimeout: time.Second, OnAttempt: func(_ *http.Request, a Attempt) { seen = a }}
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	resp, err := d.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, b, 100_000)
	assert.Equal(t, "rid-1", seen.RequestID)
}

// smithyBody behaves as smithy-go's request body does: once closed, Read
// and WriteTo return io.EOF, and for WriteTo io.Copy takes that as an
// error. It counts the calls made after Close.
type smithyBody struct {
	mu         sync.Mutex
	r          *bytes.Reader
	closed     bool
	afterClose int
}

func (b *smithyBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.afterClose++
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *smithyBody) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.afterClose++
		return 0, io.EOF
	}
	return b.r.WriteTo(w)
}

func (b *smithyBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *smithyBody) touchedAfterClose() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.afterClose
}

// TestDoerSurvivesBodyClosedAfterDo is the regression test for a race with
// smithy-go, which closes the request body when Do returns: net/http's
// write loop may still copy the body once more (checking for bytes past
// Content-Length), that copy then fails, and the connection is closed under
// the response being read. Once Do has returned, the transport must not
// touch the caller's body at all.
func TestDoerSurvivesBodyClosedAfterDo(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer ts.Close()
	tr := &http.Transport{MaxConnsPerHost: 1} // one connection: writes happen in order
	defer tr.CloseIdleConnections()
	d := &Doer{Base: &http.Client{Transport: tr}}
	payload := bytes.Repeat([]byte("x"), 1200)
	var bodies []*smithyBody
	for i := range 200 {
		body := &smithyBody{r: bytes.NewReader(payload)}
		bodies = append(bodies, body)
		req, _ := http.NewRequest(http.MethodPost, ts.URL, body)
		req.ContentLength = int64(len(payload))
		resp, err := d.Do(req)
		require.NoError(t, err, "request %d", i)
		body.Close() // what smithy-go does the moment Do returns
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err, "request %d", i)
		require.Equal(t, `{"ok":true}`, string(b))
	}
	// Each request's write finished before the next one's began on the
	// single connection, so every body but the last has seen all it will.
	touched := 0
	for _, b := range bodies[:len(bodies)-1] {
		touched += b.touchedAfterClose()
	}
	assert.Zero(t, touched, "request bodies read after Do returned")
}
