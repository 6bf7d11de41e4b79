package redisstore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redistest"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// The fleet test re-executes this test binary as API servers: TestMain
// sees fleetChildEnv and serves instead of testing.
const (
	fleetChildEnv = "SIGNOUT_FLEET_CHILD"
	fleetSizeEnv  = "SIGNOUT_FLEET_SIGNOUTS"
	soakSizeEnv   = "SIGNOUT_SOAK_LOGOUTS"
)

// fleetServer is a child's main: an API whose /api verifies tokens with
// the redis store, and /-/sync waits for the store's view. It prints its
// address, then serves until its standard input closes.
func fleetServer() int {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("FLEET_REDIS"), DialTimeout: time.Second, ContextTimeoutEnabled: true})
	defer rdb.Close()
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	store, err := New(startCtx, rdb)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet server: redisstore.New:", err)
		return 1
	}
	defer store.Close()
	v, err := verify.New(verify.WithPool(os.Getenv("FLEET_ISSUER"), os.Getenv("FLEET_CLIENT")),
		verify.WithEndpoint(os.Getenv("FLEET_ENDPOINT")), verify.WithRevocationStore(store))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet server: verify.New:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.Handle("/api", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})))
	mux.HandleFunc("/-/sync", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		if err := store.Sync(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet server: listen:", err)
		return 1
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	fmt.Println(l.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

// apiProcess is a running fleet server.
type apiProcess struct {
	url    string
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan struct{}
}

func startAPI(t *testing.T, env []string, stderr io.Writer) *apiProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), fleetChildEnv+"=1"), env...) // env may name another child
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &apiProcess{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	require.NoError(t, err, "the API server did not start")
	p.url = "http://" + strings.TrimSpace(addr)
	return p
}

func (p *apiProcess) stop() {
	p.stdin.Close()
	<-p.exited
}

func (p *apiProcess) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// fleet is the test's view of the API servers.
type fleet struct {
	t       *testing.T
	hc      *http.Client
	servers []*apiProcess
}

func (f *fleet) status(server int, token string) int {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.servers[server].url+"/api", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fleet) requireEverywhere(token string, want int, what string) {
	f.t.Helper()
	for i := range f.servers {
		require.Equal(f.t, want, f.status(i, token), "server %d: %s", i, what)
	}
}

