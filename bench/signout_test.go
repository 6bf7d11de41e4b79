package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// benchServer answers every request with an empty success, as cheaply as
// possible, so that the client side dominates what is measured; conns
// counts the connections it accepted.
func benchServer(b *testing.B) (url string, conns *atomic.Int64) {
	b.Helper()
	conns = new(atomic.Int64)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "bench")
		w.Write([]byte("{}"))
	}))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	b.Cleanup(ts.Close)
	return ts.URL, conns
}

// benchToken is a real access token; the bench server does not check it.
func benchToken(b *testing.B) string {
	b.Helper()
	srv := signouttest.NewServer()
	defer srv.Close()
	return srv.SignIn("alice").AccessToken
}

// rawSDK is the anchor: the SDK client an application would build itself.
func rawSDK(b *testing.B, url string) *cip.Client {
	b.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		b.Fatal(err)
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(url) })
}

// BenchmarkSignOut compares SignOut with the raw SDK's GlobalSignOut on one
// loopback server, for one caller and for 64 sharing a client; it reports
// the connections the server saw.
func BenchmarkSignOut(b *testing.B) {
	tok := benchToken(b)
	ctx := context.Background()
	in := &cip.GlobalSignOutInput{AccessToken: aws.String(tok)}
	clients := []struct {
		name string
		call func(b *testing.B, url string) func() error
	}{
		{"signout", func(b *testing.B, url string) func() error {
			c, err := signout.New(signout.WithEndpoint(url))
			if err != nil {
				b.Fatal(err)
			}
			return func() error { return c.SignOut(ctx, tok) }
		}},
		{"raw-sdk", func(b *testing.B, url string) func() error {
			sdk := rawSDK(b, url)
			return func() error { _, err := sdk.GlobalSignOut(ctx, in); return err }
		}},
	}
	for _, callers := range []int{1, 64} {
		for _, cl := range clients {
			b.Run(fmt.Sprintf("%s/callers=%d", cl.name, callers), func(b *testing.B) {
				url, conns := benchServer(b)
				call := cl.call(b, url)
				b.ReportAllocs()
				if callers == 1 {
					for b.Loop() {
						if err := call(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := call(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(conns.Load()), "conns")
			})
		}
	}
}

// BenchmarkSignOutPaired makes one SignOut and one raw SDK GlobalSignOut
// per iteration, each first in turn, on one loopback server, and reports
// each one's median time and the ratio of the medians. On a machine whose
// load moves, both sides see the same moments, where separate benchmark
// runs each see their own.
func BenchmarkSignOutPaired(b *testing.B) {
	tok := benchToken(b)
	ctx := context.Background()
	url, _ := benchServer(b)
	c, err := signout.New(signout.WithEndpoint(url))
	if err != nil {
		b.Fatal(err)
	}
	sdk := rawSDK(b, url)
	in := &cip.GlobalSignOutInput{AccessToken: aws.String(tok)}
	calls := []func() error{
		func() error { return c.SignOut(ctx, tok) },
		func() error { _, err := sdk.GlobalSignOut(ctx, in); return err },
	}
	samples := make([][]time.Duration, len(calls))
	for i := 0; b.Loop(); i++ {
		for k := range calls {
			j := (i + k) % len(calls)
			start := time.Now()
			err := calls[j]()
			samples[j] = append(samples[j], time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	med := make([]float64, len(calls))
	for j, s := range samples {
		slices.Sort(s)
		med[j] = float64(s[len(s)/2].Nanoseconds())
	}
	b.ReportMetric(med[0], "signout-median-ns")
	b.ReportMetric(med[1], "raw-sdk-median-ns")
	b.ReportMetric(med[0]/med[1], "signout/raw-sdk")
}
