package signouttest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitogo/signout"
)

// The check's leases: one that outlasts the check, and one short enough to
// watch end.
const (
	longLease  = time.Hour
	shortLease = 200 * time.Millisecond
	// leaseSlack is how long after its end a short lease may still hold,
	// for a store's clock reading, before the check calls it unended.
	leaseSlack = time.Second
	// callTimeout bounds each call the check makes.
	callTimeout = 10 * time.Second
)

// TestRevocationStore checks that a signout.RevocationStore keeps the
// contract its documentation states, as testing/fstest.TestFS checks an
// fs.FS. For a store of your own (on DynamoDB, Postgres, ...), call it from
// a test with a function that opens a fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		signouttest.TestRevocationStore(t, func(t *testing.T) signout.RevocationStore {
//			s := mystore.New(testDB(t), mystore.WithPrefix(t.Name()))
//			t.Cleanup(s.Close)
//			return s
//		})
//	}
//
// It runs a subtest for each clause, named for it (such as
// "Claim/a_lease_holds_until_it_ends"), and calls open once in each with
// the subtest's t; the stores must not share their outbox, and the check
// writes to them. It checks that Claim returns entries with the fields
// Enqueue gave (ID, Created and Due to the nanosecond, Attempts, and Data
// byte for byte, not the caller's buffer) or Reschedule set; that Claim
// leases due entries, earliest Due first, up to max (none for max 0), and
// never one a lease holds, even to many owners claiming at once, until the
// lease ends; that Enqueue of a present ID keeps the first entry and brings
// its Due forward only when no lease holds it; that Reschedule works for
// the owner of the last lease alone and Complete for anyone, neither minds
// an absent entry, and an ID queued again after Complete is a new entry;
// and that Pending counts the entries, leased or not, and finds the oldest
// Created.
//
// Revoke's records are read through the store's own reader (such as
// verify.RevocationStore's Revoked), which this interface lacks: the check
// only sees Revoke accept a record of each kind (pool, user, session) and
// leave the outbox alone, and a store's own tests must show the records
// are kept.
//
// The check reads times on the test's clock, a store on its own: entries
// are due minutes or hours from now, so that clocks seconds apart agree on
// what is due, and leases of 200 milliseconds are watched to end on real
// time (a store must time them to 20 milliseconds), so that the check takes
// one to two seconds. It cannot see what needs more than one process:
// durability, deadlines kept while the store hangs, processes sharing it.
func TestRevocationStore(t *testing.T, open func(t *testing.T) signout.RevocationStore) {
	t.Helper()
	for _, group := range []struct {
		method string
		checks []storeCheck
	}{
		{"Revoke", []storeCheck{
			{"accepts a record of each kind and leaves the outbox alone", checkRevoke},
		}},
		{"Claim", []storeCheck{
			{"returns entries as given", checkClaimAsGiven},
			{"leases due entries earliest first up to max", checkClaimOrder},
			{"a lease holds until it ends", checkLeaseEnds},
			{"many owners at once lease each entry once", checkClaimOnce},
		}},
		{"Enqueue", []storeCheck{
			{"a present ID keeps the first entry", checkEnqueueKeepsFirst},
			{"an earlier Due brings an unleased entry forward", checkEnqueueBringsForward},
			{"a leased entry keeps its Due", checkEnqueueLeased},
			{"an entry whose lease ended is brought forward", checkEnqueueLeaseEnded},
			{"one ID from many callers at once is one entry", checkEnqueueOnce},
		}},
		{"Reschedule", []storeCheck{
			{"by the owner sets Due Attempts and Data and ends the lease", checkRescheduleOwner},
			{"by the owner after its lease ended", checkRescheduleAfterLease},
			{"by another owner changes nothing", checkRescheduleOther},
			{"by a former owner changes nothing", checkRescheduleFormer},
			{"of an absent entry changes nothing", checkRescheduleAbsent},
		}},
		{"Complete", []storeCheck{
			{"removes an entry leased or not", checkComplete},
			{"an ID queued again after it is a new entry", checkCompleteRequeue},
			{"of an absent entry is no error", checkCompleteAbsent},
		}},
		{"Pending", []storeCheck{
			{"of an empty outbox is zero", checkPendingEmpty},
			{"counts leased entries and finds the oldest Created", checkPending},
		}},
	} {
		t.Run(group.method, func(t *testing.T) {
			for _, c := range group.checks {
				t.Run(c.name, func(t *testing.T) {
					c.run(&storeTest{t: t, s: open(t), ctx: t.Context(), now: time.Now().Round(0)})
				})
			}
		})
	}
}

