package transport

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counted is an endless response body of 'x's that counts the bytes read
// from it and whether it was closed.
type counted struct {
	read   atomic.Int64
	closed atomic.Bool
}

func (c *counted) Read(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, errors.New("read after close")
	}
	for i := range p {
		p[i] = 'x'
	}
	c.read.Add(int64(len(p)))
	return len(p), nil
}

func (c *counted) Close() error { c.closed.Store(true); return nil }

// fixed is an HTTPClient that answers every request with resp.
type fixed struct{ resp *http.Response }

func (f fixed) Do(req *http.Request) (*http.Response, error) {
	r := *f.resp
	r.Request = req
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return &r, nil
}

func get(t *testing.T, ctx context.Context, d *Doer, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte("{}")))
	require.NoError(t, err)
	return d.Do(req)
}

func TestBodyEndlessIsCutAtTheCap(t *testing.T) {
	src := &counted{}
	d := NewDoer(fixed{&http.Response{StatusCode: 400, Body: src, ContentLength: -1}}, 0, nil)
	resp, err := get(t, context.Background(), d, "http://cognito.invalid/")
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, resp.Body)
	assert.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, int64(MaxBodyBytes), n, "what the reader got")
	assert.LessOrEqual(t, src.read.Load(), int64(MaxBodyBytes+1), "what was taken from the connection")
	assert.True(t, src.closed.Load(), "the body is closed at the cap, not drained")
	_, err = resp.Body.Read(make([]byte, 10))
	assert.ErrorIs(t, err, ErrBodyTooLarge, "the failure sticks")
	require.NoError(t, resp.Body.Close())
}

// stalled is a response body whose Read blocks until it is closed.
type stalled struct {
	once   sync.Once
	closed chan struct{}
}

func newStalled() *stalled { return &stalled{closed: make(chan struct{})} }

func (s *stalled) Read([]byte) (int, error) {
	<-s.closed
	return 0, errors.New("closed")
}

func (s *stalled) Close() error { s.once.Do(func() { close(s.closed) }); return nil }

func TestBodyReadEndsWithTheCallersContext(t *testing.T) {
	src := newStalled()
	d := NewDoer(fixed{&http.Response{StatusCode: 500, Body: src, ContentLength: -1}}, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := get(t, ctx, d, "http://cognito.invalid/")
	require.NoError(t, err)
	defer resp.Body.Close()
	cancel()
	_, err = io.ReadAll(resp.Body) // without the fix, this never returns
	assert.ErrorIs(t, err, context.Canceled)
}

// sizedServer answers every request with n bytes (chunked, no length) and
// counts the connections it accepts.
func sizedServer(t *testing.T, n int) (url string, conns *atomic.Int32) {
	t.Helper()
	conns = new(atomic.Int32)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.(http.Flusher).Flush()
		io.CopyN(w, &counted{}, int64(n))
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL, conns
}

func TestBodyCap(t *testing.T) {
	tests := []struct {
		size      int
		wantErr   error
		wantConns int32 // for two requests; 0: not checked
	}{
		{MaxBodyBytes - 1, nil, 1},
		{MaxBodyBytes, nil, 1},
		// The read that crosses the cap may also see the body's end, and
		// then the connection is clean and may be reused.
		{MaxBodyBytes + 1, ErrBodyTooLarge, 0},
		{4 * MaxBodyBytes, ErrBodyTooLarge, 2},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.size), func(t *testing.T) {
			url, conns := sizedServer(t, tc.size)
			tr, err := New(Config{})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)
			d := NewDoer(&http.Client{Transport: tr}, 0, nil)

			resp, err := get(t, context.Background(), d, url)
			require.NoError(t, err)
			n, err := io.Copy(io.Discard, resp.Body)
			require.NoError(t, resp.Body.Close())
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, int64(MaxBodyBytes), n)
			} else {
				assert.NoError(t, err)
				assert.Equal(t, int64(tc.size), n)
			}

			resp, err = get(t, context.Background(), d, url)
			require.NoError(t, err)
			resp.Body.Close()
			if tc.wantConns != 0 {
				assert.Equal(t, tc.wantConns, conns.Load(), "connections opened for two requests")
			}
		})
	}
}

