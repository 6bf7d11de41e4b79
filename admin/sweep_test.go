package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/internal/moto"
	"github.com/cognitogo/signout/internal/tap"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

func userName(i int) string { return fmt.Sprintf("user%05d", i) }

// standIn starts a stand-in holding n users, user00000 on, and a tap in
// front of it.
func standIn(t *testing.T, n int, opts ...signouttest.ServerOption) (*signouttest.Server, *tap.Proxy) {
	t.Helper()
	srv := signouttest.NewServer(opts...)
	t.Cleanup(srv.Close)
	for i := range n {
		srv.AddUser(userName(i), map[string]string{"email": fmt.Sprintf("%s@example.com", userName(i))})
	}
	return srv, tap.New(t, srv.URL)
}

// listed returns the users of the first pages of the pool, as the tap
// saw them answered. A sweep stopped while a page was on its way has not
// listed that page, though the tap has seen it.
func listed(p *tap.Proxy, pages int) []string {
	var users []string
	token := ""
	for range pages {
		i := slices.IndexFunc(p.Calls("ListUsers"), func(c tap.Call) bool { return c.Token == token && c.Status == 200 })
		if i < 0 {
			break
		}
		c := p.Calls("ListUsers")[i]
		users = append(users, c.Users...)
		token = c.Next
	}
	return users
}

// savedCheckpoint is the part of a checkpoint file the tests read.
type savedCheckpoint struct {
	Cutoff    time.Time `json:"cutoff"`
	Pages     int       `json:"pages"`
	ListedAll bool      `json:"listed_all"`
	Done      int       `json:"done"`
	Skipped   int       `json:"skipped"`
	Failed    int       `json:"failed"`
	Pending   []struct {
		Username string `json:"username"`
	} `json:"pending"`
}

func readCheckpoint(t *testing.T, path string) savedCheckpoint {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var cp savedCheckpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	return cp
}

func TestSignOutAll(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 250)
	var tokens []signouttest.Tokens
	for i := 0; i < 250; i += 13 {
		tokens = append(tokens, srv.SignIn(userName(i)))
	}
	for _, i := range []int{3, 61, 249} {
		srv.DeleteUser(userName(i))
	}
	c := newClient(t, p.URL)
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, ListRate: 1000})
	require.NoError(t, err)

	assert.Equal(t, admin.Progress{Done: 247, Listed: 247, Total: 247}, zeroTimes(rep.Progress))
	assert.True(t, rep.Complete)
	assert.False(t, rep.Resumed)
	assert.Equal(t, 5, rep.Pages)
	assert.Empty(t, rep.Failures)
	signedOut := p.SignedOut()
	assert.Len(t, signedOut, 247)
	for u, n := range signedOut {
		assert.Equal(t, 1, n, "%s is signed out once", u)
	}
	for i, tok := range tokens {
		assert.False(t, works(t, srv, tok.AccessToken), "token %d is refused", i)
	}
	assert.Equal(t, 5, srv.Requests("ListUsers"))
}

// zeroTimes drops what depends on timing from a Progress.
func zeroTimes(p admin.Progress) admin.Progress {
	p.Rate, p.ETA, p.Elapsed = 0, 0, 0
	return p
}