// storeCheck is one clause of the contract.
type storeCheck struct {
	name string
	run  func(st *storeTest)
}

// storeTest is a store under check, with the time the check began: the
// entries' times are set from it.
type storeTest struct {
	t   *testing.T
	s   signout.RevocationStore
	ctx context.Context
	now time.Time
}

// entry returns the n-th entry of a check, due at due from st.now and
// created a minute before, with a 32-hex-digit ID as the Client's.
func (st *storeTest) entry(n int, due time.Duration) signout.OutboxEntry {
	id := fmt.Sprintf("%032x", n)
	return signout.OutboxEntry{ID: id, Created: st.now.Add(-time.Minute), Due: st.now.Add(due), Data: []byte("sealed " + id)}
}

// call gives a store's method the check's per-call deadline.
func (st *storeTest) call(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(st.ctx, callTimeout)
	defer cancel()
	return f(ctx)
}

func (st *storeTest) enqueue(es ...signout.OutboxEntry) {
	st.t.Helper()
	for _, e := range es {
		if err := st.call(func(ctx context.Context) error { return st.s.Enqueue(ctx, e) }); err != nil {
			st.t.Fatalf("Enqueue(%s): %v", show(e), err)
		}
	}
}

func (st *storeTest) claim(owner string, lease time.Duration, max int) []signout.OutboxEntry {
	st.t.Helper()
	var got []signout.OutboxEntry
	err := st.call(func(ctx context.Context) (err error) {
		got, err = st.s.Claim(ctx, owner, lease, max)
		return err
	})
	if err != nil {
		st.t.Fatalf("Claim(%q, %v, %d): %v", owner, lease, max, err)
	}
	return got
}

// claimNone checks that owner's Claim leases nothing, saying why not.
func (st *storeTest) claimNone(owner, why string) {
	st.t.Helper()
	if got := st.claim(owner, longLease, 10); len(got) > 0 {
		st.t.Errorf("Claim by %s leased %s; want none: %s", owner, ids(got), why)
	}
}

// claimOne checks that owner's Claim leases the one entry want, with its
// fields, and returns it.
func (st *storeTest) claimOne(owner string, lease time.Duration, want signout.OutboxEntry, why string) signout.OutboxEntry {
	st.t.Helper()
	got := st.claim(owner, lease, 10)
	if len(got) != 1 || got[0].ID != want.ID {
		st.t.Fatalf("Claim by %s leased %s; want only %s: %s", owner, ids(got), want.ID, why)
	}
	st.same(got[0], want, why)
	return got[0]
}

func (st *storeTest) reschedule(owner string, e signout.OutboxEntry) {
	st.t.Helper()
	if err := st.call(func(ctx context.Context) error { return st.s.Reschedule(ctx, owner, e) }); err != nil {
		st.t.Fatalf("Reschedule(%q, %s): %v; want nil", owner, show(e), err)
	}
}

func (st *storeTest) complete(id string) {
	st.t.Helper()
	if err := st.call(func(ctx context.Context) error { return st.s.Complete(ctx, id) }); err != nil {
		st.t.Fatalf("Complete(%s): %v; want nil", id, err)
	}
}

