package signout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

var _ signout.Admin = (*admin.Client)(nil)

// newAdmin returns an admin.Client for endpoint with fake credentials, as
// the stand-in takes them.
func newAdmin(t *testing.T, endpoint string) *admin.Client {
	t.Helper()
	a, err := admin.New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIGNOUTTEST", "fake", "")})
	require.NoError(t, err)
	return a
}

// drained waits until c's outbox is empty and returns its stats.
func drained(t *testing.T, c *signout.Client) signout.OutboxStats {
	t.Helper()
	var s signout.OutboxStats
	require.Eventually(t, func() bool {
		var err error
		s, err = c.OutboxStats(context.Background())
		return err == nil && s.Pending == 0
	}, 30*time.Second, 20*time.Millisecond, "the outbox drains")
	return s
}

var (
	throttled = signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"}
	failing   = signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom"}
	reset     = signouttest.Fault{Mode: signouttest.Reset}
	hanging   = signouttest.Fault{Mode: signouttest.Hang}
)

func times(f signouttest.Fault, n int) signouttest.Fault { f.Times = n; return f }

// TestOutboxCarriesFailedCalls: a call Cognito fails for a passing reason,
// every attempt of the logout, is recorded at once, queued, and made from
// the outbox once Cognito answers again.
func TestOutboxCarriesFailedCalls(t *testing.T) {
	t.Parallel() // it waits on retries and timeouts, not on the CPU
	tests := []struct {
		name   string
		op     string
		fault  signouttest.Fault
		reach  signout.Reach
		claims signouttest.Claims
		admin  bool
	}{
		{"GlobalSignOut throttled", "GlobalSignOut", throttled, signout.AllSessions, nil, false},
		{"GlobalSignOut 5xx", "GlobalSignOut", failing, signout.AllSessions, nil, false},
		{"GlobalSignOut unreachable", "GlobalSignOut", reset, signout.AllSessions, nil, false},
		{"GlobalSignOut hangs", "GlobalSignOut", hanging, signout.AllSessions, nil, false},
		{"RevokeToken throttled", "RevokeToken", throttled, signout.ThisSession, nil, false},
		{"RevokeToken unreachable", "RevokeToken", reset, signout.ThisSession, nil, false},
		{"RevokeToken hangs, managed login", "RevokeToken", hanging, signout.ThisSession, managedLogin, false},
		{"AdminUserGlobalSignOut 5xx, managed login", "AdminUserGlobalSignOut", failing, signout.AllSessions, managedLogin, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits for its outbox
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			store := revocation.New()
			opts := []signout.Option{signout.WithReadTimeout(500 * time.Millisecond), signout.WithRetryMaxAttempts(1)}
			if tc.admin {
				opts = append(opts, signout.WithAdmin(newAdmin(t, srv.URL)))
			}
			c := recordingClient(t, srv, store, opts...)
			refused := apiOf(t, srv, store)
			var claims []signouttest.Claims
			if tc.claims != nil {
				claims = append(claims, tc.claims)
			}
			this, other := srv.SignIn("alice", claims...), srv.SignIn("alice")
			remove := srv.InjectFault(tc.op, tc.fault)

			ended, err := c.Logout(context.Background(), this.AccessToken, this.RefreshToken, tc.reach)
			require.ErrorIs(t, err, signout.ErrQueued)
			assert.Equal(t, tc.reach, ended)
			se := asError(t, err)
			assert.Equal(t, tc.op, se.Op)
			assert.False(t, se.Retryable(), "nothing for the caller to retry")
			for _, other := range []error{signout.ErrThrottled, signout.ErrService, signout.ErrNetwork, signout.ErrTimeout} {
				assert.NotErrorIs(t, err, other)
			}
			assert.True(t, refused(this.AccessToken), "refused at the API when the logout returns")
			assert.True(t, srv.Accepts(this.RefreshToken), "not ended at Cognito yet")
			remove()

			s := drained(t, c)
			assert.Equal(t, signout.OutboxStats{Queued: 1, Completed: 1}, s)
			assert.False(t, srv.Accepts(this.RefreshToken), "ended at Cognito")
			assert.Equal(t, tc.reach == signout.AllSessions, !srv.Accepts(other.RefreshToken), "the user's other session")
		})
	}
}