// The pacing test: on a stand-in enforcing Cognito's quotas (scaled
// up so that the run is short), a sweep at the quota sustains at least 95%
// of it, with under 1% of its requests throttled and no user skipped, over
// 31 s. That is a timed proof, which a busy machine fails: it runs with
// SIGNOUT_LONG=1. By default the sweep lasts 3 s and is checked not to go
// over the quota, and its rate is logged.
func TestSignOutAllAtTheQuota(t *testing.T) {
	t.Parallel()
	const scale = 4
	rate := 25.0 * scale // UserUpdate
	seconds := 3
	if testenv.Long() {
		seconds = 31
	}
	n := int(float64(seconds) * rate)
	srv, _ := standIn(t, n, signouttest.Quotas(scale))
	sample := []signouttest.Tokens{}
	for i := 0; i < n; i += n / 20 {
		sample = append(sample, srv.SignIn(userName(i)))
	}
	c := newClient(t, srv.URL)
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: rate, ListRate: 30 * scale})
	require.NoError(t, err)

	served, throttled := srv.QuotaUsage("UserUpdate")
	listServed, listThrottled := srv.QuotaUsage("UserList")
	sustained := float64(n) / rep.Elapsed.Seconds()
	t.Logf("%d users in %v: %.1f/s against a quota of %.0f/s (%.1f%%); sign-outs: %d served, %d throttled; ListUsers: %d served, %d throttled",
		n, rep.Elapsed.Round(time.Millisecond), sustained, rate, 100*sustained/rate, served, throttled, listServed, listThrottled)
	assert.GreaterOrEqual(t, rep.Elapsed, time.Duration(seconds-1)*time.Second)
	if testenv.Long() {
		assert.GreaterOrEqual(t, sustained, 0.95*rate)
	}
	assert.Less(t, float64(throttled+listThrottled), 0.01*float64(served+listServed))
	assert.Equal(t, n, rep.Done)
	assert.Zero(t, rep.Skipped)
	assert.Zero(t, rep.Failed)
	assert.Equal(t, n, served, "each user was signed out once")
	for i, tok := range sample {
		assert.False(t, works(t, srv, tok.AccessToken), "sampled token %d is refused", i)
	}
}

// A sweep sent at three times the quota slows down: for 6 s at ten times
// Cognito's quota with SIGNOUT_LONG=1, else for 3 s at twice it, which a
// busy machine exceeds too.
func TestSignOutAllSlowsDownWhenThrottled(t *testing.T) {
	t.Parallel()
	scale, seconds := 2.0, 3.0
	if testenv.Long() {
		scale, seconds = 10, 6
	}
	quota := 25.0 * scale
	n := int(seconds * quota)
	srv, _ := standIn(t, n, signouttest.Quotas(scale))
	c := newClient(t, srv.URL)
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 3 * quota, ListRate: 30 * scale})
	require.NoError(t, err)

	served, throttled := srv.QuotaUsage("UserUpdate")
	t.Logf("%d users in %v at 3x the quota: %d sign-outs served, %d throttled", n, rep.Elapsed.Round(time.Millisecond), served, throttled)
	assert.Equal(t, n, rep.Done, "no user failed")
	assert.Zero(t, rep.Failed)
	assert.Equal(t, n, served)
	assert.Positive(t, throttled, "the test throttled")
	// A client that kept its pace would see two requests in three
	// throttled. One that slows down sees far fewer, most in its first
	// second, before it has slowed: 28 of 150 were seen in the short run
	// under the race detector on a loaded machine, a tenth or less
	// otherwise.
	assert.Less(t, float64(throttled), float64(served)/3, "it slowed down")
}

func TestSignOutAllFilter(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 0)
	want := map[string]bool{}
	for i := range 300 {
		email := fmt.Sprintf("staff-%d@example.com", i)
		if i%7 == 0 {
			email = fmt.Sprintf("contractor-%d@example.com", i)
			want[userName(i)] = true
		}
		srv.AddUser(userName(i), map[string]string{"email": email})
	}
	srv.AddUser("unconfirmed", map[string]string{"cognito:user_status": "UNCONFIRMED", "email": "x@example.com"})
	c := newClient(t, p.URL)

	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Filter: `email ^= "contractor-"`, Rate: 1000, ListRate: 1000})
	require.NoError(t, err)
	assert.Equal(t, len(want), rep.Done)
	assert.Equal(t, len(want), rep.Total)
	got := map[string]bool{}
	for u := range p.SignedOut() {
		got[u] = true
	}
	assert.Equal(t, want, got, "exactly the matching users")
	for _, call := range p.Calls("ListUsers") {
		assert.Equal(t, `email ^= "contractor-"`, call.Filter)
	}

	rep, err = c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Filter: `cognito:user_status = "UNCONFIRMED"`, Rate: 1000})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Done)
	assert.Equal(t, 1, p.SignedOut()["unconfirmed"])
}

func TestSignOutAllSkipsUsersDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 200)
	gone := map[string]bool{userName(5): true, userName(70): true, userName(199): true}
	p.After(func(c *tap.Call) {
		for _, u := range c.Users {
			if gone[u] {
				srv.DeleteUser(u)
			}
		}
	})
	rep, err := newClient(t, p.URL).SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, ListRate: 1000})
	require.NoError(t, err)
	assert.Equal(t, admin.Progress{Done: 197, Skipped: 3, Listed: 200, Total: 200}, zeroTimes(rep.Progress))
	assert.True(t, rep.Complete)
	assert.Empty(t, rep.Failures)
}

func TestSignOutAllListsFailures(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 150)
	bad := map[string]bool{userName(7): true, userName(100): true}
	p.Before(func(c *tap.Call) *tap.Reply {
		if bad[c.Username] {
			return &tap.Reply{Status: 400, Code: "InvalidParameterException", Message: "odd user"}
		}
		return nil
	})
	rep, err := newClient(t, p.URL).SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, ListRate: 1000})
	require.NoError(t, err, "a sweep with failed users completes")
	assert.Equal(t, admin.Progress{Done: 148, Failed: 2, Listed: 150, Total: 150}, zeroTimes(rep.Progress))
	assert.True(t, rep.Complete)
	require.Len(t, rep.Failures, 2)
	for _, f := range rep.Failures {
		assert.True(t, bad[f.Username], f.Username)
		assert.ErrorIs(t, f.Err, signout.ErrInvalidParameter)
		assert.Equal(t, "InvalidParameterException", f.Err.Code)
		assert.Equal(t, "odd user", f.Err.Message)
	}
}

func TestSignOutAllStopsWhenEverySignOutFails(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 300)
	var failing atomic.Bool
	failing.Store(true)
	p.Before(func(c *tap.Call) *tap.Reply {
		if c.Op == "AdminUserGlobalSignOut" && failing.Load() {
			return &tap.Reply{Status: 400, Code: "InvalidParameterException", Message: "mystery"}
		}
		return nil
	})
	cp := filepath.Join(t.TempDir(), "sweep.json")
	c := newClient(t, p.URL)
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, ListRate: 1000, Checkpoint: cp})
	assert.ErrorIs(t, err, signout.ErrInvalidParameter)
	assert.Contains(t, err.Error(), "the last 50 sign-outs all failed")
	assert.False(t, rep.Complete)
	assert.Zero(t, rep.Done)
	saved := readCheckpoint(t, cp)
	assert.Equal(t, rep.Failed, saved.Failed)
	assert.Equal(t, len(listed(p, saved.Pages)), saved.Done+saved.Skipped+saved.Failed+len(saved.Pending), "every user listed is counted or pending")

	failing.Store(false)
	rep, err = c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, ListRate: 1000, Checkpoint: cp})
	require.NoError(t, err)
	assert.True(t, rep.Complete)
	assert.Equal(t, 300, rep.Done+rep.Failed)
	assert.Len(t, p.SignedOut(), rep.Done)
}

func TestSignOutAllStopsOnErrorsEveryUserWouldGet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code string
		kind error
	}{
		{"AccessDeniedException", signout.ErrForbidden},
		{"ResourceNotFoundException", signout.ErrResourceNotFound},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv, p := standIn(t, 120)
			p.Before(func(c *tap.Call) *tap.Reply {
				if c.Op == "AdminUserGlobalSignOut" {
					return &tap.Reply{Status: 400, Code: tc.code, Message: "no"}
				}
				return nil
			})
			cp := filepath.Join(t.TempDir(), "sweep.json")
			rep, err := newClient(t, p.URL).SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, Checkpoint: cp})
			assert.ErrorIs(t, err, tc.kind)
			assert.Equal(t, "AdminUserGlobalSignOut", asError(t, err).Op)
			assert.Zero(t, rep.Failed, "no user is blamed")
			assert.False(t, rep.Complete)
			saved := readCheckpoint(t, cp)
			assert.Equal(t, len(listed(p, saved.Pages)), len(saved.Pending))
		})
	}
}

