package signouttest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

// breachEnv names, for a copy of this test binary, the breach of the
// contract that TestRevocationStoreFindsBreaches checks a store with.
const breachEnv = "SIGNOUTTEST_BREACH"

// The breaches of the contract a breachingStore commits.
const (
	noBreach        = "none"
	leasesTwice     = "Claim returns the last Claim's entries again"
	reversed        = "Claim returns the latest Due first"
	dropsAttempts   = "Claim returns no Attempts"
	neverEnds       = "leases never end"
	endsEarly       = "leases end 5 ms early"
	overwrites      = "Enqueue replaces a present entry"
	neverForward    = "Enqueue never brings Due forward"
	forwardsLeased  = "Enqueue brings a leased entry's Due forward"
	anyRescheduler  = "Reschedule works for any owner"
	absentIsAnError = "Complete of an absent entry is an error"
	noOldest        = "Pending has no oldest Created"
)

// breachingStore is a revocation.Store that commits one breach.
type breachingStore struct {
	*revocation.Store
	breach string

	mu      sync.Mutex
	present map[string]bool                // the IDs enqueued and not completed
	leased  map[string]signout.OutboxEntry // each ID's entry as Claim last returned it
	owners  map[string]string              // the owner of each ID's last lease
	last    []signout.OutboxEntry          // the last Claim's entries
}

func newBreachingStore(breach string) *breachingStore {
	return &breachingStore{Store: revocation.New(), breach: breach, present: map[string]bool{},
		leased: map[string]signout.OutboxEntry{}, owners: map[string]string{}}
}

func (s *breachingStore) Enqueue(ctx context.Context, e signout.OutboxEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.present[e.ID] {
		switch s.breach {
		case overwrites:
			s.Store.Complete(ctx, e.ID)
		case neverForward:
			return nil
		case forwardsLeased:
			if l, ok := s.leased[e.ID]; ok && e.Due.Before(l.Due) {
				l.Due = e.Due
				return s.Store.Reschedule(ctx, s.owners[e.ID], l)
			}
		}
	}
	s.present[e.ID] = true
	return s.Store.Enqueue(ctx, e)
}

func (s *breachingStore) Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	switch s.breach {
	case neverEnds:
		lease = time.Hour
	case endsEarly:
		lease -= 5 * time.Millisecond
	}
	got, err := s.Store.Claim(ctx, owner, lease, max)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range got {
		s.leased[e.ID], s.owners[e.ID] = e, owner
	}
	switch s.breach {
	case leasesTwice:
		for _, e := range s.last {
			if s.present[e.ID] && !slices.ContainsFunc(got, func(g signout.OutboxEntry) bool { return g.ID == e.ID }) {
				got = append(got, e)
			}
		}
		s.last = got
	case reversed:
		slices.Reverse(got)
	case dropsAttempts:
		for i := range got {
			got[i].Attempts = 0
		}
	}
	return got, err
}

func (s *breachingStore) Reschedule(ctx context.Context, owner string, e signout.OutboxEntry) error {
	if s.breach == anyRescheduler {
		s.mu.Lock()
		if o, ok := s.owners[e.ID]; ok {
			owner = o
		}
		s.mu.Unlock()
	}
	return s.Store.Reschedule(ctx, owner, e)
}

func (s *breachingStore) Complete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.breach == absentIsAnError && !s.present[id] {
		return errors.New("no such entry")
	}
	delete(s.present, id)
	delete(s.leased, id)
	return s.Store.Complete(ctx, id)
}

func (s *breachingStore) Pending(ctx context.Context) (int, time.Time, error) {
	n, oldest, err := s.Store.Pending(ctx)
	if s.breach == noOldest {
		oldest = time.Time{}
	}
	return n, oldest, err
}

// failed matches the line of a failed clause in a copy's verbose output.
var failed = regexp.MustCompile(`(?m)^\s*--- FAIL: TestRevocationStoreFindsBreaches/(\S+/\S+) \(`)

