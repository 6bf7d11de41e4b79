package transport

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