// logBuffer is a slog handler's output, safe to read while the Client
// logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOutboxGivesUp: an entry is dropped, and logged as an error, exactly
// when there is nothing more to try.
func TestOutboxGivesUp(t *testing.T) {
	t.Parallel() // it waits on retries and timeouts, not on the CPU
	tests := []struct {
		name       string
		op         string
		then       *signouttest.Fault // what the outbox's attempt meets
		reach      signout.Reach
		expiring   bool // the access token expires before the retry
		opts       []signout.Option
		admin      bool
		wantGiveUp bool
		why        string
	}{
		{name: "refresh tokens outlived", op: "GlobalSignOut", reach: signout.AllSessions,
			opts: []signout.Option{signout.WithRefreshTokenValidity(time.Nanosecond)}, wantGiveUp: true, why: "WithRefreshTokenValidity"},
		{name: "access token expired, no admin", op: "GlobalSignOut", reach: signout.AllSessions, expiring: true, wantGiveUp: true, why: "expired"},
		{name: "access token expired, admin", op: "GlobalSignOut", reach: signout.AllSessions, expiring: true, admin: true},
		{name: "client refused", op: "RevokeToken", reach: signout.ThisSession,
			then:       &signouttest.Fault{Mode: signouttest.ErrorReply, Code: "UnauthorizedException", Message: "Client authentication failed."},
			wantGiveUp: true, why: "UnauthorizedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits for its outbox
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			store := revocation.New()
			var logs logBuffer
			opts := append(tc.opts, signout.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), signout.WithRetryMaxAttempts(1))
			if tc.admin {
				opts = append(opts, signout.WithAdmin(newAdmin(t, srv.URL)))
			}
			c := recordingClient(t, srv, store, opts...)
			refused := apiOf(t, srv, store)
			var claims []signouttest.Claims
			if tc.expiring {
				// Expired, but within the leeway: sent to Cognito.
				claims = append(claims, signouttest.Claims{"exp": time.Now().Add(-time.Second).Unix()})
			}
			s := srv.SignIn("alice", claims...)
			srv.InjectFault(tc.op, times(failing, 1))
			if tc.then != nil {
				srv.InjectFault(tc.op, *tc.then)
			}
			_, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, tc.reach)
			require.ErrorIs(t, err, signout.ErrQueued)
			stats := drained(t, c)
			if !tc.wantGiveUp {
				assert.Equal(t, signout.OutboxStats{Queued: 1, Completed: 1}, stats)
				assert.False(t, srv.Accepts(s.RefreshToken), "ended at Cognito")
				assert.Equal(t, 1, srv.Requests("AdminUserGlobalSignOut"))
				return
			}
			assert.Equal(t, signout.OutboxStats{Queued: 1, GivenUp: 1}, stats)
			assert.True(t, srv.Accepts(s.RefreshToken), "not ended at Cognito")
			assert.Contains(t, logs.String(), `"level":"ERROR","msg":"signout: queued call given up`)
			assert.Contains(t, logs.String(), tc.why)
			assert.False(t, redact.Contains(logs.String(), s.RefreshToken))
			assert.False(t, redact.Contains(logs.String(), s.AccessToken))
			if !tc.expiring {
				assert.True(t, refused(s.AccessToken), "still refused at the API")
			}
		})
	}
}

// spyStore is a revocation.Store that keeps the entries it is given and
// counts the calls whose context has no deadline.
type spyStore struct {
	*revocation.Store
	mu          sync.Mutex
	given       []signout.OutboxEntry
	calls       int
	noDeadlines []string
}

func (s *spyStore) saw(ctx context.Context, method string, e ...signout.OutboxEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if _, ok := ctx.Deadline(); !ok {
		s.noDeadlines = append(s.noDeadlines, method)
	}
	s.given = append(s.given, e...)
}

