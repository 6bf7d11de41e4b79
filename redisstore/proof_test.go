package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/internal/redistest"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// The proofs of issue 18 (faults_test.go, soak_test.go) run API processes
// as an application would: each re-executes this test binary with
// fleetChildEnv=apiChild, and serves
//
//   - GET /api, verified with a Store on the shared redis-server;
//   - POST /logout and /logout-all, signouthttp's handler (ThisSession and
//     AllSessions, tokens in the access_token and refresh_token cookies,
//     WithTimeout(1s)) on a signout.Client with WithTimeout(1s) that
//     records in the Store, queues in its outbox (the same key in every
//     process), and signs out with WithAdmin where a token lacks the
//     admin scope;
//   - GET /-/sync, /-/stats (the Client's OutboxStats) and /-/owner (the
//     name under which its Client leases outbox entries).
const apiChild = "api"

// The API processes' settings, shared by every proof.
const (
	accessCookie  = "access_token"
	refreshCookie = "refresh_token"
	callTimeout   = time.Second // the Client's and the handler's WithTimeout
)

// ownerSpy is the outbox as an API process gives it to its Client: the
// Store, remembering the owner its Client claims entries as.
type ownerSpy struct {
	*Store
	owner atomic.Pointer[string]
}

func (o *ownerSpy) Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	o.owner.Store(&owner)
	return o.Store.Claim(ctx, owner, lease, max)
}