// bomb returns a small gzip stream that inflates to 4 GiB: 256 members of
// 16 MiB of zeros each.
var bomb = sync.OnceValue(func() []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), 256)
})

func TestBodyCompressedIsRefused(t *testing.T) {
	var gotEncoding atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotEncoding.Store(r.Header.Get("Accept-Encoding"))
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Encoding", "gzip") // whatever was asked for
		w.WriteHeader(400)
		w.Write(bomb())
	}))
	t.Cleanup(ts.Close)
	own, err := New(Config{})
	require.NoError(t, err)
	t.Cleanup(own.CloseIdleConnections)
	user := &http.Transport{} // net/http inflates gzip for a client that did not ask for it itself
	t.Cleanup(user.CloseIdleConnections)

	for name, c := range map[string]HTTPClient{
		"own transport": &http.Client{Transport: own},
		"user client":   &http.Client{Transport: user},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := get(t, context.Background(), NewDoer(c, 0, nil), ts.URL)
			if resp != nil {
				resp.Body.Close()
			}
			assert.ErrorIs(t, err, ErrCompressed)
			assert.Equal(t, "identity", gotEncoding.Load(), "Accept-Encoding sent")
		})
	}
}

func TestBodyInflatedByTheClientIsRefused(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(bomb()))
	require.NoError(t, err)
	d := NewDoer(fixed{&http.Response{StatusCode: 400, Body: io.NopCloser(zr), ContentLength: -1, Uncompressed: true}}, 0, nil)
	resp, err := get(t, context.Background(), d, "http://cognito.invalid/")
	if resp != nil {
		resp.Body.Close()
	}
	assert.ErrorIs(t, err, ErrCompressed)
}

func TestBodyInflatedSilentlyIsCutAtTheCap(t *testing.T) {
	// A client that inflates without saying so: the cap still bounds what
	// is inflated.
	raw := &countingReader{r: bytes.NewReader(bomb())}
	zr, err := gzip.NewReader(raw)
	require.NoError(t, err)
	d := NewDoer(fixed{&http.Response{StatusCode: 400, Body: io.NopCloser(zr), ContentLength: -1}}, 0, nil)
	resp, err := get(t, context.Background(), d, "http://cognito.invalid/")
	require.NoError(t, err)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	assert.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, int64(MaxBodyBytes), n)
	assert.Less(t, raw.n, int64(64<<10), "compressed bytes taken")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestBodyRefusalsThroughSDK: the SDK's error chain still matches the
// refusal, and its retryer (3 attempts here) does not try again, not even
// for a 500 or for what Do returns, which it takes for connection errors.
func TestBodyRefusalsThroughSDK(t *testing.T) {
	endless := func(w http.ResponseWriter) {
		io.WriteString(w, `{"__type":"InternalErrorException","message":"`)
		io.Copy(w, &counted{}) // until the client hangs up
	}
	tests := []struct {
		name    string
		status  int
		write   func(w http.ResponseWriter)
		wantErr error
	}{
		{"endless 200", 200, endless, ErrBodyTooLarge},
		{"endless 400", 400, endless, ErrBodyTooLarge},
		{"endless 500", 500, endless, ErrBodyTooLarge},
		{"gzip 500", 500, func(w http.ResponseWriter) { w.Write(bomb()) }, ErrCompressed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				if tc.wantErr == ErrCompressed {
					w.Header().Set("Content-Encoding", "gzip")
				}
				w.WriteHeader(tc.status)
				tc.write(w)
			}))
			t.Cleanup(ts.Close)
			tr, err := New(Config{})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)
			api := cip.New(cip.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(ts.URL),
				HTTPClient:       NewDoer(&http.Client{Transport: tr}, 0, nil),
				RetryMaxAttempts: 3,
			})
			_, err = api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("token")})
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, int32(1), asked.Load(), "attempts")
		})
	}
}