// TestRevocationStoreFindsBreaches runs the check on a store for each
// breach, each in a copy of this test binary, all at once, and sees the
// clauses breached fail, and none on the store without a breach.
func TestRevocationStoreFindsBreaches(t *testing.T) {
	if breach := os.Getenv(breachEnv); breach != "" {
		signouttest.TestRevocationStore(t, func(*testing.T) signout.RevocationStore { return newBreachingStore(breach) })
		return
	}
	waitOut := []string{"Claim/a_lease_holds_until_it_ends", "Enqueue/a_leased_entry_keeps_its_Due",
		"Reschedule/by_another_owner_changes_nothing", "Reschedule/by_a_former_owner_changes_nothing"}
	tests := []struct {
		breach string
		fails  []string
		any    bool   // one of fails is enough: the check looks for a lease that ends early, and a busy machine may hide it
		run    string // the clauses to check, when not all: a breach that keeps leases waits out each
	}{
		{breach: noBreach},
		{breach: leasesTwice, fails: []string{"Claim/a_lease_holds_until_it_ends", "Claim/many_owners_at_once_lease_each_entry_once"}},
		{breach: reversed, fails: []string{"Claim/leases_due_entries_earliest_first_up_to_max"}},
		{breach: dropsAttempts, fails: []string{"Claim/returns_entries_as_given"}},
		{breach: neverEnds, fails: []string{"Claim/a_lease_holds_until_it_ends"}, run: "^Claim$/^a_lease_holds_until_it_ends$"},
		{breach: endsEarly, fails: waitOut, any: true},
		{breach: overwrites, fails: []string{"Enqueue/a_present_ID_keeps_the_first_entry"}},
		{breach: neverForward, fails: []string{"Enqueue/an_earlier_Due_brings_an_unleased_entry_forward", "Enqueue/an_entry_whose_lease_ended_is_brought_forward"}},
		{breach: forwardsLeased, fails: []string{"Enqueue/a_leased_entry_keeps_its_Due"}},
		{breach: anyRescheduler, fails: []string{"Reschedule/by_another_owner_changes_nothing", "Reschedule/by_a_former_owner_changes_nothing"}},
		{breach: absentIsAnError, fails: []string{"Complete/of_an_absent_entry_is_no_error"}},
		{breach: noOldest, fails: []string{"Pending/counts_leased_entries_and_finds_the_oldest_Created"}},
	}
	type copyRun struct {
		out  bytes.Buffer
		cmd  *exec.Cmd
		done chan error
	}
	runs := make([]*copyRun, len(tests))
	for i, tc := range tests {
		r := &copyRun{done: make(chan error, 1)}
		r.cmd = exec.Command(os.Args[0], "-test.run=^TestRevocationStoreFindsBreaches$/"+tc.run, "-test.v", "-test.timeout=1m")
		r.cmd.Env = append(os.Environ(), breachEnv+"="+tc.breach)
		r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
		require.NoError(t, r.cmd.Start())
		go func() { r.done <- r.cmd.Wait() }()
		runs[i] = r
	}
	for i, tc := range tests {
		t.Run(tc.breach, func(t *testing.T) {
			err := <-runs[i].done
			out := runs[i].out.Bytes()
			var got []string
			for _, m := range failed.FindAllSubmatch(out, -1) {
				got = append(got, string(m[1]))
			}
			t.Logf("failed: %q", got)
			if tc.fails == nil {
				require.NoError(t, err, "%s", out)
				assert.Empty(t, got)
				return
			}
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the check fails: %s", out)
			if tc.any {
				assert.True(t, slices.ContainsFunc(tc.fails, func(c string) bool { return slices.Contains(got, c) }), "one of %q fails: %s", tc.fails, out)
				return
			}
			for _, clause := range tc.fails {
				assert.Contains(t, got, clause, "%s", out)
			}
		})
	}
}
