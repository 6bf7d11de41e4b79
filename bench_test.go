package signout_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// benchServer answers every GlobalSignOut with success, as cheaply as
// possible, so that the client side dominates what is measured.
type benchServer struct {
	*httptest.Server
	requests atomic.Int64
	conns    atomic.Int64
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	s := &benchServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "bench")
		w.Write([]byte("{}"))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	b.Cleanup(s.Close)
	return s
}

// benchToken is a real access token; the bench server does not check it.
func benchToken(b *testing.B) string {
	b.Helper()
	srv := signouttest.NewServer()
	defer srv.Close()
	return srv.SignIn("alice").AccessToken
}

func benchRawSDK(b *testing.B, url string) *cip.Client {
	b.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		b.Fatal(err)
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(url) })
}

// leanOptions turn off what SignOut does beyond the raw SDK: the local token
// check (the region is then fixed), the per-call timeout and the body timer.
var leanOptions = []signout.Option{
	signout.WithTokenChecks(false), signout.WithRegion("us-east-1"), signout.WithTimeout(0), signout.WithReadTimeout(0),
}

// signOutVariants are the library clients each SignOut benchmark measures.
var signOutVariants = []struct {
	name string
	opts []signout.Option
}{
	{"signout", nil},
	{"signout-lean", leanOptions},
}

func BenchmarkSignOut(b *testing.B) {
	srv := newBenchServer(b)
	tok := benchToken(b)
	ctx := context.Background()

	for _, v := range signOutVariants {
		b.Run(v.name, func(b *testing.B) {
			c, err := signout.New(append(v.opts, signout.WithEndpoint(srv.URL))...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.SignOut(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("raw-sdk", func(b *testing.B) {
		sdk := benchRawSDK(b, srv.URL)
		in := &cip.GlobalSignOutInput{AccessToken: aws.String(tok)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sdk.GlobalSignOut(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare-http", func(b *testing.B) {
		body := `{"AccessToken":"` + tok + `"}`
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GlobalSignOut")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkSignOutParallel64 shares one client between 64 goroutines and
// reports the connections the server saw.
func BenchmarkSignOutParallel64(b *testing.B) {
	tok := benchToken(b)
	ctx := context.Background()
	run := func(b *testing.B, call func() error, srv *benchServer) {
		b.SetParallelism(64 / max(1, runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(srv.conns.Load()), "conns")
	}
	for _, v := range signOutVariants {
		b.Run(v.name, func(b *testing.B) {
			srv := newBenchServer(b)
			c, err := signout.New(append(v.opts, signout.WithEndpoint(srv.URL))...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			run(b, func() error { return c.SignOut(ctx, tok) }, srv)
		})
	}
	b.Run("raw-sdk", func(b *testing.B) {
		srv := newBenchServer(b)
		sdk := benchRawSDK(b, srv.URL)
		in := &cip.GlobalSignOutInput{AccessToken: aws.String(tok)}
		run(b, func() error { _, err := sdk.GlobalSignOut(ctx, in); return err }, srv)
	})
}

// BenchmarkNew measures construction with no CA bundle in the environment;
// the with-ca-bundle case shows what parsing AWS_CA_BUNDLE (here the system
// bundle) adds, in both New and LoadDefaultConfig.
func BenchmarkNew(b *testing.B) {
	bundle := os.Getenv("AWS_CA_BUNDLE")
	b.Setenv("AWS_CA_BUNDLE", "")
	b.Run("signout", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := signout.New(); err != nil {
				b.Fatal(err)
			}
		}
	})
	loadDefault := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			_ = cip.NewFromConfig(cfg)
		}
	}
	b.Run("load-default-config", loadDefault)
	if bundle == "" {
		return
	}
	b.Run("signout-with-ca-bundle", func(b *testing.B) {
		b.Setenv("AWS_CA_BUNDLE", bundle)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := signout.New(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load-default-config-with-ca-bundle", func(b *testing.B) {
		b.Setenv("AWS_CA_BUNDLE", bundle)
		loadDefault(b)
	})
}

// BenchmarkLocalReject measures refusing a bad token; it must send nothing.
func BenchmarkLocalReject(b *testing.B) {
	srv := newBenchServer(b)
	c, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	srvTok := signouttest.NewServer()
	defer srvTok.Close()
	cases := map[string]string{
		"garbage":       "not-a-token",
		"expired":       srvTok.AccessToken("alice", signouttest.ExpiresIn(-time.Hour)),
		"missing-scope": srvTok.AccessToken("alice", signouttest.Scope("openid")),
	}
	for name, tok := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.SignOut(context.Background(), tok) == nil {
					b.Fatal("accepted a bad token")
				}
			}
			b.ReportMetric(float64(srv.requests.Load()), "requests")
		})
	}
}