func (s *spyStore) Revoke(ctx context.Context, r signout.Revocation) error {
	s.saw(ctx, "Revoke")
	return s.Store.Revoke(ctx, r)
}

func (s *spyStore) Enqueue(ctx context.Context, e signout.OutboxEntry) error {
	s.saw(ctx, "Enqueue", e)
	return s.Store.Enqueue(ctx, e)
}

func (s *spyStore) Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	s.saw(ctx, "Claim")
	return s.Store.Claim(ctx, owner, lease, max)
}

func (s *spyStore) Reschedule(ctx context.Context, owner string, e signout.OutboxEntry) error {
	s.saw(ctx, "Reschedule", e)
	return s.Store.Reschedule(ctx, owner, e)
}

func (s *spyStore) Complete(ctx context.Context, id string) error {
	s.saw(ctx, "Complete")
	return s.Store.Complete(ctx, id)
}

func (s *spyStore) Pending(ctx context.Context) (int, time.Time, error) {
	s.saw(ctx, "Pending")
	return s.Store.Pending(ctx)
}

// TestOutboxSealsWhatItKeeps: no entry the outbox is given holds the token
// its call needs, the client secret, or whom it signs out, in any encoding
// the redactor knows.
func TestOutboxSealsWhatItKeeps(t *testing.T) {
	t.Parallel() // it waits for the outbox, not on the CPU
	srv := signouttest.NewServer(signouttest.Confidential())
	t.Cleanup(srv.Close)
	store := &spyStore{Store: revocation.New()}
	c := recordingClient(t, srv, store, signout.WithRetryMaxAttempts(1))
	s := srv.SignIn("alice.liddell@example.com")
	srv.InjectFault("RevokeToken", times(throttled, 2)) // the logout's attempt and the first retry
	_, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, signout.ThisSession)
	require.ErrorIs(t, err, signout.ErrQueued)
	srv.InjectFault("GlobalSignOut", times(throttled, 2))
	_, err = c.Logout(context.Background(), s.AccessToken, "", signout.AllSessions)
	require.ErrorIs(t, err, signout.ErrQueued)
	st := drained(t, c)
	require.Equal(t, int64(2), st.Retried, "each entry was put back once")

	store.mu.Lock()
	defer store.mu.Unlock()
	require.Len(t, store.given, 6, "each call queued before it was made and again after it failed, then put back once")
	for _, e := range store.given {
		text := fmt.Sprintf("%+v %s", e, e.Data)
		for _, secret := range []string{s.AccessToken, s.RefreshToken, srv.ClientSecret, "alice.liddell", claim(t, s.AccessToken, "sub"),
			claim(t, s.AccessToken, "origin_jti"), srv.UserPoolID} {
			assert.False(t, redact.Contains(text, secret), "the entry holds %.12s...", secret)
		}
		assert.Len(t, e.ID, 32)
	}
	assert.Empty(t, store.noDeadlines, "store calls without a deadline")
}

// TestOutboxQueuesBeforeTheCall: while Cognito holds a recorded
// sign-out's call, the call waits in the outbox already, so that another
// Client makes it should this process die; once Cognito has answered, it
// is gone.
func TestOutboxQueuesBeforeTheCall(t *testing.T) {
	t.Parallel() // it waits for the stand-in, not on the CPU
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store, signout.WithRetryMaxAttempts(1))
	ctx := context.Background()
	for _, tc := range []struct {
		op    string
		reach signout.Reach
	}{{"GlobalSignOut", signout.AllSessions}, {"RevokeToken", signout.ThisSession}} {
		s := srv.SignIn("alice")
		srv.InjectFault(tc.op, signouttest.Fault{Mode: signouttest.Slow, Delay: 300 * time.Millisecond, Times: 1})
		calls := srv.Requests(tc.op)
		done := make(chan error, 1)
		go func() {
			_, err := c.Logout(ctx, s.AccessToken, s.RefreshToken, tc.reach)
			done <- err
		}()
		require.Eventually(t, func() bool { return srv.Requests(tc.op) > calls }, 5*time.Second, time.Millisecond, "%s is sent", tc.op)
		n, _, err := store.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "%s is in the outbox while Cognito holds it", tc.op)
		require.NoError(t, <-done)
		n, _, err = store.Pending(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "%s is gone once Cognito answered", tc.op)
	}
	st, err := c.OutboxStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, signout.OutboxStats{}, st, "nothing counted as queued")
}

