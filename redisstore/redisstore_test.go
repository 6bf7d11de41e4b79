package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redistest"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func TestMain(m *testing.M) {
	switch os.Getenv(fleetChildEnv) {
	case "1":
		os.Exit(fleetServer())
	case apiChild:
		os.Exit(apiServer())
	}
	goleak.VerifyTestMain(testenv.Main(m))
}

var (
	_ verify.RevocationStore  = (*Store)(nil)
	_ signout.RevocationStore = (*Store)(nil)
)

const pool = "us-east-1_AAAAAAAAA"

// before is an auth_time every record in these tests covers.
var before = time.Now().Add(-time.Hour)

func client(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func newStore(t *testing.T, srv *redistest.Server, opts ...Option) *Store {
	t.Helper()
	return newStoreClock(t, srv, time.Now, opts...)
}

func newStoreClock(t *testing.T, srv *redistest.Server, now func() time.Time, opts ...Option) *Store {
	t.Helper()
	return newStoreOn(t, client(t, srv), now, opts...)
}

// newStoreOn starts a Store on rdb, for tests that give the client hooks.
func newStoreOn(t *testing.T, rdb *redis.Client, now func() time.Time, opts ...Option) *Store {
	t.Helper()
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	require.NoError(t, o.err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := start(ctx, rdb, o, now)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func syncStore(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Sync(ctx))
}

func revoked(t *testing.T, s *Store, sub, ojti string) bool {
	t.Helper()
	ok, err := s.Revoked(pool, sub, ojti, before)
	require.NoError(t, err)
	return ok
}

func TestRevokeReachesOtherStores(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv), newStore(t, srv)
	ctx := context.Background()

	require.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))
	assert.True(t, revoked(t, a, "alice", ""), "the writer's own view has it at once")
	require.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, OriginJTI: "session-1", At: time.Now()}))
	syncStore(t, b)
	assert.True(t, revoked(t, b, "alice", ""))
	assert.True(t, revoked(t, b, "bob", "session-1"))
	assert.False(t, revoked(t, b, "bob", "session-2"))
	ok, err := b.Revoked(pool, "alice", "", time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, ok, "a sign-in after the sign-out is accepted")
}

func TestNewLoadsEveryLiveRecord(t *testing.T) {
	t.Parallel() // it waits on Redis
	srv := redistest.Start(t)
	a := newStore(t, srv)
	ctx := context.Background()
	const n, writers = 2500, 8 // more than one SCAN page
	// Writers in parallel, so that one fsync of redis-server's (appendfsync
	// always) covers several writes.
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				assert.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: fmt.Sprint("user-", i), At: time.Now()}))
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed(), "every record written")
	require.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, OriginJTI: "session-1", At: time.Now()}))

	c := newStore(t, srv) // a process started later
	for i := range n {
		require.True(t, revoked(t, c, fmt.Sprint("user-", i), ""), "user-%d", i)
	}
	assert.True(t, revoked(t, c, "bob", "session-1"))
	assert.False(t, revoked(t, c, "bob", "session-2"))
}

func TestRecordsExpireWithRedisTTL(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	rdb := client(t, srv)
	ctx := context.Background()

	at := time.Now()
	expires := at.Add(90 * time.Minute).Add(123 * time.Millisecond)
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: at, Expires: expires}))
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "bob", At: at})) // default lifetime
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "carol", At: at.Add(-2 * time.Hour), Expires: at.Add(-time.Hour)}))

	keys, err := rdb.Keys(ctx, defaultPrefix+"rev:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2, "the expired record is not written")
	var got []int64
	for _, k := range keys {
		ms, err := rdb.Do(ctx, "PEXPIRETIME", k).Int64()
		require.NoError(t, err)
		got = append(got, ms)
	}
	assert.ElementsMatch(t, []int64{expires.UnixMilli(), at.Add(24 * time.Hour).UnixMilli()}, got)
}

func TestRevocationsSurviveRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	a := newStore(t, srv)
	ctx := context.Background()
	require.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))

	srv.Kill()
	srv.Restart()

	c := newStore(t, srv) // a process started after the restart
	assert.True(t, revoked(t, c, "alice", ""))
	syncStore(t, a) // the running one reconnects
	assert.True(t, revoked(t, a, "alice", ""))
	require.NoError(t, a.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "bob", At: time.Now()}))
	syncStore(t, c)
	assert.True(t, revoked(t, c, "bob", ""), "publishing works after the restart")
}

func TestFailsClosedWhenRedisIsDown(t *testing.T) {
	t.Parallel() // it waits on Redis going down
	srv := redistest.Start(t)
	clk := testenv.NewClock(time.Now())
	s := newStoreClock(t, srv, clk.Now, WithStalenessBound(time.Second))
	ctx := context.Background()
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))
	syncStore(t, s)

	srv.Kill()
	clk.Advance(900 * time.Millisecond)
	assert.False(t, revoked(t, s, "bob", ""), "within the bound the view is trusted")

	clk.Advance(200 * time.Millisecond)
	ok, err := s.Revoked(pool, "bob", "", before)
	assert.False(t, ok)
	require.ErrorIs(t, err, signout.ErrNetwork)
	assert.NotErrorIs(t, err, signout.ErrNotAuthorized)
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	assert.Contains(t, se.Message, "failing closed")
	assert.True(t, revoked(t, s, "alice", ""), "a token known revoked is still refused as revoked")

	err = s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "carol", At: time.Now()})
	require.ErrorIs(t, err, signout.ErrNetwork, "Redis did not take the record")
	assert.True(t, revoked(t, s, "carol", ""), "but this process refuses carol's tokens")

	srv.Restart()
	syncStore(t, s)
	assert.False(t, revoked(t, s, "bob", ""), "confirmed again")
	assert.True(t, revoked(t, s, "alice", ""))
}

func TestFailOpen(t *testing.T) {
	srv := redistest.Start(t)
	clk := testenv.NewClock(time.Now())
	s := newStoreClock(t, srv, clk.Now, WithStalenessBound(time.Second), WithFailOpen())
	require.NoError(t, s.Revoke(context.Background(), signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))
	srv.Kill()
	clk.Advance(time.Hour)
	assert.False(t, revoked(t, s, "bob", ""))
	assert.True(t, revoked(t, s, "alice", ""))
}

// hooks is a go-redis hook for a Store's client: it fails SCAN, and so
// the Store's reloads, while failScans is set, and reports each failure on
// scanFailed; and it reports the next connection dialled on the channel
// nextDial returns.
type hooks struct {
	failScans  atomic.Bool
	scanFailed chan struct{}

	mu     sync.Mutex
	dialed chan struct{}
}

func newHooks() *hooks { return &hooks{scanFailed: make(chan struct{}, 1)} }

// nextDial returns a channel closed when the client next dials Redis.
func (h *hooks) nextDial() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dialed = make(chan struct{})
	return h.dialed
}

func (h *hooks) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.mu.Lock()
		if h.dialed != nil {
			close(h.dialed)
			h.dialed = nil
		}
		h.mu.Unlock()
		return next(ctx, network, addr)
	}
}

func (h *hooks) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "scan" && h.failScans.Load() {
			err := errors.New("scan refused by the test")
			cmd.SetErr(err)
			select {
			case h.scanFailed <- struct{}{}:
			default:
			}
			return err
		}
		return next(ctx, cmd)
	}
}

func (h *hooks) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// within waits for ch, failing the test after a bound far above what
// the event takes.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
}

// killSubscriptions closes every pub/sub connection on the server, as a
// network fault or a failover would.
func killSubscriptions(t *testing.T, rdb *redis.Client) {
	t.Helper()
	n, err := rdb.ClientKillByFilter(context.Background(), "TYPE", "pubsub").Result()
	require.NoError(t, err)
	require.Positive(t, n, "a subscription was killed")
}

