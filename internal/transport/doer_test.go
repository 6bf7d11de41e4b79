package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redirector starts a server that answers every request with status and a
// Location on a second server, and counts what that second server sees.
func redirector(t *testing.T, status int) (from string, seen *atomic.Int32) {
	from, _, seen = redirectorCounting(t, status)
	return from, seen
}

// redirectorCounting is redirector that also counts the requests the first
// server answers.
func redirectorCounting(t *testing.T, status int) (from string, asked, seen *atomic.Int32) {
	t.Helper()
	asked, seen = new(atomic.Int32), new(atomic.Int32)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "{}")
	}))
	t.Cleanup(other.Close)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, other.URL+"/stolen", status)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, asked, seen
}

var redirectStatuses = []int{
	http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
	http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
}

func TestDoerRefusesRedirects(t *testing.T) {
	followAll := func(*http.Request, []*http.Request) error { return nil }
	clients := []struct {
		name string
		make func(t *testing.T) HTTPClient
	}{
		{"own transport", func(t *testing.T) HTTPClient {
			tr, err := New(Config{})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)
			return &http.Client{Transport: tr}
		}},
		{"user client that follows redirects", func(t *testing.T) HTTPClient {
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			return &http.Client{Transport: tr, CheckRedirect: followAll}
		}},
		{"aws BuildableClient", func(t *testing.T) HTTPClient {
			return awshttp.NewBuildableClient()
		}},
	}
	for _, c := range clients {
		for _, status := range redirectStatuses {
			t.Run(fmt.Sprintf("%s/%d", c.name, status), func(t *testing.T) {
				from, seen := redirector(t, status)
				d := NewDoer(c.make(t), 0, nil)
				req, err := http.NewRequest(http.MethodPost, from, strings.NewReader(`{"AccessToken":"secret"}`))
				require.NoError(t, err)
				resp, err := d.Do(req)
				if resp != nil {
					resp.Body.Close()
				}
				assert.ErrorIs(t, err, ErrRedirect)
				assert.Nil(t, resp)
				assert.Zero(t, seen.Load(), "the request was re-sent to the other host")
			})
		}
	}
}

func TestDoerLeavesUserClientAlone(t *testing.T) {
	from, seen := redirector(t, http.StatusTemporaryRedirect)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	followAll := func(*http.Request, []*http.Request) error { return nil }
	user := &http.Client{Transport: tr, CheckRedirect: followAll}

	d := NewDoer(user, 0, nil)
	req, _ := http.NewRequest(http.MethodPost, from, strings.NewReader("x"))
	_, err := d.Do(req)
	require.ErrorIs(t, err, ErrRedirect)

	assert.Equal(t, reflect.ValueOf(followAll).Pointer(), reflect.ValueOf(user.CheckRedirect).Pointer())
	resp, err := user.Post(from, "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, int32(1), seen.Load(), "the user's own client still follows redirects")
}

// TestDoerRedirectThroughSDK: the SDK's error chain still matches
// ErrRedirect, and its retryer, which retries what Do returns as a
// connection error, makes no second attempt.
func TestDoerRedirectThroughSDK(t *testing.T) {
	from, asked, seen := redirectorCounting(t, http.StatusTemporaryRedirect)
	tr, err := New(Config{})
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	api := cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(from),
		HTTPClient:   NewDoer(&http.Client{Transport: tr}, 0, nil),
	})
	_, err = api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("token")})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRedirect)
	assert.Zero(t, seen.Load())
	assert.Equal(t, int32(1), asked.Load(), "attempts")
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
	d := NewDoer(&http.Client{Transport: tr}, time.Second, func(_ *http.Request, a Attempt) { seen = a })
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	resp, err := d.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, b, 100_000)
	assert.Equal(t, "rid-1", seen.RequestID)
	assert.Equal(t, 200, seen.Status)
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
	d := NewDoer(&http.Client{Transport: tr}, 0, nil)
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

// TestDoerReadTimeoutIsNotTheCallersDeadline: a stall the read timeout ends
// is reported as a timeout, never as the caller's context.DeadlineExceeded,
// whether the headers or the body stall.
func TestDoerReadTimeoutIsNotTheCallersDeadline(t *testing.T) {
	for _, stallBody := range []bool{false, true} {
		name := map[bool]string{false: "headers", true: "body"}[stallBody]
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if stallBody {
					w.WriteHeader(400)
					io.WriteString(w, `{"__type":`)
					w.(http.Flusher).Flush()
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(ts.Close)
			t.Cleanup(func() { close(release) })
			tr, err := New(Config{})
			require.NoError(t, err)
			t.Cleanup(tr.CloseIdleConnections)
			api := cip.New(cip.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(ts.URL),
				HTTPClient:       NewDoer(&http.Client{Transport: tr}, 30*time.Millisecond, nil),
				RetryMaxAttempts: 1,
			})
			_, err = api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("token")})
			require.Error(t, err)
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout())
			assert.ErrorIs(t, err, ReadTimeoutError{})
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}