// TestOutboxSharedByClients: an entry outlives the Client that queued it,
// and one whose holder stopped without finishing it is made by another
// Client once its lease ends; a Client without the key leaves it alone.
func TestOutboxSharedByClients(t *testing.T) {
	t.Parallel() // it waits for the outbox, not on the CPU
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	key := bytes.Repeat([]byte{7}, 32)
	first := recordingClient(t, srv, store, signout.WithOutboxKey(key), signout.WithRetryMaxAttempts(1))
	s := srv.SignIn("alice")
	srv.InjectFault("GlobalSignOut", times(failing, 1))
	_, err := first.Logout(context.Background(), s.AccessToken, "", signout.AllSessions)
	require.ErrorIs(t, err, signout.ErrQueued)
	require.NoError(t, first.Close())

	// A process took the entry, then was killed.
	const lease = 300 * time.Millisecond
	require.Eventually(t, func() bool {
		taken, err := store.Claim(context.Background(), "killed", lease, 1)
		return err == nil && len(taken) == 1
	}, 5*time.Second, 10*time.Millisecond, "the entry comes due")
	taken := time.Now()

	var logs logBuffer
	stranger := recordingClient(t, srv, store, signout.WithOutboxKey(bytes.Repeat([]byte{8}, 32)), signout.WithTimeout(200*time.Millisecond),
		signout.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.Eventually(t, func() bool { return bytes.Contains([]byte(logs.String()), []byte("outbox entry unreadable")) },
		5*time.Second, 10*time.Millisecond, "a Client with another key meets the entry")
	st, err := stranger.OutboxStats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, st.Pending, "and leaves it")
	assert.Zero(t, st.GivenUp)
	require.NoError(t, stranger.Close())
	// The stranger put it back for a lease; make it due again.
	sibling := recordingClient(t, srv, store, signout.WithOutboxKey(key), signout.WithTimeout(time.Second))
	st = drained(t, sibling)
	assert.GreaterOrEqual(t, time.Since(taken), lease, "not before the killed process's lease ended")
	assert.Equal(t, int64(1), st.Completed)
	assert.False(t, srv.Accepts(s.RefreshToken), "ended at Cognito")
}

