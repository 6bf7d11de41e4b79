package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

// The bounds issue 18 sets for every case of the fault matrix.
const (
	refusedBound = 100 * time.Millisecond // refused by every API process after the logout returns: logged, not asserted (see checkRefusals)
	endedBound   = 10 * time.Second       // ended at Cognito after it answers again
)

// faultModes are the ways a Cognito operation fails in the matrix.
var faultModes = []struct {
	name  string
	fault signouttest.Fault
}{
	{"throttled", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"}},
	{"5xx", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom"}},
	{"hanging", signouttest.Fault{Mode: signouttest.Hang}},
	{"unreachable", signouttest.Fault{Mode: signouttest.Reset}},
}

// customScopes makes tokens as managed login issues them for a resource
// server's scopes only: GlobalSignOut cannot take them, and the API
// processes' Clients sign their users out with AdminUserGlobalSignOut.
var customScopes = signouttest.Claims{"scope": "orders/read orders/write"}

// session is a user's session the proofs log out, and another of the
// same user.
type session struct{ this, other signouttest.Tokens }

// signIn starts two sessions of a user named after label, the first with
// claims, and has every API process accept the first.
func (f *apiFleet) signIn(label string, claims ...signouttest.Claims) session {
	f.t.Helper()
	user := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, label)
	s := session{this: f.cognito.SignIn(user, claims...), other: f.cognito.SignIn(user)}
	require.True(f.t, f.everywhere(s.this.AccessToken, http.StatusOK), "a fresh session is accepted everywhere")
	return s
}

// mustEnd returns the tokens Cognito refuses once a logout at path has
// ended what it asks: the session, or with it every session of the user.
func (s session) mustEnd(path string) []string {
	out := []string{s.this.AccessToken, s.this.RefreshToken}
	if path == "/logout-all" {
		out = append(out, s.other.RefreshToken)
	}
	return out
}

// endedAll waits until the stand-in accepts none of each set of tokens
// and returns, for each, how long after since it ended; it fails the test
// after a minute.
func (f *apiFleet) endedAll(since time.Time, sets [][]string) []time.Duration {
	f.t.Helper()
	out := make([]time.Duration, len(sets))
	left := len(sets)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(time.Minute)
	for left > 0 {
		for i, set := range sets {
			if out[i] == 0 && !slices.ContainsFunc(set, f.cognito.Accepts) {
				out[i] = max(time.Since(since), time.Nanosecond)
				left--
			}
		}
		if left > 0 && time.Now().After(deadline) {
			f.t.Fatalf("Cognito still accepts %d of %d sessions a minute later", left, len(sets))
		}
		<-tick.C
	}
	return out
}

// outage plays an outage for d with begin, which returns the function that
// ends it, and logs out n users spread over it, at path on the API
// processes in turn, each of whose answers must be want. Every session
// must be refused by every API process from its logout's answer on (the
// time until the last refusal is logged against refusedBound), and ended
// at Cognito within endedBound of the outage's end.
func (f *apiFleet) outage(label string, d time.Duration, n int, path string, want int, claims []signouttest.Claims, begin func() (end func())) {
	t := f.t
	t.Helper()
	before := f.totals()
	end := begin()
	start := time.Now()
	var refused []refusal
	var sets [][]string
	var others []string
	for i := range n {
		<-time.After(time.Until(start.Add(d * time.Duration(i) / time.Duration(n))))
		s := f.signIn(fmt.Sprintf("%s-%d", label, i), claims...)
		status, returned := f.post(f.servers[i%len(f.servers)], path, s.this.AccessToken, s.this.RefreshToken)
		require.Equal(t, want, status, "%s: the answer to logout %d; logs:\n%s", label, i, f.logs)
		refused = append(refused, refusedEverywhere(f.hc, f.urls(), s.this.AccessToken, returned))
		sets = append(sets, s.mustEnd(path))
		if path == "/logout" {
			others = append(others, s.other.RefreshToken)
		}
	}
	<-time.After(time.Until(start.Add(d)))
	end()
	ended := durations(f.endedAll(time.Now(), sets))
	stats := since(f.drained(time.Minute), before)
	after := checkRefusals(t, label, refused)
	t.Logf("%s for %v: %d logouts answered %d; refused by all %d API processes within %v of the logout returning; "+
		"ended at Cognito %v after it answered again; outbox: %d queued, %d retried, %d completed, %d given up",
		label, d, n, want, len(f.servers), after, ended, stats.Queued, stats.Retried, stats.Completed, stats.GivenUp)
	assert.LessOrEqual(t, slices.Max(ended), endedBound, "%s: ended at Cognito", label)
	assert.Zero(t, stats.GivenUp, "%s: nothing given up", label)
	for _, tok := range others {
		assert.True(t, f.cognito.Accepts(tok), "%s: the user's other session lives on", label)
	}
}

// TestFaultMatrix: each Cognito operation a logout makes fails in each way
// for a while (two minutes with SIGNOUT_LONG=1; by default a second, and
// each operation in one way only), and so does a whole region; no API
// process accepts a session later than acceptBound after its logout
// returned (the latency is logged against refusedBound, the goal), and
// Cognito ends it within 10 s of answering again.
func TestFaultMatrix(t *testing.T) {
	t.Parallel() // it waits out outages, as TestFaultKills does
	outageFor := testenv.Scale(time.Second, 2*time.Minute)
	perOutage := testenv.Scale(2, 5)
	ops := []struct {
		op     string
		path   string
		want   int // the logout's answer during the outage
		claims []signouttest.Claims
	}{
		// GetUser is asked after RevokeToken ended the session: its
		// failure changes nothing.
		{"GetUser", "/logout", http.StatusNoContent, nil},
		{"RevokeToken", "/logout", http.StatusAccepted, nil},
		{"GlobalSignOut", "/logout-all", http.StatusAccepted, nil},
		{"AdminUserGlobalSignOut", "/logout-all", http.StatusAccepted, []signouttest.Claims{customScopes}},
	}
	// Each cell on a fleet of its own, all at once: the outages last two
	// minutes each with SIGNOUT_LONG=1. The cells are started from
	// goroutines rather than with t.Parallel, which -parallel would run in
	// waves of a few: they wait out their outages and hardly compute.
	var wg sync.WaitGroup
	cell := func(name string, test func(t *testing.T)) { wg.Go(func() { t.Run(name, test) }) }
	for i, tc := range ops {
		// Without SIGNOUT_LONG=1 each operation fails in one way, a
		// different one each, so that the matrix's diagonal runs.
		modes := testenv.Scale(faultModes[i%len(faultModes):i%len(faultModes)+1], faultModes)
		for _, m := range modes {
			cell(tc.op+"/"+m.name, func(t *testing.T) {
				f := startFleet(t, fleetConfig{processes: 2})
				f.outage(tc.op+" "+m.name, outageFor, perOutage, tc.path, tc.want, tc.claims, func() func() {
					return f.cognito.InjectFault(tc.op, m.fault)
				})
			})
		}
	}
	for _, path := range []string{"/logout", "/logout-all"} {
		cell("region down"+path, func(t *testing.T) {
			f := startFleet(t, fleetConfig{processes: 2})
			f.outage("region down, "+path, outageFor, perOutage, path, http.StatusAccepted, nil, func() func() {
				f.cognito.SetDown(true)
				return func() { f.cognito.SetDown(false) }
			})
		})
	}
	wg.Wait()
}

// TestFaultKills: the store down then back, or hung; an API process
// SIGKILLed between its record and its Cognito call, or while it drains
// the outbox; Redis SIGKILLed with entries queued; cookies planted beside
// the user's. No API process accepts a session later than acceptBound
// after its logout returned, and Cognito ends it within 10 s of Cognito
// (or the store) answering again. The groups of cases run at once, each on
// a fleet of its own: they wait on outages and leases far more than they
// compute. A long proof: it runs when SIGNOUT_LONG asks.
func TestFaultKills(t *testing.T) {
	testenv.LongProof(t)
	t.Parallel() // it waits out outages, as TestFaultMatrix does
	for _, group := range []struct {
		name string
		run  func(f *apiFleet)
	}{
		{"store down", faultsStoreDown},
		{"SIGKILL before the call", faultsKillBeforeTheCall},
		{"SIGKILL while draining", faultsKillWhileDraining},
		{"Redis SIGKILLed", faultsRedisKilledWithCallsQueued},
		{"planted cookies", faultsPlantedCookies},
	} {
		t.Run(group.name, func(t *testing.T) {
			t.Parallel()
			f := startFleet(t, fleetConfig{processes: 3})
			group.run(f)
			stats := f.drained(time.Minute)
			assert.Zero(t, stats.GivenUp)
		})
	}
}

// reportKill checks a case of TestFaultKills: no API process accepted the
// session later than acceptBound after its logout returned, and Cognito
// ended it within endedBound.
func (f *apiFleet) reportKill(label string, refused refusal, ended time.Duration) {
	t := f.t
	t.Helper()
	after := checkRefusals(t, label, []refusal{refused})
	t.Logf("%s: refused by every API process %v after the logout returned (or, when it never did, after its call "+
		"reached Cognito); ended at Cognito %v after it could be", label, after[0].Round(time.Millisecond), ended.Round(time.Millisecond))
	assert.LessOrEqual(t, ended, endedBound, "%s: ended at Cognito", label)
}

// refusedAll is refusedEverywhere on every API process of f.
func (f *apiFleet) refusedAll(token string, since time.Time) refusal {
	return refusedEverywhere(f.hc, f.urls(), token, since)
}

// faultsStoreDown: the store killed, or hung, while a user logs out: the
// logout is not recorded, so it answers 503; once the store is back, the
// page's second try is.
func faultsStoreDown(f *apiFleet) {
	t := f.t
	for _, down := range []struct {
		name       string
		stop, back func()
	}{
		{"killed", f.redis.Kill, f.redis.Restart},
		{"hung", f.redis.Freeze, f.redis.Thaw},
	} {
		label := "store " + down.name + ", then back"
		s := f.signIn(label)
		down.stop()
		status, _ := f.post(f.servers[0], "/logout-all", s.this.AccessToken, s.this.RefreshToken)
		require.Equal(t, http.StatusServiceUnavailable, status, "%s: not recorded, so not done", label)
		down.back()
		back := time.Now()
		f.syncAll()
		// The page tries again, as the 503's Retry-After asks.
		status, returned := f.post(f.servers[0], "/logout-all", s.this.AccessToken, s.this.RefreshToken)
		require.Equal(t, http.StatusNoContent, status, label)
		f.reportKill(label, f.refusedAll(s.this.AccessToken, returned), f.endedAtCognito(back, s.mustEnd("/logout-all")...))
	}
}

// faultsKillBeforeTheCall: an API process SIGKILLed after its record,
// while its Cognito call hangs; the others carry the call.
func faultsKillBeforeTheCall(f *apiFleet) {
	t := f.t
	for _, tc := range []struct{ op, path string }{{"GlobalSignOut", "/logout-all"}, {"RevokeToken", "/logout"}} {
		label := "SIGKILL between the record and " + tc.op
		s := f.signIn(label)
		remove := f.cognito.InjectFault(tc.op, signouttest.Fault{Mode: signouttest.Hang})
		calls := f.cognito.Requests(tc.op)
		victim := f.servers[0]
		answered := make(chan int, 1)
		go func() {
			status, _ := f.post(victim, tc.path, s.this.AccessToken, s.this.RefreshToken)
			answered <- status
		}()
		sent := time.Now()
		for f.cognito.Requests(tc.op) == calls {
			require.Less(t, time.Since(sent), 10*time.Second, "%s: the call reaches Cognito", label)
			<-time.After(time.Millisecond)
		}
		// No answer will come: the others' refusal is timed from the call,
		// made after the record.
		refused := refusedEverywhere(f.hc, f.urls()[1:], s.this.AccessToken, time.Now())
		victim.kill()
		require.Zero(t, <-answered, "%s: the process died before answering", label)
		remove()
		ended := f.endedAtCognito(time.Now(), s.mustEnd(tc.path)...)
		f.servers[0] = f.startAPI()
		f.reportKill(label, refused, ended)
	}
}

// faultsKillWhileDraining: the API process whose call from the outbox
// hangs is SIGKILLed while it holds the entry's lease; another makes the
// call when the lease ends.
func faultsKillWhileDraining(f *apiFleet) {
	t := f.t
	ctx := context.Background()
	rdb := client(t, f.redis)
	label := "SIGKILL of the process draining the outbox"
	s := f.signIn(label)
	remove := f.cognito.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.Hang})
	status, returned := f.post(f.servers[0], "/logout-all", s.this.AccessToken, s.this.RefreshToken)
	require.Equal(t, http.StatusAccepted, status, label)
	refused := f.refusedAll(s.this.AccessToken, returned)
	owners := map[string]int{}
	for i := range f.servers {
		owners[f.owner(i)] = i
	}
	// Find the process whose call from the outbox hangs, and kill it
	// while it holds the entry's lease.
	killed := -1
	for start := time.Now(); killed < 0; {
		require.Less(t, time.Since(start), 30*time.Second, "%s: a process takes the entry", label)
		leased, err := rdb.ZRange(ctx, defaultPrefix+keyLeased, 0, -1).Result()
		require.NoError(t, err)
		if len(leased) == 1 {
			owner, err := rdb.HGet(ctx, defaultPrefix+keyEntry+leased[0], "owner").Result()
			require.NoError(t, err)
			if i, ok := owners[owner]; ok {
				f.servers[i].kill()
				stillLeased := rdb.ZScore(ctx, defaultPrefix+keyLeased, leased[0]).Err() == nil
				f.servers[i] = f.startAPI()
				if stillLeased {
					killed = i
				}
			}
		}
		<-time.After(5 * time.Millisecond)
	}
	remove()
	f.reportKill(fmt.Sprintf("%s (process %d)", label, killed), refused, f.endedAtCognito(time.Now(), s.mustEnd("/logout-all")...))
}