// pending checks that the outbox holds n entries, the oldest created at
// oldest (zero when n is 0).
func (st *storeTest) pending(n int, oldest time.Time, why string) {
	st.t.Helper()
	var gotN int
	var gotOldest time.Time
	err := st.call(func(ctx context.Context) (err error) {
		gotN, gotOldest, err = st.s.Pending(ctx)
		return err
	})
	if err != nil {
		st.t.Fatalf("Pending: %v", err)
	}
	if gotN != n || !gotOldest.Equal(oldest) {
		st.t.Errorf("Pending = %d, oldest %s; want %d, %s: %s", gotN, showTime(gotOldest), n, showTime(oldest), why)
	}
}

// same checks that got has want's fields.
func (st *storeTest) same(got, want signout.OutboxEntry, why string) {
	st.t.Helper()
	if got.ID != want.ID || !got.Created.Equal(want.Created) || !got.Due.Equal(want.Due) ||
		got.Attempts != want.Attempts || !bytes.Equal(got.Data, want.Data) {
		st.t.Errorf("Claim returned %s; want %s: %s", show(got), show(want), why)
	}
}

// reclaim waits for the short lease owner took at leased, in a Claim that
// returned at returned, to end, claiming by other until e comes back, and
// returns it. A Claim that returns e before the lease can have ended on
// any clock fails the check: e was leased twice. It claims every
// shortLease/20, and back to back from shortLease/20 before the lease's end
// to 5 milliseconds after, to see a lease that ends a little early.
func (st *storeTest) reclaim(other string, e signout.OutboxEntry, leased, returned time.Time, why string) signout.OutboxEntry {
	st.t.Helper()
	deadline := time.NewTimer(time.Until(returned.Add(shortLease + leaseSlack)))
	defer deadline.Stop()
	end := leased.Add(shortLease)
	for {
		got := st.claim(other, longLease, 10)
		if i := slices.IndexFunc(got, func(g signout.OutboxEntry) bool { return g.ID == e.ID }); i >= 0 {
			if early := time.Since(leased); early < shortLease {
				st.t.Errorf("Claim by %s leased %s %v after it was leased for %v: a lease holds until it ends (%s)",
					other, e.ID, early.Round(time.Microsecond), shortLease, why)
			}
			return got[i]
		}
		if len(got) > 0 {
			st.t.Fatalf("Claim by %s leased %s; want only %s, once its lease ends", other, ids(got), e.ID)
		}
		tick := shortLease / 20
		wait := tick
		switch until := time.Until(end); {
		case until < -5*time.Millisecond:
		case until < tick:
			wait = 0
		case until-tick < wait:
			wait = until - tick
		}
		select {
		case <-time.After(wait):
		case <-deadline.C:
			// One last Claim, begun after the slack: a Claim that began
			// before it may have been slow to answer.
			got := st.claim(other, longLease, 10)
			if i := slices.IndexFunc(got, func(g signout.OutboxEntry) bool { return g.ID == e.ID }); i >= 0 {
				return got[i]
			}
			st.t.Fatalf("Claim by %s did not lease %s within %v of its %v lease's end: an entry whose lease ends is claimable again",
				other, e.ID, leaseSlack, shortLease)
		}
	}
}

// leaseShort leases e alone to owner for the short lease, and returns when
// the Claim began and returned, and the entry it returned.
func (st *storeTest) leaseShort(owner string, e signout.OutboxEntry) (leased, returned time.Time, got signout.OutboxEntry) {
	st.t.Helper()
	leased = time.Now()
	got = st.claimOne(owner, shortLease, e, "due, and no lease holds it")
	return leased, time.Now(), got
}

// leaseOut enqueues e, leases it to owner for the short lease, and waits
// until the lease has ended on the store's clock, however far that is from
// the test's, as long as both run at the same rate: waiting is the only way
// to see a lease end without claiming the entry again.
func (st *storeTest) leaseOut(owner string, e signout.OutboxEntry) {
	st.t.Helper()
	st.enqueue(e)
	_, returned, _ := st.leaseShort(owner, e)
	<-time.After(time.Until(returned.Add(shortLease + shortLease/10)))
}