// The cancellation test: cancelling a sweep stops it with the
// checkpoint saved, and a resumed run finishes the sweep without listing
// a page it had begun, counting each user once.
func TestSignOutAllCancelSavesTheCheckpoint(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var signOuts atomic.Int32
	p.After(func(c *tap.Call) {
		if c.Op == "AdminUserGlobalSignOut" && signOuts.Add(1) == 150 {
			cancel()
		}
	})
	cp := filepath.Join(t.TempDir(), "sweep.json")
	c := newClient(t, p.URL)
	sweep := admin.Sweep{Rate: 1000, ListRate: 1000, Checkpoint: cp}
	rep, err := c.SignOutAll(ctx, srv.UserPoolID, sweep)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "SignOutAll", asError(t, err).Op)
	assert.False(t, rep.Complete)

	saved := readCheckpoint(t, cp)
	assert.Equal(t, len(listed(p, saved.Pages)), saved.Done+saved.Skipped+saved.Failed+len(saved.Pending), "every user listed is counted or pending")
	assert.Equal(t, rep.Done, saved.Done)
	assert.GreaterOrEqual(t, saved.Done, 100)
	assert.Less(t, saved.Done, 600)

	rep, err = c.SignOutAll(context.Background(), srv.UserPoolID, sweep)
	require.NoError(t, err)
	assert.True(t, rep.Resumed)
	assert.True(t, rep.Complete)
	assert.Equal(t, admin.Progress{Done: 600, Listed: 600, Total: 600}, zeroTimes(rep.Progress))
	assert.Len(t, p.SignedOut(), 600, "every user signed out")
	assert.Empty(t, p.RelistedAfterUse(), "no page begun was listed again")
	assert.Equal(t, 10, rep.Pages)
}

func TestSignOutAllOnACompleteCheckpointSendsNothing(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 70)
	cp := filepath.Join(t.TempDir(), "sweep.json")
	c := newClient(t, p.URL)
	first, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, Checkpoint: cp})
	require.NoError(t, err)
	sent := srv.Requests("")

	again, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, Checkpoint: cp})
	require.NoError(t, err)
	assert.Equal(t, sent, srv.Requests(""))
	assert.True(t, again.Complete)
	assert.True(t, again.Resumed)
	assert.Equal(t, zeroTimes(first.Progress), zeroTimes(again.Progress))
	assert.True(t, first.Cutoff.Equal(again.Cutoff))
}

func TestSignOutAllRecordsACutoffFirst(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 300)
	st := &store{}
	var sentBefore atomic.Int32
	sentBefore.Store(-1)
	st.before = func(signout.Revocation) {
		if sentBefore.Load() < 0 {
			sentBefore.Store(int32(srv.Requests("")))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var signOuts atomic.Int32
	p.After(func(c *tap.Call) {
		if c.Op == "AdminUserGlobalSignOut" && signOuts.Add(1) == 50 {
			cancel()
		}
	})
	cp := filepath.Join(t.TempDir(), "sweep.json")
	c := newClient(t, p.URL, admin.WithRevocationStore(st))
	start := time.Now()
	_, err := c.SignOutAll(ctx, srv.UserPoolID, admin.Sweep{Rate: 1000, Checkpoint: cp})
	require.ErrorIs(t, err, context.Canceled)

	assert.Zero(t, sentBefore.Load(), "the cutoff was written before any request")
	recs := st.all()
	require.Len(t, recs, 1)
	cut := recs[0]
	assert.Equal(t, signout.Revocation{UserPoolID: srv.UserPoolID, At: cut.At, Expires: cut.At.Add(24 * time.Hour)}, cut)
	assert.WithinRange(t, cut.At, start.Add(-time.Second), time.Now())

	resumed := time.Now()
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Rate: 1000, Checkpoint: cp})
	require.NoError(t, err)
	assert.True(t, rep.Complete)
	recs = st.all()
	require.Len(t, recs, 2, "the resumed run writes a cutoff too")
	assert.WithinRange(t, recs[1].At, resumed, time.Now(), "with its own start time")
	assert.True(t, rep.Cutoff.Equal(recs[1].At))
}