// TestReconnectReloadsEveryRecord: a record that reached Redis but not
// this store's subscription (written while it was reconnecting) is in the
// view once the store is synced after the reconnection.
func TestReconnectReloadsEveryRecord(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	rdb := client(t, srv)
	ctx := context.Background()
	syncStore(t, s)

	payload, err := json.Marshal(record{Pool: pool, Subject: "alice", At: time.Now(), Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, rdb.Set(ctx, defaultPrefix+"rev:missed", payload, time.Hour).Err(), "written, never published")
	require.False(t, revoked(t, s, "alice", ""))

	killSubscriptions(t, rdb)
	syncStore(t, s)
	assert.True(t, revoked(t, s, "alice", ""), "the reload after the reconnection found the record")
}

// TestPongWhileUnsyncedIsNotFresh: after a reconnection, until the
// reload succeeds, an answered PING does not confirm the view: the view
// may miss records written while the subscription was away.
func TestPongWhileUnsyncedIsNotFresh(t *testing.T) {
	t.Parallel() // it waits on pings
	srv := redistest.Start(t)
	h := newHooks()
	rdb := client(t, srv)
	rdb.AddHook(h)
	clk := testenv.NewClock(time.Now())
	s := newStoreOn(t, rdb, clk.Now, WithStalenessBound(time.Second))
	syncStore(t, s)

	h.failScans.Store(true)
	killSubscriptions(t, client(t, srv))
	within(t, h.scanFailed, "failed reload after the reconnection")

	// The view is not synced. A PING on the new subscription is answered.
	clk.Advance(2 * time.Second)
	s.mu.Lock()
	ps := s.ps
	s.mu.Unlock()
	require.NoError(t, ps.Ping(context.Background(), strconv.FormatInt(clk.Now().UnixNano(), 10)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.ErrorIs(t, s.Sync(ctx), signout.ErrTimeout, "the PONG did not confirm a view whose reload failed")
	_, err := s.Revoked(pool, "bob", "", before)
	require.ErrorIs(t, err, signout.ErrNetwork, "the view is still stale")

	h.failScans.Store(false)
	syncStore(t, s)
	assert.False(t, revoked(t, s, "bob", ""), "confirmed once the reload succeeds")
}

// TestSilentRedisResubscribes: a subscription that stops answering (Redis
// hung, packets dropped) is replaced by a new one once the view is older
// than the bound; Sync honours its context meanwhile.
func TestSilentRedisResubscribes(t *testing.T) {
	srv := redistest.Start(t)
	h := newHooks()
	// A long read timeout: the new subscription's handshake waits for the
	// hung server all along.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: time.Second, ReadTimeout: time.Minute, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(h)
	clk := testenv.NewClock(time.Now())
	s := newStoreOn(t, rdb, clk.Now, WithStalenessBound(time.Second))
	syncStore(t, s)
	require.Equal(t, uint32(1), rdb.PoolStats().PubSubStats.Created)

	dialed := h.nextDial()
	srv.Freeze()
	t.Cleanup(srv.Thaw) // before the store's Close, should the test fail
	clk.Advance(2 * time.Second)
	within(t, dialed, "new connection after the silence")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	synced := make(chan error, 1)
	go func() { synced <- s.Sync(ctx) }()
	select {
	case err := <-synced:
		require.ErrorIs(t, err, signout.ErrTimeout)
	case <-time.After(10 * time.Second):
		t.Fatal("Sync did not return at its context's end while the subscription was being replaced")
	}

	srv.Thaw()
	syncStore(t, s)
	assert.False(t, revoked(t, s, "bob", ""), "confirmed through the new subscription")
	stats := rdb.PoolStats().PubSubStats
	assert.Equal(t, uint32(2), stats.Created, "a second subscription was made")
	assert.Equal(t, uint32(1), stats.Active, "and the silent one closed")
}

func TestNewFailsWhenRedisIsUnreachable(t *testing.T) {
	srv := redistest.Start(t)
	srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s, err := New(ctx, client(t, srv))
	assert.Nil(t, s)
	require.ErrorIs(t, err, signout.ErrTimeout)
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	// The Message says why when the store had dialled before the deadline;
	// whether it had is a matter of scheduling, so only the Kind is asserted.
	assert.Equal(t, signout.ErrTimeout, se.Kind)
	assert.Equal(t, "Sync", se.Op)
}

func TestCloseStopsEverything(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv)
	require.NoError(t, rdb.Ping(context.Background()).Err()) // the client's own goroutines start
	clientOnly := goleak.IgnoreCurrent()
	s, err := New(context.Background(), rdb)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), rdb.PoolStats().PubSubStats.Active)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close is harmless")
	assert.Zero(t, rdb.PoolStats().PubSubStats.Active)
	goleak.VerifyNone(t, clientOnly)
}