func checkRevoke(st *storeTest) {
	const pool = "us-east-1_AAAAAAAAA"
	at := st.now.Add(-time.Second)
	for _, r := range []signout.Revocation{
		{UserPoolID: pool, At: at, Expires: st.now.Add(time.Hour)},
		{UserPoolID: pool, Subject: "alice", At: at, Expires: st.now.Add(time.Hour)},
		{UserPoolID: pool, Subject: "bob", OriginJTI: "session-1", At: at, Expires: st.now.Add(time.Hour)},
	} {
		if err := st.call(func(ctx context.Context) error { return st.s.Revoke(ctx, r) }); err != nil {
			st.t.Errorf("Revoke(%+v): %v; want nil", r, err)
		}
	}
	st.pending(0, time.Time{}, "Revoke adds no outbox entry")
}

func checkClaimAsGiven(st *storeTest) {
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	full := signout.OutboxEntry{ID: fmt.Sprintf("%032x", 1), Created: st.now.Add(-time.Hour + 123*time.Nanosecond),
		Due: st.now.Add(-time.Minute + 456*time.Nanosecond), Attempts: 3, Data: every}
	bare := signout.OutboxEntry{ID: fmt.Sprintf("%032x", 2), Created: st.now.Add(-time.Hour), Due: st.now.Add(-time.Minute + 789)}
	given := bytes.Clone(every)
	st.enqueue(signout.OutboxEntry{ID: full.ID, Created: full.Created, Due: full.Due, Attempts: full.Attempts, Data: given}, bare)
	clear(given) // the caller's buffer is the caller's again
	got := st.claim("owner-1", longLease, 10)
	if len(got) != 2 {
		st.t.Fatalf("Claim leased %s; want both due entries", ids(got))
	}
	if got[0].ID != full.ID {
		got[0], got[1] = got[1], got[0]
	}
	st.same(got[0], full, "an entry comes back as it was given, its Data byte for byte and its times to the nanosecond")
	st.same(got[1], bare, "an entry without Data or Attempts comes back as given")
}

func checkClaimOrder(st *storeTest) {
	a, b, c, later := st.entry(1, -3*time.Minute), st.entry(2, -2*time.Minute), st.entry(3, -time.Minute), st.entry(4, time.Hour)
	st.enqueue(c, later, a, b)
	if got := st.claim("owner-1", longLease, 0); len(got) > 0 {
		st.t.Errorf("Claim with max 0 leased %s; want none", ids(got))
	}
	var got []signout.OutboxEntry
	_ = st.call(func(ctx context.Context) (err error) { // an error is no breach
		got, err = st.s.Claim(ctx, "owner-1", longLease, -1)
		return err
	})
	if len(got) > 0 {
		st.t.Errorf("Claim with max -1 leased %s; want none", ids(got))
	}
	got = st.claim("owner-1", longLease, 2)
	if want := ids([]signout.OutboxEntry{a, b}); ids(got) != want {
		st.t.Errorf("Claim(max 2) leased %s; want %s: earliest Due first, at most max", ids(got), want)
	}
	got = st.claim("owner-2", longLease, 10)
	if want := ids([]signout.OutboxEntry{c}); ids(got) != want {
		st.t.Errorf("Claim by another owner leased %s; want %s: the rest that is due, and none a lease holds", ids(got), want)
	}
	st.claimNone("owner-3", "every due entry is leased, and the last is due in an hour")
}

func checkLeaseEnds(st *storeTest) {
	e := st.entry(1, -time.Minute)
	given := e
	given.Data = bytes.Clone(e.Data)
	st.enqueue(given)
	leased, returned, held := st.leaseShort("owner-1", e)
	clear(held.Data) // the caller's copy to do with as it likes
	got := st.reclaim("owner-2", e, leased, returned, "no Reschedule or Complete")
	st.same(got, e, "the entry as given: the Data a Claim returned is the caller's")
}

