package signout_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// issueTokens makes n access tokens for n different users.
func issueTokens(srv *signouttest.Server, n int) []string {
	toks := make([]string, n)
	for i := range toks {
		toks[i] = srv.AccessToken(fmt.Sprintf("user%d", i))
	}
	return toks
}

// hammer signs out every token in toks from callers goroutines sharing c
// and counts the outcomes by sentinel; anything else fails the test.
func hammer(t *testing.T, c *signout.Client, toks []string, callers int) map[string]int {
	t.Helper()
	work := make(chan string)
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for tok := range work {
				err := c.SignOut(context.Background(), tok)
				key := "ok"
				if err != nil {
					var se *signout.Error
					if !errors.As(err, &se) || se.Kind == nil {
						t.Errorf("untyped error: %v", err)
						continue
					}
					key = se.Kind.Error()
					if strings.Contains(err.Error(), tok) {
						t.Errorf("token in error: %v", err)
					}
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		})
	}
	for _, tok := range toks {
		work <- tok
	}
	close(work)
	wg.Wait()
	return outcomes
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLoad signs out 2,000 times from 64 goroutines sharing one Client while
// the stand-in fails a share of requests, then checks that every result is
// nil or typed, that connections stayed near the number of callers, and
// that goroutines and heap came back to where they were.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: bounded, but not short")
	}
	const callers, users = 64, 1000
	srv := signouttest.NewServer()
	toks := issueTokens(srv, users)
	toks = append(toks, toks...) // each twice: the second sign-out meets a revoked token
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "InternalErrorException", Message: "boom", Every: 17})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded", Every: 29})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Status: 502, Body: "<html>bad gateway</html>", Every: 41})
	const resetEvery = 97
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Reset: true, Every: resetEvery})
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Delay: 20 * time.Millisecond, Every: 13}) // slow, then normal

	goroutines, heap := runtime.NumGoroutine(), heapAlloc()
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithTimeout(10*time.Second))
	require.NoError(t, err)

	start := time.Now()
	outcomes := hammer(t, c, toks, callers)
	elapsed := time.Since(start)

	total := 0
	for kind, n := range outcomes {
		total += n
		assert.Contains(t, []string{"ok", signout.ErrTokenRevoked.Error(), signout.ErrService.Error(),
			signout.ErrThrottled.Error(), signout.ErrNetwork.Error()}, kind, "an outcome the faults explain")
	}
	assert.Equal(t, len(toks), total)
	assert.LessOrEqual(t, outcomes["ok"], users, "only first sign-outs can succeed")
	assert.GreaterOrEqual(t, outcomes["ok"], users*9/10, "most first sign-outs succeed despite the faults")
	requests := srv.Requests("GlobalSignOut")
	resets := requests / resetEvery
	assert.LessOrEqual(t, srv.Connections(), callers+resets+2, "connections stay near the callers (resets force new ones)")
	t.Logf("%d sign-outs from %d goroutines in %v: %s; %d requests, %d connections (%d resets)",
		total, callers, elapsed.Round(time.Millisecond), summary(outcomes), requests, srv.Connections(), resets)

	c.CloseIdleConnections()
	srv.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines }, 10*time.Second, 10*time.Millisecond,
		"goroutines back to %d", goroutines)
	after := heapAlloc()
	assert.Less(t, after, heap+8<<20, "heap back near its baseline (%d -> %d bytes)", heap, after)
	t.Logf("goroutines %d -> %d; heap %d KiB -> %d KiB", goroutines, runtime.NumGoroutine(), heap>>10, after>>10)
}

func summary(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "signout: "), v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// TestAdaptiveRetryLowersThrottling runs the same burst against a
// rate-limited stand-in with the standard and the adaptive retry mode, and
// checks that the adaptive client is throttled less.
func TestAdaptiveRetryLowersThrottling(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: bounded, but not short")
	}
	const callers, calls = 64, 384
	run := func(mode string, opts ...signout.Option) (throttledShare, failedShare float64) {
		srv := signouttest.NewServer()
		defer srv.Close()
		toks := issueTokens(srv, calls)
		srv.RateLimit(150, 10)
		c, err := signout.New(append(opts, signout.WithEndpoint(srv.URL), signout.WithTimeout(15*time.Second))...)
		require.NoError(t, err)
		defer c.CloseIdleConnections()
		start := time.Now()
		outcomes := hammer(t, c, toks, callers)
		throttledShare = float64(srv.Throttled()) / float64(srv.Requests("GlobalSignOut"))
		failedShare = 1 - float64(outcomes["ok"])/float64(calls)
		t.Logf("%s: %s in %v; %d of %d requests throttled (%.0f%%); %.0f%% of calls failed",
			mode, summary(outcomes), time.Since(start).Round(time.Millisecond), srv.Throttled(),
			srv.Requests("GlobalSignOut"), 100*throttledShare, 100*failedShare)
		return throttledShare, failedShare
	}
	stdThrottled, stdFailed := run("standard")
	adaThrottled, adaFailed := run("adaptive", signout.WithAdaptiveRetry())
	assert.Less(t, adaThrottled, stdThrottled, "adaptive mode sends fewer requests into the limit")
	assert.LessOrEqual(t, adaFailed, stdFailed, "and fails no more calls")
}