func (f *fleet) syncAll() {
	f.t.Helper()
	for i, s := range f.servers {
		resp, err := f.hc.Get(s.url + "/-/sync")
		require.NoError(f.t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(f.t, http.StatusOK, resp.StatusCode, "server %d sync: %s", i, body)
	}
}

// refusedWithin polls every server with token until each refuses it, and
// returns how long after since each took; it fails after 10 seconds.
func (f *fleet) refusedWithin(token string, since time.Time) []time.Duration {
	f.t.Helper()
	lat := make([]time.Duration, len(f.servers))
	var wg sync.WaitGroup
	errs := make(chan error, len(f.servers))
	for i := range f.servers {
		wg.Go(func() {
			deadline := since.Add(10 * time.Second)
			for {
				req, _ := http.NewRequest(http.MethodGet, f.servers[i].url+"/api", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := f.hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					lat[i] = time.Since(since)
					return
				}
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("server %d answered %d", i, resp.StatusCode)
					return
				}
				if time.Now().After(deadline) {
					errs <- fmt.Errorf("server %d still accepts a revoked token after 10s", i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(f.t, err)
	}
	return lat
}

// syncBuffer collects the servers' standard error.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	os.Stderr.Write(p)
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type revokedToken struct {
	token   string
	session bool // ended by an origin_jti record, not the user's
}

// recordingStore passes the library's records on to the Store, keeping
// the last one and when the library wrote it.
type recordingStore struct {
	*Store
	last     signout.Revocation
	calledAt time.Time
}

func (r *recordingStore) Revoke(ctx context.Context, rev signout.Revocation) error {
	r.last, r.calledAt = rev, time.Now()
	return r.Store.Revoke(ctx, rev)
}

// TestFleet is the proof of issue 12: four API server processes share one
// redis-server, this process signs users out as an application does (a
// signout.Client with WithRevocationStore, against the Cognito stand-in:
// SignOut for every session, Logout with ThisSession for one), and every
// server refuses each signed-out token within a bound, keeps accepting
// other users' tokens, the user's other sessions and next sign-in, across
// a Redis crash and an API server crash. A long proof: 1,000 sign-outs
// with SIGNOUT_LONG=1, 100 with SIGNOUT_LONG=short, or, with either,
// SIGNOUT_FLEET_SIGNOUTS of them; the p99 of propagation is logged, and
// bounded by a second.
func TestFleet(t *testing.T) {
	testenv.LongProof(t)
	t.Parallel() // it waits on its API processes; the short run's bound, 1 s, allows for the tests beside it
	n := testenv.Scale(100, 1000)
	if s := os.Getenv(fleetSizeEnv); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	rds := redistest.Start(t)
	cognito := signouttest.NewServer()
	t.Cleanup(cognito.Close)
	env := []string{"FLEET_REDIS=" + rds.Addr, "FLEET_ISSUER=" + cognito.Issuer, "FLEET_CLIENT=" + cognito.ClientID, "FLEET_ENDPOINT=" + cognito.URL}

	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	f := &fleet{t: t, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	logs := &syncBuffer{}
	for range 4 {
		f.servers = append(f.servers, startAPI(t, env, logs))
	}

	// The fifth process: this one, signing users out through the library,
	// which writes the records.
	store := &recordingStore{Store: newStore(t, rds)}
	signer, err := signout.New(signout.WithEndpoint(cognito.URL), signout.WithAppClient(cognito.ClientID, ""),
		signout.WithPool(cognito.UserPoolID), signout.WithRevocationStore(store))
	require.NoError(t, err)
	t.Cleanup(func() { signer.Close() }) // before the store's
	claimsOf, err := verify.New(verify.WithPool(cognito.Issuer, cognito.ClientID), verify.WithEndpoint(cognito.URL))
	require.NoError(t, err)
	ctx := context.Background()
	claims := func(token string) *verify.Claims {
		c, err := claimsOf.Verify(ctx, token)
		require.NoError(t, err)
		return c
	}

	control := cognito.SignIn("control-user").AccessToken
	f.requireEverywhere(control, http.StatusOK, "a user nobody signs out")

	var (
		latencies   []time.Duration // from the library's write of the record
		endToEnd    []time.Duration // from the start of the sign-out call
		revoked     []revokedToken
		pending     []string // users signed out whose next sign-in is still to be checked
		pendingAt   []int64  // the second of each one's sign-out
		sameSecond  int      // sign-ins in the sign-out's second, refused as designed
		nextSignIns int
	)
	checkNextSignIns := func(final bool) {
		now := time.Now().Unix()
		keep, keepAt := pending[:0], pendingAt[:0]
		for i, user := range pending {
			if pendingAt[i] >= now {
				if final {
					// Wait for the clock to leave the sign-out's second:
					// auth_time has whole seconds.
					<-time.After(time.Until(time.Unix(pendingAt[i]+1, 0)))
				} else {
					keep, keepAt = append(keep, user), append(keepAt, pendingAt[i])
					continue
				}
			}
			f.requireEverywhere(cognito.SignIn(user).AccessToken, http.StatusOK, "a sign-in after the sign-out")
			nextSignIns++
		}
		pending, pendingAt = keep, keepAt
	}
	everyRevokedRefused := func(what string) {
		for _, r := range revoked {
			for s := range f.servers {
				require.Equal(t, http.StatusUnauthorized, f.status(s, r.token), "server %d, %s", s, what)
			}
		}
	}

	for i := range n {
		user := fmt.Sprintf("user-%04d", i)
		session := i%4 == 0
		tokens := cognito.SignIn(user)
		var other string
		if session {
			other = cognito.SignIn(user).AccessToken
		}
		// Each server has verified, and cached, the token before it ends.
		f.requireEverywhere(tokens.AccessToken, http.StatusOK, "a fresh sign-in")

		switch i {
		case n * 3 / 10:
			// Redis crashes and comes back; the servers keep refusing what
			// was revoked while it is down, and reconnect.
			rds.Kill()
			everyRevokedRefused("while Redis is down")
			rds.Restart()
			f.syncAll()
			everyRevokedRefused("after Redis restarted")
		case n * 6 / 10:
			// An API server crashes; its replacement starts with every
			// live revocation.
			f.servers[1].kill()
			f.servers[1] = startAPI(t, env, logs)
			everyRevokedRefused("on a server started mid-run")
		}

		start := time.Now()
		if session {
			reach, err := signer.Logout(ctx, tokens.AccessToken, tokens.RefreshToken, signout.ThisSession)
			require.NoError(t, err)
			require.Equal(t, signout.ThisSession, reach)
		} else {
			require.NoError(t, signer.SignOut(ctx, tokens.AccessToken))
		}
		rec := store.last
		require.Equal(t, session, rec.OriginJTI != "", "the library recorded the session, or every session, of %s", user)
		written := store.calledAt.Sub(start)
		for _, d := range f.refusedWithin(tokens.AccessToken, start) {
			endToEnd = append(endToEnd, d)
			latencies = append(latencies, max(d-written, 0))
		}
		revoked = append(revoked, revokedToken{token: tokens.AccessToken, session: session})

		if session {
			f.requireEverywhere(other, http.StatusOK, "the user's other session")
		} else {
			// A sign-in in the same second as the sign-out is refused: its
			// auth_time cannot be told from a session the sign-out ended.
			again := cognito.SignIn(user).AccessToken
			if claims(again).AuthTime.Unix() == rec.At.Unix() {
				f.requireEverywhere(again, http.StatusUnauthorized, "a sign-in in the sign-out's second")
				sameSecond++
			}
			pending, pendingAt = append(pending, user), append(pendingAt, rec.At.Unix())
		}
		if i%50 == 0 {
			f.requireEverywhere(control, http.StatusOK, "a user nobody signs out")
			checkNextSignIns(false)
		}
	}
	checkNextSignIns(true)
	everyRevokedRefused("at the end")
	f.requireEverywhere(control, http.StatusOK, "a user nobody signs out")

	// Canary: no server wrote a token to its log.
	for _, r := range revoked {
		require.NotContains(t, logs.String(), r.token)
	}

	slices.Sort(latencies)
	slices.Sort(endToEnd)
	pct := func(d []time.Duration, p float64) time.Duration { return d[int(p*float64(len(d)-1))] }
	t.Logf("fleet: %d sign-outs (%d of one session), 4 API servers, %d samples: refused everywhere after the library "+
		"wrote the record in p50 %v, p99 %v, max %v; after the start of the sign-out call (Cognito stand-in included) "+
		"in p50 %v, p99 %v, max %v; %d next sign-ins accepted, %d same-second sign-ins refused",
		n, (n+3)/4, len(latencies), pct(latencies, 0.50), pct(latencies, 0.99), latencies[len(latencies)-1],
		pct(endToEnd, 0.50), pct(endToEnd, 0.99), endToEnd[len(endToEnd)-1], nextSignIns, sameSecond)
	// The goal, a p99 within 100 ms, is logged above, not asserted: a busy
	// machine stretches the worst (112 ms seen at a load average of 12 on 2
	// cores). A second bounds it to catch propagation that fails and falls
	// back on the view's reload.
	bound := time.Second
	assert.LessOrEqual(t, pct(latencies, 0.99), bound, "p99 of propagation")
}