// apiServer is an API process's main. It prints its address, then serves
// until its standard input closes.
func apiServer() int {
	fail := func(what string, err error) int {
		fmt.Fprintf(os.Stderr, "api server: %s: %v\n", what, err)
		return 1
	}
	endpoint, pool, clientID := os.Getenv("API_COGNITO"), os.Getenv("API_POOL"), os.Getenv("API_CLIENT")
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("API_REDIS"), DialTimeout: time.Second, ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	store, err := New(ctx, rdb)
	cancel()
	if err != nil {
		return fail("redisstore.New", err)
	}
	defer store.Close()
	v, err := verify.New(verify.WithPool(pool, clientID), verify.WithEndpoint(endpoint), verify.WithRevocationStore(store))
	if err != nil {
		return fail("verify.New", err)
	}
	key, err := hex.DecodeString(os.Getenv("API_OUTBOX_KEY"))
	if err != nil {
		return fail("outbox key", err)
	}
	rate, err := strconv.ParseFloat(os.Getenv("API_OUTBOX_RATE"), 64)
	if err != nil {
		return fail("outbox rate", err)
	}
	adm, err := admin.New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIGNOUTTEST", "fake", "")})
	if err != nil {
		return fail("admin.New", err)
	}
	box := &ownerSpy{Store: store}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	c, err := signout.New(signout.WithEndpoint(endpoint), signout.WithAppClient(clientID, os.Getenv("API_SECRET")),
		signout.WithPool(pool), signout.WithRevocationStore(box),
		signout.WithOutboxKey(key), signout.WithOutboxRate("UserUpdate", rate), signout.WithOutboxRate("UserToken", rate),
		signout.WithTimeout(callTimeout), signout.WithAdmin(adm),
		signout.WithLogger(logger))
	if err != nil {
		return fail("signout.New", err)
	}
	defer c.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /api", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})))
	for path, reach := range map[string]signout.Reach{"/logout": signout.ThisSession, "/logout-all": signout.AllSessions} {
		h, err := signouthttp.New(c, signouthttp.WithTokenCookies(accessCookie, refreshCookie),
			signouthttp.WithReach(reach), signouthttp.WithTimeout(callTimeout),
			signouthttp.WithOnError(func(r *http.Request, ended signout.Reach, err error) {
				logger.Info("logout not ended as asked", "path", r.URL.Path, "ended", ended.String(), "error", err.Error())
			}))
		if err != nil {
			return fail("signouthttp.New", err)
		}
		mux.Handle("POST "+path, h)
	}
	mux.HandleFunc("GET /-/sync", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		if err := store.Sync(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("GET /-/stats", func(w http.ResponseWriter, r *http.Request) {
		s, err := c.OutboxStats(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("GET /-/owner", func(w http.ResponseWriter, r *http.Request) {
		if p := box.owner.Load(); p != nil {
			w.Write([]byte(*p))
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("listen", err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	fmt.Println(l.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

// apiFleet is the proofs' world: a Cognito stand-in, a redis-server with
// an AOF, and API processes sharing them.
type apiFleet struct {
	*fleet
	cognito *signouttest.Server
	redis   *redistest.Server
	env     []string
	logs    *logSink
	key     []byte     // the outbox key the API processes share
	mu      sync.Mutex // held by the test's goroutine to change fleet.servers
}

// fleetConfig sizes an apiFleet.
type fleetConfig struct {
	processes int
	rate      float64 // each process's outbox pace, per quota category
	quotas    float64 // the stand-in's quotas (signouttest.Quotas); 0 for none
}

func startFleet(t *testing.T, cfg fleetConfig) *apiFleet {
	t.Helper()
	opts := []signouttest.ServerOption{signouttest.Confidential()}
	if cfg.quotas > 0 {
		opts = append(opts, signouttest.Quotas(cfg.quotas))
	}
	cognito := signouttest.NewServer(opts...)
	t.Cleanup(cognito.Close)
	rds := redistest.Start(t)
	if cfg.rate == 0 {
		cfg.rate = 20 / float64(cfg.processes) // within the UserUpdate quota of 25 together
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	t.Cleanup(tr.CloseIdleConnections)
	f := &apiFleet{
		fleet:   &fleet{t: t, hc: &http.Client{Transport: tr, Timeout: 20 * time.Second}},
		cognito: cognito, redis: rds, logs: &logSink{}, key: key,
		env: []string{fleetChildEnv + "=" + apiChild, "API_REDIS=" + rds.Addr, "API_COGNITO=" + cognito.URL,
			"API_POOL=" + cognito.UserPoolID, "API_CLIENT=" + cognito.ClientID, "API_SECRET=" + cognito.ClientSecret,
			"API_OUTBOX_KEY=" + hex.EncodeToString(key), "API_OUTBOX_RATE=" + strconv.FormatFloat(cfg.rate, 'f', -1, 64)},
	}
	for range cfg.processes {
		f.servers = append(f.servers, f.startAPI())
	}
	return f
}

// startAPI starts an API process and has it fetch the JWKS, for its
// verifier and for its Client, before it is used.
func (f *apiFleet) startAPI() *apiProcess {
	f.t.Helper()
	p := startAPI(f.t, f.env, f.logs)
	warm := f.cognito.SignIn("warm-up")
	require.Equal(f.t, http.StatusOK, f.get(p, "/api", warm.AccessToken))
	// A fault the soak plays while it replaces a process (Redis down,
	// Cognito's region down) makes the logout answer 503; the page tries
	// again, as the answer's Retry-After asks.
	for deadline := time.Now().Add(time.Minute); ; <-time.After(200 * time.Millisecond) {
		status, _ := f.post(p, "/logout", warm.AccessToken, warm.RefreshToken)
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			require.Contains(f.t, []int{http.StatusNoContent, http.StatusAccepted}, status, "warm-up logout")
			return p
		}
	}
}

// replace kills API process i with SIGKILL and starts another in its place.
func (f *apiFleet) replace(i int) {
	f.t.Helper()
	f.servers[i].kill()
	p := f.startAPI()
	f.mu.Lock()
	f.servers[i] = p
	f.mu.Unlock()
}

// urls returns the API processes' URLs, for goroutines other than the
// test's, which alone changes f.servers, holding mu.
func (f *apiFleet) urls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.servers))
	for i, p := range f.servers {
		out[i] = p.url
	}
	return out
}

func (f *apiFleet) get(p *apiProcess, path, bearer string) int {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.url+path, nil)
	require.NoError(f.t, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// post sends a browser's logout to p at path; see postLogout.
func (f *apiFleet) post(p *apiProcess, path string, tokens ...string) (int, time.Time) {
	return postLogout(f.hc, p.url+path, tokens...)
}

// postLogout sends a browser's logout to url, its cookies holding the
// tokens given in pairs (access, refresh, access, refresh, ...) in order,
// and returns the answer's status (0 when none came, the process having
// died) and when it came. It is safe to call from any goroutine.
func postLogout(hc *http.Client, url string, tokens ...string) (int, time.Time) {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return 0, time.Now()
	}
	for i, tok := range tokens {
		name := accessCookie
		if i%2 == 1 {
			name = refreshCookie
		}
		if tok != "" {
			req.AddCookie(&http.Cookie{Name: name, Value: tok})
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, time.Now()
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Now()
}

// everywhere returns whether every API process answers token with want.
func (f *apiFleet) everywhere(token string, want int) bool {
	f.t.Helper()
	for _, p := range f.servers {
		if f.get(p, "/api", token) != want {
			return false
		}
	}
	return true
}

// endedAtCognito waits until the stand-in accepts none of tokens, and
// returns how long after since that was; it fails the test after a
// minute.
func (f *apiFleet) endedAtCognito(since time.Time, tokens ...string) time.Duration {
	f.t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(time.Minute)
	for {
		accepted := slices.ContainsFunc(tokens, f.cognito.Accepts)
		if !accepted {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("Cognito still accepts the session a minute later")
		}
		<-tick.C
	}
}

// stats returns API process i's OutboxStats.
func (f *apiFleet) stats(i int) signout.OutboxStats {
	f.t.Helper()
	resp, err := f.hc.Get(f.servers[i].url + "/-/stats")
	require.NoError(f.t, err)
	defer resp.Body.Close()
	require.Equal(f.t, http.StatusOK, resp.StatusCode)
	var s signout.OutboxStats
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

// drained waits until the outbox is empty, and returns the running
// processes' counts summed (see totals).
func (f *apiFleet) drained(within time.Duration) signout.OutboxStats {
	f.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(within)
	for f.stats(0).Pending > 0 {
		if time.Now().After(deadline) {
			f.t.Fatalf("the outbox still holds %d entries after %v", f.stats(0).Pending, within)
		}
		<-tick.C
	}
	return f.totals()
}

// totals returns the running processes' outbox counts summed: what each
// queued, completed, retried and gave up on since it started.
func (f *apiFleet) totals() signout.OutboxStats {
	f.t.Helper()
	var sum signout.OutboxStats
	for i := range f.servers {
		s := f.stats(i)
		sum.Queued += s.Queued
		sum.Completed += s.Completed
		sum.Retried += s.Retried
		sum.GivenUp += s.GivenUp
	}
	return sum
}

// since returns the counts of s beyond those of before.
func since(s, before signout.OutboxStats) signout.OutboxStats {
	return signout.OutboxStats{Queued: s.Queued - before.Queued, Completed: s.Completed - before.Completed,
		Retried: s.Retried - before.Retried, GivenUp: s.GivenUp - before.GivenUp}
}

// owner returns the name API process i's Client leases entries under.
func (f *apiFleet) owner(i int) string {
	f.t.Helper()
	resp, err := f.hc.Get(f.servers[i].url + "/-/owner")
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return string(b)
}

// logSink keeps what the API processes wrote to their standard error,
// and echoes what is neither the Client's log nor go-redis's: a crash, a
// race report.
type logSink struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := string(p); !strings.Contains(s, `"level":`) && !strings.HasPrefix(s, "redis: ") {
		os.Stderr.Write(p)
	}
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// durations summarises measured durations.
type durations []time.Duration

func (d durations) String() string {
	if len(d) == 0 {
		return "none"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("p50 %v, p99 %v, max %v (%d)", pct(0.5), pct(0.99), s[len(s)-1].Round(time.Millisecond), len(s))
}
