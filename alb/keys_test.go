package alb

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
)

func validToken(ks *keyServer, kid string) string {
	exp := time.Now().Add(time.Minute).Unix()
	return sign(ks.key(testKid), albHeader(kid, testARN, exp), albPayload(exp), true)
}

func TestKeysConcurrentFirstUseSharesOneFetch(t *testing.T) {
	ks := newKeyServer(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	key := ks.key(testKid)
	ks.setHandler(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Write(publicPEM(&key.PublicKey))
	})
	v := newVerifier(t, ks)
	tok := validToken(ks, testKid)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		}()
	}
	<-arrived
	// The other callers find the fetch in flight, or its key once done.
	close(release)
	for range n {
		assert.NoError(t, <-errs)
	}
	assert.EqualValues(t, 1, ks.requests.Load())
}

func TestKeysFetchesAreLimited(t *testing.T) {
	ks := newKeyServer(t)
	v := newVerifier(t, ks, WithFetchInterval(time.Hour))
	// Tokens with random kids, as a forger sends them: each unknown kid
	// costs a fetch, 4 at most, then none.
	for i := range 10 {
		_, err := v.Verify(context.Background(), validToken(ks, fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)))
		if i < fetchBurst {
			assert.ErrorIs(t, err, signout.ErrInvalidToken, "kid %d: fetched, unknown", i)
		} else {
			assert.ErrorIs(t, err, signout.ErrThrottled, "kid %d: not fetched", i)
			assert.NotErrorIs(t, err, signout.ErrNotAuthorized, "so that the middleware answers 503, not 401")
		}
	}
	assert.EqualValues(t, fetchBurst, ks.requests.Load())
}

func TestKeysLimitHoldsWhateverCallersDo(t *testing.T) {
	ks := newKeyServer(t)
	// The endpoint hangs until the caller goes away.
	arrived := make(chan struct{}, 1)
	ks.setHandler(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	v := newVerifier(t, ks, WithFetchInterval(time.Hour))
	for i := range 10 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := v.Verify(ctx, validToken(ks, fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)))
			done <- err
		}()
		if i < fetchBurst {
			<-arrived // the fetch is under way
		}
		cancel()
		err := <-done
		if i < fetchBurst {
			assert.ErrorIs(t, err, context.Canceled, "caller %d", i)
		} else {
			assert.ErrorIs(t, err, signout.ErrThrottled, "caller %d", i)
		}
	}
	assert.EqualValues(t, fetchBurst, ks.requests.Load(), "callers that hang up do not earn more fetches")
}

func TestKeysFetchFailures(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(publicPEM(&newECKey().PublicKey))
	zw.Close()
	redirected := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { redirected <- struct{}{} }))
	t.Cleanup(target.Close)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    error
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, signout.ErrService},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, signout.ErrInvalidToken},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target.URL, http.StatusFound) }, signout.ErrService},
		{"not PEM", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) }, signout.ErrService},
		{"RSA key", func(w http.ResponseWriter, r *http.Request) { w.Write(publicPEM(&rsaKey.PublicKey)) }, signout.ErrService},
		{"two PEM blocks", func(w http.ResponseWriter, r *http.Request) {
			w.Write(append(publicPEM(&newECKey().PublicKey), publicPEM(&newECKey().PublicKey)...))
		}, signout.ErrService},
		{"oversized", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), 1<<20)) }, signout.ErrService},
		{"gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}, signout.ErrService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ks := newKeyServer(t)
			ks.setHandler(tc.handler)
			_, err := newVerifier(t, ks).Verify(context.Background(), validToken(ks, testKid))
			assert.ErrorIs(t, err, tc.kind)
		})
	}
	select {
	case <-redirected:
		t.Error("the redirect was followed")
	default:
	}
}

func TestKeysUnreachableAndSlow(t *testing.T) {
	ks := newKeyServer(t)
	tok := validToken(ks, testKid)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	l.Close()
	v, err := New(accessVerifier(t), WithLoadBalancer(testARN), WithKeyEndpoint(closed))
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, signout.ErrNetwork)

	ks.setHandler(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	slow := newVerifier(t, ks, WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	_, err = slow.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, signout.ErrTimeout)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = newVerifier(t, ks).Verify(ctx, tok)
	assert.ErrorIs(t, err, signout.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestKeysKeptAreBounded(t *testing.T) {
	k := newKeys(http.DefaultClient, rate.NewLimiter(rate.Inf, 1))
	pub := &newECKey().PublicKey
	k.mu.Lock()
	for i := range maxKeys + 3 {
		k.storeLocked(keyID{"e", fmt.Sprint(i)}, pub)
	}
	k.mu.Unlock()
	assert.Len(t, *k.known.Load(), maxKeys)
	assert.Nil(t, k.lookup(keyID{"e", "0"}), "the oldest went first")
	assert.NotNil(t, k.lookup(keyID{"e", fmt.Sprint(maxKeys + 2)}))
}

func TestParseKey(t *testing.T) {
	good := publicPEM(&newECKey().PublicKey)
	_, err := parseKey(good)
	require.NoError(t, err)
	_, err = parseKey(append(bytes.Clone(good), "\n\n"...))
	assert.NoError(t, err, "trailing blank lines")
	_, err = parseKey([]byte(strings.Replace(string(good), "PUBLIC KEY", "CERTIFICATE", 2)))
	assert.Error(t, err)
}