func TestRevokeRefusesIncompleteRecords(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	rdb := client(t, srv)
	ctx := context.Background()
	err := s.Revoke(ctx, signout.Revocation{Subject: "alice", At: time.Now()})
	require.ErrorIs(t, err, signout.ErrInvalidParameter)
	n, err := rdb.DBSize(ctx).Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestForeignMessagesAreIgnored(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	rdb := client(t, srv)
	ctx := context.Background()
	for _, junk := range []string{"", "not json", `{"pool":""}`, `{"pool":"x","at":"yesterday"}`} {
		require.NoError(t, rdb.Publish(ctx, defaultPrefix+"revocations", junk).Err())
		require.NoError(t, rdb.Set(ctx, defaultPrefix+"rev:junk"+junk, junk, time.Hour).Err())
	}
	require.NoError(t, newStore(t, srv).Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))
	syncStore(t, s)
	assert.True(t, revoked(t, s, "alice", ""))
	assert.False(t, revoked(t, s, "x", ""))
	newStore(t, srv) // loads the junk keys without failing
}

func TestPrefixSeparatesStores(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv, WithPrefix("app-a:")), newStore(t, srv, WithPrefix("app-b:"))
	require.NoError(t, a.Revoke(context.Background(), signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()}))
	syncStore(t, b)
	assert.False(t, revoked(t, b, "alice", ""))
}

func TestNewRefusesInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		op   string
	}{
		{"empty prefix", []Option{WithPrefix("")}, "WithPrefix"},
		{"tiny bound", []Option{WithStalenessBound(time.Millisecond)}, "WithStalenessBound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{ContextTimeoutEnabled: true})
			defer rdb.Close()
			_, err := New(context.Background(), rdb, tc.opts...)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.op, se.Op)
		})
	}
	_, err := New(context.Background(), nil)
	require.ErrorIs(t, err, signout.ErrInvalidOption)
}

func TestRevokedDoesNotAllocate(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Revoked(pool, "alice", "session-1", before); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRedisErrorKinds(t *testing.T) {
	srv := redistest.Start(t)
	serverErr := client(t, srv).Do(context.Background(), "NOSUCHCOMMAND").Err()
	require.Error(t, serverErr)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		kind error
	}{
		{"canceled", canceled, context.Canceled, context.Canceled},
		{"deadline", context.Background(), fmt.Errorf("wrapped: %w", context.DeadlineExceeded), signout.ErrTimeout},
		{"net timeout", context.Background(), &net.OpError{Op: "read", Err: timeoutError{}}, signout.ErrTimeout},
		{"server error", context.Background(), serverErr, signout.ErrService},
		{"connection lost", context.Background(), io.EOF, signout.ErrNetwork},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := redisError(tc.ctx, "Revoke", tc.err)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.kind, se.Kind)
			assert.Equal(t, "Revoke", se.Op)
		})
	}
}

func TestNewRefusesAClientThatIgnoresDeadlines(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	s, err := New(context.Background(), rdb)
	assert.Nil(t, s)
	require.ErrorIs(t, err, signout.ErrInvalidOption)
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "New", se.Op)
	assert.Contains(t, se.Message, "ContextTimeoutEnabled: true")
}

// frozenClient returns a client of srv that would wait a minute for a
// frozen server if it ignored its contexts' deadlines.
func frozenClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: time.Second, ReadTimeout: time.Minute,
		ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// returnsBy runs call with a context whose deadline is d from now (none
// for 0), and returns its error and how long it took. It fails the test
// when call is still running 10 seconds later: the client's ReadTimeout is
// a minute.
func returnsBy(t *testing.T, d time.Duration, call func(ctx context.Context) error) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if d > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), d)
	}
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(10 * time.Second):
		t.Fatalf("still running after 10s")
		return 0, nil
	}
}