// faultsRedisKilledWithCallsQueued: Redis SIGKILLed while the outbox holds
// calls Cognito failed; after its restart every process, and one started
// after it, still refuses the sessions, and the outbox ends them.
func faultsRedisKilledWithCallsQueued(f *apiFleet) {
	t := f.t
	label := "Redis SIGKILLed with calls queued"
	a, b := f.signIn(label+" a"), f.signIn(label+" b")
	remove := []func(){
		f.cognito.InjectFault("GlobalSignOut", faultModes[1].fault),
		f.cognito.InjectFault("RevokeToken", faultModes[1].fault),
	}
	status, returnedA := f.post(f.servers[0], "/logout-all", a.this.AccessToken, a.this.RefreshToken)
	require.Equal(t, http.StatusAccepted, status, label)
	refusedA := f.refusedAll(a.this.AccessToken, returnedA)
	status, returnedB := f.post(f.servers[1], "/logout", b.this.AccessToken, b.this.RefreshToken)
	require.Equal(t, http.StatusAccepted, status, label)
	refusedB := f.refusedAll(b.this.AccessToken, returnedB)
	f.redis.Kill()
	f.redis.Restart()
	f.syncAll()
	f.replace(2) // a process that starts after the restart
	for _, tok := range []string{a.this.AccessToken, b.this.AccessToken} {
		require.True(t, f.everywhere(tok, http.StatusUnauthorized), "%s: still refused after the restart", label)
	}
	for _, r := range remove {
		r()
	}
	back := time.Now()
	ended := f.endedAll(back, [][]string{a.mustEnd("/logout-all"), b.mustEnd("/logout")})
	f.reportKill(label+", GlobalSignOut", refusedA, ended[0])
	f.reportKill(label+", RevokeToken", refusedB, ended[1])
}