// shiftCheckpoint moves the times saved in a checkpoint file by d, as if
// its run had been d later (or earlier, d < 0).
func shiftCheckpoint(t *testing.T, path string, d time.Duration) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var cp map[string]any
	require.NoError(t, json.Unmarshal(b, &cp))
	for _, k := range []string{"cutoff", "saved"} {
		at, err := time.Parse(time.RFC3339Nano, cp[k].(string))
		require.NoError(t, err)
		cp[k] = at.Add(d)
	}
	b, err = json.Marshal(cp)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// A resumed run records a cutoff of its own start: a user who signed in
// between the runs and whom it signs out at Cognito is refused by the API
// too, and a run resumed a day after the first still records a cutoff that
// has not expired.
func TestSignOutAllResumedRunRecordsItsOwnCutoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, filter string }{
		{"every user", ""},
		{"filtered", `username ^= "user000"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, p := standIn(t, 130)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var signOuts atomic.Int32
			p.After(func(c *tap.Call) {
				if c.Op == "AdminUserGlobalSignOut" && signOuts.Add(1) == 20 {
					cancel()
				}
			})
			st := &store{}
			c := newClient(t, p.URL, admin.WithRevocationStore(st))
			sweep := admin.Sweep{Filter: tc.filter, Rate: 1000, Checkpoint: filepath.Join(t.TempDir(), "sweep.json")}
			_, err := c.SignOutAll(ctx, srv.UserPoolID, sweep)
			require.ErrorIs(t, err, context.Canceled)
			shiftCheckpoint(t, sweep.Checkpoint, -25*time.Hour)
			before := len(st.all())

			resumed := time.Now()
			rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, sweep)
			require.NoError(t, err)
			require.True(t, rep.Complete)
			recs := st.all()[before:]
			require.NotEmpty(t, recs)
			for _, r := range recs {
				assert.WithinRange(t, r.At, resumed, time.Now(), "the resumed run's start")
				assert.True(t, r.At.Equal(rep.Cutoff))
				assert.Equal(t, r.At.Add(24*time.Hour), r.Expires)
			}
		})
	}
}

// A checkpoint whose times lie in the future, written by a machine whose
// clock ran ahead or edited, is refused before anything is sent or
// recorded: its cutoff would refuse every later sign-in at the API.
func TestSignOutAllRefusesACheckpointFromTheFuture(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 130)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var signOuts atomic.Int32
	p.After(func(c *tap.Call) {
		if c.Op == "AdminUserGlobalSignOut" && signOuts.Add(1) == 20 {
			cancel()
		}
	})
	st := &store{}
	c := newClient(t, p.URL, admin.WithRevocationStore(st))
	sweep := admin.Sweep{Rate: 1000, Checkpoint: filepath.Join(t.TempDir(), "sweep.json")}
	_, err := c.SignOutAll(ctx, srv.UserPoolID, sweep)
	require.ErrorIs(t, err, context.Canceled)
	shiftCheckpoint(t, sweep.Checkpoint, time.Hour)
	recorded := len(st.all())

	// The resumed run goes through a proxy of its own: a request of the
	// first run that its cancellation left on the way may still reach the
	// stand-in now (82 requests against 81 counted, seen under -race).
	var sent atomic.Int32
	p2 := tap.New(t, srv.URL)
	p2.Before(func(*tap.Call) *tap.Reply { sent.Add(1); return nil })
	c2 := newClient(t, p2.URL, admin.WithRevocationStore(st))
	_, err = c2.SignOutAll(context.Background(), srv.UserPoolID, sweep)
	assert.ErrorIs(t, err, signout.ErrInvalidOption)
	assert.Equal(t, "Sweep.Checkpoint", asError(t, err).Op)
	assert.Contains(t, asError(t, err).Message, "in the future")
	assert.Zero(t, sent.Load(), "nothing was sent")
	assert.Len(t, st.all(), recorded, "nothing was recorded")
}

func TestSignOutAllFilteredRecordsEachUser(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 130)
	subs := map[string]string{} // user by sub
	for i := 100; i < 110; i++ {
		subs[subOf(t, srv, userName(i))] = userName(i)
	}
	st := &store{}
	st.before = func(r signout.Revocation) {
		assert.Zero(t, p.SignedOut()[subs[r.Subject]], "%s is recorded before the sign-out", subs[r.Subject])
	}
	c := newClient(t, p.URL, admin.WithRevocationStore(st))
	rep, err := c.SignOutAll(context.Background(), srv.UserPoolID, admin.Sweep{Filter: `username ^= "user0010"`, Rate: 1000})
	require.NoError(t, err)
	assert.Equal(t, 10, rep.Done)

	recs := st.all()
	assert.Len(t, recs, 10, "one per user, none for the pool")
	for _, r := range recs {
		assert.Contains(t, subs, r.Subject)
		assert.Equal(t, signout.Revocation{UserPoolID: srv.UserPoolID, Subject: r.Subject, At: rep.Cutoff, Expires: rep.Cutoff.Add(24 * time.Hour)}, r)
	}
}

func TestSignOutAllStoreFailureSendsNothing(t *testing.T) {
	t.Parallel()
	srv, _ := standIn(t, 10)
	st := &store{err: errors.New("redis: connection refused")}
	cp := filepath.Join(t.TempDir(), "sweep.json")
	rep, err := newClient(t, srv.URL, admin.WithRevocationStore(st)).SignOutAll(context.Background(), srv.UserPoolID,
		admin.Sweep{Checkpoint: cp})
	assert.ErrorIs(t, err, signout.ErrService)
	assert.Equal(t, "RevocationStore", asError(t, err).Op)
	assert.Zero(t, srv.Requests(""), "nothing was sent to Cognito")
	assert.False(t, rep.Complete)
	assert.True(t, readCheckpoint(t, cp).Cutoff.Equal(rep.Cutoff), "the cutoff's time is saved for the next run")
}

func TestSignOutAllRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, _ := standIn(t, 10)
	dir := t.TempDir()
	other := filepath.Join(dir, "other.json")
	_, err := newClient(t, srv.URL).SignOutAll(context.Background(), "us-east-1_Other123", admin.Sweep{Checkpoint: other})
	require.Error(t, err, "a sweep of another pool, which the stand-in does not have")
	garbage := filepath.Join(dir, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("{\"version\": 1"), 0o600))
	sent := srv.Requests("")

	c := newClient(t, srv.URL)
	tests := []struct {
		name string
		pool string
		s    admin.Sweep
		kind error
		op   string
	}{
		{"not a pool id", "pool", admin.Sweep{}, signout.ErrInvalidParameter, "ListUsers"},
		{"filter without quotes", srv.UserPoolID, admin.Sweep{Filter: "email = a"}, signout.ErrInvalidParameter, "ListUsers"},
		{"filter on an attribute not searchable", srv.UserPoolID, admin.Sweep{Filter: `custom:team = "a"`}, signout.ErrInvalidParameter, "ListUsers"},
		{"filter with another operator", srv.UserPoolID, admin.Sweep{Filter: `email != "a"`}, signout.ErrInvalidParameter, "ListUsers"},
		{"filter too long", srv.UserPoolID, admin.Sweep{Filter: `email = "` + strings.Repeat("a", 250) + `"`}, signout.ErrInvalidParameter, "ListUsers"},
		{"negative rate", srv.UserPoolID, admin.Sweep{Rate: -1}, signout.ErrInvalidOption, "Sweep.Rate"},
		{"NaN rate", srv.UserPoolID, admin.Sweep{Rate: math.NaN()}, signout.ErrInvalidOption, "Sweep.Rate"},
		{"infinite list rate", srv.UserPoolID, admin.Sweep{ListRate: math.Inf(1)}, signout.ErrInvalidOption, "Sweep.ListRate"},
		{"dry run with a checkpoint", srv.UserPoolID, admin.Sweep{DryRun: true, Checkpoint: filepath.Join(dir, "x.json")}, signout.ErrInvalidOption, "Sweep.Checkpoint"},
		{"checkpoint of another pool", srv.UserPoolID, admin.Sweep{Checkpoint: other}, signout.ErrInvalidOption, "Sweep.Checkpoint"},
		{"checkpoint of another filter", "us-east-1_Other123", admin.Sweep{Checkpoint: other, Filter: `email = "a"`}, signout.ErrInvalidOption, "Sweep.Checkpoint"},
		{"not a checkpoint", srv.UserPoolID, admin.Sweep{Checkpoint: garbage}, signout.ErrInvalidOption, "Sweep.Checkpoint"},
		{"checkpoint in a missing directory", srv.UserPoolID, admin.Sweep{Checkpoint: filepath.Join(dir, "no", "x.json")}, signout.ErrInvalidOption, "Sweep.Checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SignOutAll(context.Background(), tc.pool, tc.s)
			assert.ErrorIs(t, err, tc.kind)
			assert.Equal(t, tc.op, asError(t, err).Op)
		})
	}
	assert.Equal(t, sent, srv.Requests(""), "nothing was sent")
	_, err = os.Stat(filepath.Join(dir, "x.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestSignOutAllDryRun(t *testing.T) {
	t.Parallel()
	srv, p := standIn(t, 250)
	st := &store{}
	rep, err := newClient(t, p.URL, admin.WithRevocationStore(st)).SignOutAll(context.Background(), srv.UserPoolID,
		admin.Sweep{DryRun: true, ListRate: 1000})
	require.NoError(t, err)
	assert.Equal(t, 250, rep.Listed)
	assert.Equal(t, 250, rep.Total)
	assert.Zero(t, rep.Done)
	assert.Equal(t, 10*time.Second, rep.ETA, "250 users at 25 a second")
	assert.Equal(t, 5, rep.Pages)
	assert.Empty(t, p.Calls("AdminUserGlobalSignOut"))
	assert.Empty(t, st.all(), "nothing recorded")
}

func TestSignOutAllProgress(t *testing.T) {
	t.Parallel()
	srv, _ := standIn(t, 280)
	var mu sync.Mutex
	var calls []admin.Progress
	inCall := atomic.Bool{}
	s := admin.Sweep{Rate: 250, ListRate: 1000, Progress: func(p admin.Progress) {
		assert.False(t, inCall.Swap(true), "never called concurrently")
		defer inCall.Store(false)
		mu.Lock()
		defer mu.Unlock()
		if len(calls) == 0 {
			assert.Zero(t, srv.Requests(""), "the first call comes before any request")
		}
		calls = append(calls, p)
	}}
	rep, err := newClient(t, srv.URL).SignOutAll(context.Background(), srv.UserPoolID, s)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(calls), 2)
	assert.Equal(t, rep.Progress, calls[len(calls)-1], "the last call is the report's")
	assert.True(t, slices.IsSortedFunc(calls, func(a, b admin.Progress) int { return a.Done - b.Done }), "Done never goes back")
	mid := calls[len(calls)/2]
	assert.Positive(t, mid.Rate)
	if mid.Total > 0 && mid.Done < mid.Total {
		assert.Positive(t, mid.ETA)
	}
}

// createMotoUsers makes users in a moto pool, eight at a time.
func createMotoUsers(t *testing.T, api *cip.Client, pool string, names []string, attrs func(string) []types.AttributeType) {
	t.Helper()
	work := make(chan string)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range 8 {
		wg.Go(func() {
			for u := range work {
				in := &cip.AdminCreateUserInput{UserPoolId: &pool, Username: aws.String(u), MessageAction: types.MessageActionTypeSuppress}
				if attrs != nil {
					in.UserAttributes = attrs(u)
				}
				if _, err := api.AdminCreateUser(context.Background(), in); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	for _, u := range names {
		work <- u
	}
	close(work)
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatalf("AdminCreateUser: %v", *err)
	}
}

// The moto test, on one moto_server: with SIGNOUT_LONG=1 10,000
// users in pages of 60 (else 150), every one sent a sign-out that moto
// accepted, and the old tokens of a sample of 300 (else 15) refused
// afterwards (signing in all 10,000 on moto would take minutes); and a
// filter signs out exactly the users it matches.
func TestSignOutAllMoto(t *testing.T) {
	t.Parallel()
	url := moto.Start(t)
	api := moto.Admin(t, url)
	t.Run("every user", func(t *testing.T) { motoEveryUser(t, url, api) })
	t.Run("filter", func(t *testing.T) { motoFilter(t, url, api) })
}

func motoEveryUser(t *testing.T, url string, api *cip.Client) {
	pool := moto.NewPool(t, api)
	n, sampled := 150, 15
	if testenv.Long() {
		n, sampled = 10000, 300
	}
	names := make([]string, n)
	for i := range names {
		names[i] = userName(i)
	}
	start := time.Now()
	createMotoUsers(t, api, pool.ID, names, nil)
	created := time.Since(start)
	type session struct {
		user   string
		tokens moto.Tokens
	}
	var sample []session
	for i := 0; i < n; i += n / sampled {
		sample = append(sample, session{names[i], pool.SignIn(t, names[i])})
	}
	signedIn := time.Since(start) - created

	p := tap.New(t, url)
	c := newClient(t, p.URL)
	rep, err := c.SignOutAll(context.Background(), pool.ID, admin.Sweep{Rate: 2000, ListRate: 1000})
	require.NoError(t, err)
	t.Logf("moto: %d users made in %v, %d signed in in %v, swept in %v (%d pages)",
		n, created.Round(time.Millisecond), len(sample), signedIn.Round(time.Millisecond), rep.Elapsed.Round(time.Millisecond), rep.Pages)

	assert.Equal(t, admin.Progress{Done: n, Listed: n, Total: n}, zeroTimes(rep.Progress))
	assert.Equal(t, (n+59)/60, rep.Pages)
	lists := p.Calls("ListUsers")
	assert.Len(t, lists, rep.Pages, "each page listed once")
	for _, l := range lists[:len(lists)-1] {
		assert.Len(t, l.Users, 60)
	}
	signedOut := p.SignedOut()
	assert.Len(t, signedOut, n, "moto accepted a sign-out of every user")
	for _, u := range names {
		assert.Equal(t, 1, signedOut[u], u)
	}
	for _, s := range sample {
		assert.Error(t, pool.GetUser(s.tokens.Access), "%s's access token is refused", s.user)
		assert.Error(t, pool.Refresh(s.tokens.Refresh), "%s's refresh token is refused", s.user)
	}
}

func motoFilter(t *testing.T, url string, api *cip.Client) {
	pool := moto.NewPool(t, api)
	var names []string
	want := map[string]bool{}
	for i := range 100 {
		names = append(names, userName(i))
		if i%9 == 0 {
			want[userName(i)] = true
		}
	}
	createMotoUsers(t, api, pool.ID, names, func(u string) []types.AttributeType {
		email := "staff-" + u + "@example.com"
		if want[u] {
			email = "contractor-" + u + "@example.com"
		}
		return []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}
	})
	in, out := pool.SignIn(t, userName(9)), pool.SignIn(t, userName(10))

	p := tap.New(t, url)
	rep, err := newClient(t, p.URL).SignOutAll(context.Background(), pool.ID, admin.Sweep{Filter: `email ^= "contractor-"`, Rate: 1000})
	require.NoError(t, err)
	assert.Equal(t, len(want), rep.Done)
	got := map[string]bool{}
	for u := range p.SignedOut() {
		got[u] = true
	}
	assert.Equal(t, want, got, "exactly the matching users")
	assert.Error(t, pool.GetUser(in.Access), "a matching user's token is refused")
	assert.NoError(t, pool.GetUser(out.Access), "another user's token still works")
}