// TestOutboxBurstAtTheQuota: 250 "all devices" logouts within a second
// (100 in 0.4 s without SIGNOUT_LONG=1), ten times Cognito's UserUpdate
// quota, with the default retries: every
// session is refused at the API when its logout returns, no caller sees a
// throttling error, and the outbox ends every one at Cognito at the
// quota's pace.
func TestOutboxBurstAtTheQuota(t *testing.T) {
	t.Parallel() // it waits on Cognito's quota, not on the CPU
	users := testenv.Scale(100, 250)
	srv := signouttest.NewServer(signouttest.Quotas(1))
	t.Cleanup(srv.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store)
	refused := apiOf(t, srv, store)
	sessions, others := make([]signouttest.Tokens, users), make([]signouttest.Tokens, users)
	for i := range sessions {
		sessions[i], others[i] = srv.SignIn(fmt.Sprintf("user%d", i)), srv.SignIn(fmt.Sprintf("user%d", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, users)
	notRefused := make([]bool, users)
	start := time.Now()
	tick := time.NewTicker(time.Second / 250)
	defer tick.Stop()
	for i := range sessions {
		<-tick.C // 250 a second
		wg.Go(func() {
			_, errs[i] = c.Logout(context.Background(), sessions[i].AccessToken, sessions[i].RefreshToken, signout.AllSessions)
			notRefused[i] = !refused(sessions[i].AccessToken) || !refused(others[i].AccessToken)
		})
	}
	wg.Wait()
	burst := time.Since(start)
	atBurstEnd, err := c.OutboxStats(context.Background())
	require.NoError(t, err)
	queued, open := 0, 0
	for i, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, signout.ErrQueued, "logout %d", i)
			assert.NotErrorIs(t, err, signout.ErrThrottled)
			queued++
		}
		if notRefused[i] {
			open++
		}
	}
	assert.Zero(t, open, "sessions the API still accepts after their logout returned")
	require.Eventually(t, func() bool {
		s, err := c.OutboxStats(context.Background())
		return err == nil && s.Pending == 0
	}, time.Minute, 50*time.Millisecond, "the outbox drains")
	drained := time.Since(start)
	for i := range sessions {
		require.False(t, srv.Accepts(others[i].RefreshToken), "user%d's other session ended at Cognito", i)
	}
	s, err := c.OutboxStats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(queued), s.Queued)
	assert.Equal(t, int64(queued), s.Completed)
	assert.Zero(t, s.GivenUp)
	served, throttled := srv.QuotaUsage("UserUpdate")
	after := s.Retried - atBurstEnd.Retried
	t.Logf("%d logouts in %v: %d ended at once, %d queued; drained after %v; GlobalSignOut %d served, %d throttled; outbox retried %d, %d of them after the burst",
		users, burst.Round(time.Millisecond), users-queued, queued, drained.Round(time.Millisecond), served, throttled, s.Retried, after)
	// While the burst lasts, the callers' own retries share the quota with
	// the outbox and throttle some of its calls, more the longer a loaded
	// machine stretches the burst (8 to 13 of about 50 in five quiet runs
	// of 100). Once the callers are done, the outbox has the quota alone.
	// That shows its pace only if some of its work was left then (16 to 24
	// calls of about 50 when quiet): a loaded machine can stretch the burst
	// past all of it.
	if left := s.Completed - atBurstEnd.Completed; left < 10 {
		t.Logf("the outbox's pace is not measured: only %d of its %d calls came after the burst", left, queued)
	} else {
		assert.LessOrEqual(t, after, int64(queued/10+1), "the outbox keeps below the quota: once alone, few of its calls are throttled")
	}
	assert.Less(t, drained, 30*time.Second, "bounded")
}

// TestOutboxCloseReleases: a Client closed while it makes a call from the
// outbox puts the entry back, for another Client to take at once rather
// than when the lease ends.
func TestOutboxCloseReleases(t *testing.T) {
	t.Parallel() // it waits for the outbox, not on the CPU
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store, signout.WithRetryMaxAttempts(1))
	srv.InjectFault("GlobalSignOut", hanging)
	// The budget also covers fetching the pool's keys, to verify the token
	// before it is recorded: 300 ms was too short for that on a busy
	// machine, and the sign-out, unrecorded, was not queued.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.ErrorIs(t, c.SignOut(ctx, srv.SignIn("alice").AccessToken), signout.ErrQueued)
	require.Eventually(t, func() bool { return srv.Requests("GlobalSignOut") == 2 }, 5*time.Second, 10*time.Millisecond,
		"the outbox's call is under way")
	require.NoError(t, c.Close())
	taken, err := store.Claim(context.Background(), "another", time.Minute, 10)
	require.NoError(t, err)
	assert.Len(t, taken, 1, "claimable at once")
}

// TestOutboxLeavesWhatItCannotMake: an entry that needs WithAdmin, met by
// a Client without it, is left for one with it, not given up.
func TestOutboxLeavesWhatItCannotMake(t *testing.T) {
	t.Parallel() // it waits for the outbox, not on the CPU
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	key := bytes.Repeat([]byte{9}, 32)
	withAdmin := []signout.Option{signout.WithOutboxKey(key), signout.WithAdmin(newAdmin(t, srv.URL)), signout.WithTimeout(time.Second)}
	first := recordingClient(t, srv, store, withAdmin...)
	s := srv.SignIn("alice", managedLogin)
	srv.InjectFault("AdminUserGlobalSignOut", times(failing, 3))
	require.ErrorIs(t, first.SignOut(context.Background(), s.AccessToken), signout.ErrQueued)
	require.NoError(t, first.Close())

	var logs logBuffer
	without := recordingClient(t, srv, store, signout.WithOutboxKey(key), signout.WithTimeout(100*time.Millisecond),
		signout.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "left for a Client") }, 5*time.Second, 10*time.Millisecond)
	st, err := without.OutboxStats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, signout.OutboxStats{Pending: 1, OldestAge: st.OldestAge}, st, "left, not given up")
	require.NoError(t, without.Close())

	st = drained(t, recordingClient(t, srv, store, withAdmin...))
	assert.Equal(t, int64(1), st.Completed)
	assert.False(t, srv.Accepts(s.RefreshToken), "ended at Cognito")
}