// faultsPlantedCookies: cookies planted beside the user's, the browser
// sending them first, with Cognito up or RevokeToken throttled: the user's
// session ends, and the user's other session lives on.
func faultsPlantedCookies(f *apiFleet) {
	t := f.t
	for _, fault := range []struct {
		name string
		op   string
	}{{"Cognito up", ""}, {"RevokeToken throttled", "RevokeToken"}} {
		label := "planted cookies, " + fault.name
		s := f.signIn(label)
		planter := f.cognito.SignIn("planter") // the attacker's own session, from a sibling subdomain
		end := func() {}
		if fault.op != "" {
			end = f.cognito.InjectFault(fault.op, faultModes[0].fault)
		}
		// The browser sends the planted cookies first.
		status, returned := f.post(f.servers[0], "/logout", "planted.junk", "planted-junk-refresh-token", planter.AccessToken, planter.RefreshToken,
			s.this.AccessToken, s.this.RefreshToken)
		refused := f.refusedAll(s.this.AccessToken, returned)
		end()
		ended := f.endedAtCognito(time.Now(), s.mustEnd("/logout")...)
		t.Logf("%s: answered %d", label, status)
		f.reportKill(label, refused, ended)
		assert.True(t, f.cognito.Accepts(s.other.RefreshToken), "%s: the user's other session lives on", label)
	}
}