// TestStoreCallsEndByTheirDeadline: with Redis stopped (SIGSTOP), every
// call of the Store returns an error matching signout.ErrTimeout by its
// context's deadline.
func TestStoreCallsEndByTheirDeadline(t *testing.T) {
	t.Parallel() // it waits out deadlines
	srv := redistest.Start(t)
	s := newStoreOn(t, frozenClient(t, srv), time.Now)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.Enqueue(ctx, entry("a", now, now))) // the connections are open
	srv.Freeze()
	t.Cleanup(srv.Thaw) // before the store's Close

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Revoke", func(ctx context.Context) error {
			return s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: time.Now()})
		}},
		{"Enqueue", func(ctx context.Context) error { return s.Enqueue(ctx, entry("b", now, now)) }},
		{"Claim", func(ctx context.Context) error { _, err := s.Claim(ctx, "p", time.Minute, 1); return err }},
		{"Reschedule", func(ctx context.Context) error { return s.Reschedule(ctx, "p", entry("a", now, now)) }},
		{"Complete", func(ctx context.Context) error { return s.Complete(ctx, "a") }},
		{"Pending", func(ctx context.Context) error { _, _, err := s.Pending(ctx); return err }},
		{"Sync", s.Sync},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			took, err := returnsBy(t, 200*time.Millisecond, tc.call)
			require.ErrorIs(t, err, signout.ErrTimeout)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.name, se.Op)
			t.Logf("%s returned after %v with a 200ms deadline", tc.name, took.Round(time.Millisecond))
		})
	}
}

// TestSignOutKeepsItsDeadlineWithRedisFrozen is issue 18's failure 6: with
// Redis stopped (SIGSTOP), SignOut with WithTimeout(1s), and the logout
// handler with its WithTimeout(1s), return within their second, not when
// the client's read timeout ends, and say the sign-out is not done.
func TestSignOutKeepsItsDeadlineWithRedisFrozen(t *testing.T) {
	t.Parallel() // it waits out deadlines
	srv := redistest.Start(t)
	cognito := signouttest.NewServer()
	t.Cleanup(cognito.Close)
	store := newStoreOn(t, frozenClient(t, srv), time.Now)
	c, err := signout.New(signout.WithEndpoint(cognito.URL), signout.WithAppClient(cognito.ClientID, ""),
		signout.WithPool(cognito.UserPoolID), signout.WithRevocationStore(store),
		signout.WithTimeout(time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	logout, err := signouthttp.New(c, signouthttp.WithTokenCookies("access_token", "refresh_token"),
		signouthttp.WithTimeout(time.Second))
	require.NoError(t, err)
	// The JWKS is fetched, and Redis's connections opened, before the freeze.
	require.NoError(t, c.SignOut(context.Background(), cognito.SignIn("before").AccessToken))
	srv.Freeze()
	t.Cleanup(srv.Thaw) // before the store's and the Client's Close

	tokens := cognito.SignIn("alice")
	took, err := returnsBy(t, 0, func(ctx context.Context) error { return c.SignOut(ctx, tokens.AccessToken) })
	require.Error(t, err)
	assert.NotErrorIs(t, err, signout.ErrQueued, "not recorded, so not queued")
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	assert.True(t, se.Retryable(), "not done: retry")
	t.Logf("SignOut with WithTimeout(1s), Redis frozen: %v after %v", err, took.Round(time.Millisecond))

	tokens = cognito.SignIn("bob")
	var code int
	took, _ = returnsBy(t, 0, func(ctx context.Context) error {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/logout", nil)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: tokens.AccessToken})
		req.AddCookie(&http.Cookie{Name: "refresh_token", Value: tokens.RefreshToken})
		rec := httptest.NewRecorder()
		logout.ServeHTTP(rec, req)
		code = rec.Code
		return nil
	})
	assert.Equal(t, http.StatusServiceUnavailable, code, "the logout is not done")
	t.Logf("the logout handler with WithTimeout(1s), Redis frozen: %d after %v", code, took.Round(time.Millisecond))
}