// downOutbox is a revocation.Store whose Claim fails while down is set,
// and reports each Claim on claims.
type downOutbox struct {
	*revocation.Store
	down   atomic.Bool
	claims chan struct{}
}

func (d *downOutbox) Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	select {
	case d.claims <- struct{}{}:
	default:
	}
	if d.down.Load() {
		return nil, errors.New("outbox down")
	}
	return d.Store.Claim(ctx, owner, lease, max)
}

// TestOutboxUnreachableLoggedOnce: an outbox that fails is logged as an
// error once, not at every poll, and again when it answers.
func TestOutboxUnreachableLoggedOnce(t *testing.T) {
	t.Parallel() // it waits for the outbox, not on the CPU
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := &downOutbox{Store: revocation.New(), claims: make(chan struct{})}
	store.down.Store(true)
	var logs logBuffer
	recordingClient(t, srv, store, signout.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	for range 3 {
		<-store.claims
	}
	store.down.Store(false)
	for range 2 {
		<-store.claims
	}
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, `"level":"ERROR","msg":"signout: outbox unreachable"`), out)
	assert.Equal(t, 1, strings.Count(out, `"msg":"signout: outbox reachable again"`), out)
}

// BenchmarkOutboxDrain measures how fast a Client drains an outbox in
// memory, against a loopback server that answers at once: "pace=quota" at
// the default pace for GlobalSignOut (20 a second, below Cognito's
// UserUpdate quota of 25), the anchor; "pace=unlimited" with no pace, what
// the outbox itself can do. One op is one entry, from due to done; the
// entries are queued, untimed, by a Client that then closes.
func BenchmarkOutboxDrain(b *testing.B) {
	srv := signouttest.NewServer() // issues the tokens
	defer srv.Close()
	jwks := srv.JWKS()
	var down atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch {
		case r.Method == http.MethodGet:
			w.Write(jwks)
		case down.Load():
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"__type":"InternalErrorException","message":"down"}`))
		default:
			w.Write([]byte("{}"))
		}
	}))
	defer api.Close()
	var tokens []string
	key := bytes.Repeat([]byte{1}, 32)
	for _, bc := range []struct {
		name string
		rate float64
	}{{"pace=quota", 0}, {"pace=unlimited", 1e9}} {
		b.Run(bc.name, func(b *testing.B) {
			for len(tokens) < b.N {
				tokens = append(tokens, srv.SignIn(fmt.Sprint("user", len(tokens))).AccessToken)
			}
			store := revocation.New()
			opts := []signout.Option{signout.WithEndpoint(api.URL), signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store),
				signout.WithOutboxKey(key), signout.WithRetryMaxAttempts(1),
				signout.WithRetryDelays(time.Millisecond, time.Millisecond)}
			if bc.rate > 0 {
				opts = append(opts, signout.WithOutboxRate("UserUpdate", bc.rate))
			}
			down.Store(true)
			queuer, err := signout.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			for _, tok := range tokens[:b.N] {
				if err := queuer.SignOut(context.Background(), tok); !errors.Is(err, signout.ErrQueued) {
					b.Fatal(err)
				}
			}
			queuer.Close()
			down.Store(false)

			b.ResetTimer()
			drainer, err := signout.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer drainer.Close()
			for {
				s, err := drainer.OutboxStats(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if s.Pending == 0 {
					if s.Completed != int64(b.N) {
						b.Fatalf("%d of %d completed", s.Completed, b.N)
					}
					break
				}
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
