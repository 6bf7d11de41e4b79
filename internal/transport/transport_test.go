package transport

import (
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
	tr, err := New(Config{ConnectTimeout: time.Second, MaxConnsPerHost: 7})
	require.NoError(t, err)
	assert.Equal(t, uint16(0x0303), tr.TLSClientConfig.MinVersion, "TLS 1.2 at least")
	assert.Equal(t, time.Second, tr.TLSHandshakeTimeout)
	assert.Zero(t, tr.ResponseHeaderTimeout, "the Doer bounds the wait for headers")
	assert.Equal(t, 7, tr.MaxConnsPerHost)
	assert.Equal(t, 7, tr.MaxIdleConnsPerHost)
	assert.NotNil(t, tr.Proxy, "proxies come from the environment")
	assert.True(t, tr.DisableCompression)
}