func checkClaimOnce(st *storeTest) {
	const entries, owners = 200, 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range owners {
		wg.Go(func() {
			<-start
			for n := w; n < entries; n += owners {
				e := st.entry(n, -time.Minute)
				if err := st.call(func(ctx context.Context) error { return st.s.Enqueue(ctx, e) }); err != nil {
					st.t.Errorf("Enqueue(%s): %v", e.ID, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if st.t.Failed() {
		return
	}

	var mu sync.Mutex
	seen := map[string][]string{} // the owners that leased each entry
	start = make(chan struct{})
	for w := range owners {
		owner := fmt.Sprint("owner-", w)
		wg.Go(func() {
			<-start
			for range entries + 1 { // a Claim that leases none ends the loop before
				var got []signout.OutboxEntry
				err := st.call(func(ctx context.Context) (err error) {
					got, err = st.s.Claim(ctx, owner, longLease, 3)
					return err
				})
				if err != nil {
					st.t.Errorf("Claim by %s: %v", owner, err)
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					seen[e.ID] = append(seen[e.ID], owner)
				}
				mu.Unlock()
			}
			st.t.Errorf("Claim by %s leased entries %d times over: the %d entries are leased by then", owner, entries+1, entries)
		})
	}
	close(start)
	wg.Wait()
	var twice []string
	for id, by := range seen {
		if len(by) > 1 {
			twice = append(twice, fmt.Sprintf("%s %d times (to %s, then %s)", id, len(by), by[0], by[1]))
		}
	}
	if len(twice) > 0 {
		slices.Sort(twice)
		st.t.Errorf("%d of %d entries were leased more than once, such as %s: two Claims racing never lease the same entry",
			len(twice), entries, strings.Join(twice[:min(len(twice), 3)], "; "))
	}
	if len(seen) != entries {
		st.t.Errorf("the Claims leased %d entries between them; want all %d", len(seen), entries)
	}
}

func checkEnqueueKeepsFirst(st *storeTest) {
	first := st.entry(1, -time.Minute)
	first.Attempts = 1
	again := signout.OutboxEntry{ID: first.ID, Created: st.now, Due: st.now.Add(time.Hour), Attempts: 5, Data: []byte("second")}
	st.enqueue(first, again)
	st.pending(1, first.Created, "the same ID queued twice is one entry")
	st.claimOne("owner-1", longLease, first, "the first entry, with its Created, Due, Attempts and Data")
}

func checkEnqueueBringsForward(st *storeTest) {
	first := st.entry(1, time.Hour)
	earlier := signout.OutboxEntry{ID: first.ID, Created: st.now, Due: st.now.Add(-time.Minute), Attempts: 5, Data: []byte("second")}
	st.enqueue(first)
	st.claimNone("owner-1", "it is due in an hour")
	st.enqueue(earlier)
	want := first
	want.Due = earlier.Due
	st.claimOne("owner-1", longLease, want, "the first entry, due at the earlier Due")
}

func checkEnqueueLeased(st *storeTest) {
	// The Enqueue must come while the short lease holds: on a machine or a
	// store slow enough to miss it, try again with another entry.
	const tries = 3
	for n := 1; ; n++ {
		first := st.entry(n, -time.Minute)
		st.enqueue(first)
		leased, returned, _ := st.leaseShort("owner-1", first)
		earlier := first
		earlier.Due = st.now.Add(-2 * time.Minute)
		st.enqueue(earlier)
		if took := time.Since(leased); took >= shortLease {
			if n == tries {
				st.t.Fatalf("Claim and Enqueue took %v, longer than the check's %v lease, %d times: the store is too slow for the check",
					took.Round(time.Millisecond), shortLease, tries)
			}
			st.complete(first.ID)
			continue
		}
		got := st.reclaim("owner-2", first, leased, returned, "an Enqueue of its ID does not end a lease")
		st.same(got, first, "an Enqueue while a lease holds the entry does not bring its Due forward")
		return
	}
}

func checkEnqueueLeaseEnded(st *storeTest) {
	first := st.entry(1, -time.Minute)
	st.leaseOut("owner-1", first)
	earlier := first
	earlier.Due = st.now.Add(-2 * time.Minute)
	st.enqueue(earlier)
	st.claimOne("owner-2", longLease, earlier, "its lease ended: no lease holds it, and the earlier Due wins")
}

func checkEnqueueOnce(st *storeTest) {
	const callers = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	data := make([][]byte, callers)
	for i := range callers {
		data[i] = fmt.Appendf(nil, "from caller %d", i)
		wg.Go(func() {
			<-start
			e := st.entry(1, -time.Minute)
			e.Data = data[i]
			if err := st.call(func(ctx context.Context) error { return st.s.Enqueue(ctx, e) }); err != nil {
				st.t.Errorf("Enqueue by caller %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	e := st.entry(1, -time.Minute)
	st.pending(1, e.Created, "one ID is one entry, however many queue it at once")
	got := st.claim("owner-1", longLease, 10)
	if len(got) != 1 || !slices.ContainsFunc(data, func(d []byte) bool { return bytes.Equal(d, got[0].Data) }) {
		st.t.Errorf("Claim returned %s; want one entry, with the Data one caller gave", ids(got))
	}
}

func checkRescheduleOwner(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.enqueue(e)
	st.claimOne("owner-1", longLease, e, "due")
	again := signout.OutboxEntry{ID: e.ID, Created: st.now, Due: st.now.Add(-2 * time.Minute), Attempts: 1, Data: []byte("rescheduled")}
	st.reschedule("owner-1", again)
	want := again
	want.Created, want.Data = e.Created, bytes.Clone(again.Data)
	clear(again.Data) // the caller's buffer is the caller's again
	st.claimOne("owner-2", longLease, want, "Reschedule by the owner sets Due, Attempts and Data, keeps Created, and ends the lease")

	later := want
	later.Due, later.Attempts = st.now.Add(time.Hour), 2
	st.reschedule("owner-2", later)
	st.claimNone("owner-3", "rescheduled for an hour from now")
	st.pending(1, e.Created, "a rescheduled entry stays in the outbox")
}

func checkRescheduleAfterLease(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.leaseOut("owner-1", e)
	again := e
	again.Due, again.Attempts, again.Data = st.now.Add(-2*time.Minute), 1, []byte("rescheduled")
	st.reschedule("owner-1", again)
	st.claimOne("owner-2", longLease, again, "owner-1's Claim was the last to lease it: its Reschedule counts though the lease ended")
}

func checkRescheduleOther(st *storeTest) {
	e, unleased := st.entry(1, -time.Minute), st.entry(2, time.Hour)
	st.enqueue(e, unleased)
	leased, returned, _ := st.leaseShort("owner-1", e)
	changed := e
	changed.Due, changed.Attempts, changed.Data = st.now.Add(-2*time.Minute), 7, []byte("changed")
	st.reschedule("owner-2", changed)
	got := st.reclaim("owner-3", e, leased, returned, "another owner's Reschedule does not end the lease")
	st.same(got, e, "another owner's Reschedule changes nothing")

	due := unleased
	due.Due = st.now.Add(-time.Minute)
	st.reschedule("owner-2", due)
	st.reschedule("", due)
	st.claimNone("owner-3", "no Claim leased it: a Reschedule by any owner, even \"\", changes nothing, and it is due in an hour")
}

func checkRescheduleFormer(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.enqueue(e)
	leased, returned, _ := st.leaseShort("killed", e)
	got := st.reclaim("owner-2", e, leased, returned, "no Reschedule or Complete")
	late := got
	late.Due, late.Attempts, late.Data = st.now.Add(-2*time.Minute), 7, []byte("late")
	st.reschedule("killed", late)
	st.claimNone("owner-3", "owner-2's lease holds: the Reschedule of the lease before changed nothing")

	mine := got
	mine.Due, mine.Attempts, mine.Data = st.now.Add(-3*time.Minute), 1, []byte("owner-2's")
	st.reschedule("owner-2", mine)
	st.claimOne("owner-3", longLease, mine, "owner-2's Claim was the last to lease it")
}

func checkRescheduleAbsent(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.reschedule("owner-1", e)
	st.pending(0, time.Time{}, "Reschedule of an absent entry adds none")
	st.claimNone("owner-1", "the outbox is empty")

	st.enqueue(e)
	st.claimOne("owner-1", longLease, e, "due")
	st.complete(e.ID)
	st.reschedule("owner-1", e)
	st.pending(0, time.Time{}, "Reschedule by its owner of a completed entry does not bring it back")
}

func checkComplete(st *storeTest) {
	a, b, c := st.entry(1, -time.Minute), st.entry(2, time.Minute), st.entry(3, time.Hour)
	st.enqueue(a, b, c)
	st.claimOne("owner-1", longLease, a, "the one due")
	st.complete(a.ID) // leased, by the owner's process or any other
	st.complete(b.ID) // not leased
	st.pending(1, c.Created, "Complete removes an entry, leased or not")
	st.complete(c.ID)
	st.pending(0, time.Time{}, "Complete removes every entry")
	st.claimNone("owner-2", "the outbox is empty")
}

func checkCompleteRequeue(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.enqueue(e)
	st.claimOne("owner-1", longLease, e, "due")
	st.complete(e.ID)
	again := signout.OutboxEntry{ID: e.ID, Created: st.now, Due: st.now.Add(time.Hour), Attempts: 2, Data: []byte("again")}
	st.enqueue(again)
	late := again
	late.Due = st.now.Add(-time.Minute)
	st.reschedule("owner-1", late)
	st.claimNone("owner-2", "owner-1 leased the completed entry, not this one, which is due in an hour")
	st.enqueue(late)
	st.claimOne("owner-2", longLease, late, "no lease holds the new entry: an earlier Due brings it forward")
}

func checkCompleteAbsent(st *storeTest) {
	e := st.entry(1, -time.Minute)
	st.complete(e.ID)
	st.enqueue(e)
	st.complete(e.ID)
	st.complete(e.ID)
	st.pending(0, time.Time{}, "Complete of an absent entry changes nothing")
}

func checkPendingEmpty(st *storeTest) {
	st.pending(0, time.Time{}, "the outbox is empty")
	st.claimNone("owner-1", "the outbox is empty")
}

func checkPending(st *storeTest) {
	a, b, c := st.entry(1, -time.Minute), st.entry(2, time.Minute), st.entry(3, time.Hour)
	a.Created, b.Created, c.Created = st.now.Add(-3*time.Hour+1), st.now.Add(-time.Hour), st.now.Add(-2*time.Hour)
	st.enqueue(b, a, c)
	st.claimOne("owner-1", longLease, a, "the one due first")
	st.pending(3, a.Created, "leased entries are pending too, and a is the oldest")
	st.complete(a.ID)
	st.pending(2, c.Created, "a is gone, c is the oldest")
}

// ids lists the IDs of es, for messages.
func ids(es []signout.OutboxEntry) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.ID
	}
	return "[" + strings.Join(s, " ") + "]"
}

// show formats e for a message, Data quoted and cut to 40 bytes.
func show(e signout.OutboxEntry) string {
	data := e.Data
	cut := ""
	if len(data) > 40 {
		data, cut = data[:40], fmt.Sprintf("... (%d bytes)", len(e.Data))
	}
	return fmt.Sprintf("{ID %s Created %s Due %s Attempts %d Data %q%s}", e.ID, showTime(e.Created), showTime(e.Due), e.Attempts, data, cut)
}

func showTime(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
