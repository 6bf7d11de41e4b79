package redisstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redistest"
)

func entry(id string, created, due time.Time) signout.OutboxEntry {
	return signout.OutboxEntry{ID: id, Created: created, Due: due, Data: []byte("sealed " + id)}
}

func ids(es []signout.OutboxEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func claim(t *testing.T, s *Store, owner string, lease time.Duration, max int) []signout.OutboxEntry {
	t.Helper()
	got, err := s.Claim(context.Background(), owner, lease, max)
	require.NoError(t, err)
	return got
}

// outboxKeys returns the outbox's keys in Redis.
func outboxKeys(t *testing.T, srv *redistest.Server) []string {
	t.Helper()
	keys, err := client(t, srv).Keys(context.Background(), defaultPrefix+"outbox:*").Result()
	require.NoError(t, err)
	return keys
}

// The tests move the Redis server's clock as the outbox reads it with
// clockOffset, set between calls.

func TestOutboxClaimsDueEntriesInOrder(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	t0 := time.Now()
	for _, e := range []signout.OutboxEntry{entry("c", t0, t0.Add(3*time.Second)), entry("a", t0.Add(time.Millisecond), t0.Add(time.Second)),
		entry("b", t0, t0.Add(2*time.Second)), entry("later", t0, t0.Add(time.Hour))} {
		require.NoError(t, s.Enqueue(ctx, e))
	}
	assert.Empty(t, claim(t, s, "p1", time.Minute, 10), "nothing is due yet")

	s.clockOffset = 3 * time.Second
	got := claim(t, s, "p1", time.Minute, 2)
	assert.Equal(t, []string{"a", "b"}, ids(got), "earliest Due first, at most max")
	assert.Equal(t, []byte("sealed a"), got[0].Data, "Data as given")
	assert.True(t, got[0].Created.Equal(t0.Add(time.Millisecond)), "Created to the nanosecond: %v", got[0].Created)
	assert.True(t, got[0].Due.Equal(t0.Add(time.Second)), "Due to the nanosecond")
	assert.Equal(t, []string{"c"}, ids(claim(t, s, "p2", time.Minute, 10)), "leased entries go to no one else")
	assert.Empty(t, claim(t, s, "p2", time.Minute, 0))

	n, oldest, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "leased entries are pending too")
	assert.True(t, oldest.Equal(t0), "oldest %v", oldest)
}

func TestOutboxEnqueueKeepsTheFirst(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.Enqueue(ctx, entry("a", now, now)))
	again := entry("a", now, now.Add(time.Hour))
	again.Data = []byte("second")
	require.NoError(t, s.Enqueue(ctx, again))
	s.clockOffset = time.Second
	got := claim(t, s, "p1", time.Minute, 10)
	require.Len(t, got, 1)
	assert.Equal(t, []byte("sealed a"), got[0].Data)

	require.NoError(t, s.Complete(ctx, "a"))

	// An earlier Due brings the entry forward, unless a lease holds it.
	require.NoError(t, s.Enqueue(ctx, entry("b", now, now.Add(time.Hour))))
	earlier := entry("b", now, now.Add(time.Minute))
	earlier.Data = []byte("second")
	require.NoError(t, s.Enqueue(ctx, earlier))
	s.clockOffset = time.Minute
	got = claim(t, s, "p1", time.Minute, 10)
	require.Len(t, got, 1, "due a minute from now, not an hour")
	assert.Equal(t, []byte("sealed b"), got[0].Data, "the first entry, brought forward")
	assert.True(t, got[0].Due.Equal(earlier.Due))
	earlier.Due = now
	require.NoError(t, s.Enqueue(ctx, earlier))
	assert.Empty(t, claim(t, s, "p2", time.Minute, 10), "leased: not brought forward")
	s.clockOffset = 2 * time.Minute
	require.NoError(t, s.Enqueue(ctx, earlier))
	got = claim(t, s, "p2", time.Minute, 10)
	require.Len(t, got, 1, "its lease ended: brought forward")
	assert.True(t, got[0].Due.Equal(now))

	err := s.Enqueue(ctx, signout.OutboxEntry{})
	require.ErrorIs(t, err, signout.ErrInvalidParameter, "an entry needs an ID")
	big := entry("big", now, now)
	big.Data = make([]byte, 64<<10+1)
	require.ErrorIs(t, s.Enqueue(ctx, big), signout.ErrInvalidParameter, "Data is bounded")
	n, _, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "nothing written for the refused entries")
}

// TestOutboxLeaseEnds: an entry whose holder stopped is claimable once
// its lease ends, and the stopped holder can no longer put it back.
func TestOutboxLeaseEnds(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.Enqueue(ctx, entry("a", now, now)))
	require.Len(t, claim(t, s, "killed", 10*time.Second, 1), 1)

	s.clockOffset = 9 * time.Second
	assert.Empty(t, claim(t, s, "p2", 10*time.Second, 1), "the lease holds")
	s.clockOffset = 10 * time.Second
	got := claim(t, s, "p2", 10*time.Second, 1)
	require.Len(t, got, 1, "the lease has ended")

	late := got[0]
	late.Due, late.Attempts, late.Data = now.Add(time.Hour), 7, []byte("late")
	require.NoError(t, s.Reschedule(ctx, "killed", late))
	assert.Empty(t, claim(t, s, "p3", time.Minute, 1), "p2's lease holds: the killed process's Reschedule changed nothing")

	late.Attempts, late.Data = 1, []byte("rescheduled")
	require.NoError(t, s.Reschedule(ctx, "p2", late))
	assert.Empty(t, claim(t, s, "p3", time.Minute, 1), "not due for an hour")
	s.clockOffset = time.Hour
	got = claim(t, s, "p3", time.Minute, 1)
	require.Len(t, got, 1, "p2 put it back for an hour, lease ended")
	assert.Equal(t, 1, got[0].Attempts)
	assert.Equal(t, []byte("rescheduled"), got[0].Data)
	assert.True(t, got[0].Due.Equal(late.Due))

	require.NoError(t, s.Complete(ctx, "a"))
	require.NoError(t, s.Complete(ctx, "a"), "completing a gone entry is no error")
	require.NoError(t, s.Reschedule(ctx, "p3", late), "rescheduling a gone entry is no error")
	n, oldest, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.True(t, oldest.IsZero())
	assert.Empty(t, outboxKeys(t, srv), "nothing left in Redis")
}

// TestOutboxClaimsOnce: Claims racing from many connections each get
// distinct entries, and together all of them.
func TestOutboxClaimsOnce(t *testing.T) {
	t.Parallel() // it waits on leases
	srv := redistest.Start(t)
	ctx := context.Background()
	stores := []*Store{newStore(t, srv), newStore(t, srv), newStore(t, srv), newStore(t, srv)}
	const n = 1000
	now := time.Now()
	for i := range n {
		require.NoError(t, stores[0].Enqueue(ctx, entry(fmt.Sprint(i), now, now)))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			s := stores[w%len(stores)]
			for {
				got, err := s.Claim(ctx, fmt.Sprint("p", w), time.Minute, 7)
				if !assert.NoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					seen[e.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, n)
	for id, times := range seen {
		if times != 1 {
			t.Errorf("entry %s claimed %d times", id, times)
		}
	}
}

// TestOutboxSurvivesRedisRestart: entries, leased or not, survive a
// SIGKILL of Redis, which runs with an AOF, and a lease still ends.
func TestOutboxSurvivesRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.Enqueue(ctx, entry("leased", now, now)))
	require.Len(t, claim(t, s, "killed", 10*time.Second, 1), 1)
	require.NoError(t, s.Enqueue(ctx, entry("waiting", now, now.Add(time.Second))))

	srv.Kill()
	srv.Restart()

	later := newStore(t, srv)
	later.clockOffset = time.Second
	assert.Equal(t, []string{"waiting"}, ids(claim(t, later, "p2", time.Minute, 10)))
	later.clockOffset = 10 * time.Second
	got := claim(t, later, "p3", time.Minute, 10)
	assert.Equal(t, []string{"leased"}, ids(got), "its lease ended")
	assert.Equal(t, []byte("sealed leased"), got[0].Data)
}

// TestOutboxKeepsDataAsGiven: Data is opaque bytes, every value of them.
func TestOutboxKeepsDataAsGiven(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	every := make([]byte, 0, 512)
	for i := range 512 {
		every = append(every, byte(i))
	}
	now := time.Now()
	want := map[string][]byte{"bytes": every, "empty": nil, "max": []byte(strings.Repeat("x", 64<<10))}
	for id, data := range want {
		require.NoError(t, s.Enqueue(ctx, signout.OutboxEntry{ID: id, Created: now, Due: now, Attempts: 3, Data: data}))
	}
	s.clockOffset = time.Second
	got := claim(t, s, "p1", time.Minute, 10)
	require.Len(t, got, len(want))
	for _, e := range got {
		assert.Equal(t, len(want[e.ID]), len(e.Data), e.ID)
		assert.Equal(t, string(want[e.ID]), string(e.Data), e.ID)
		assert.Equal(t, 3, e.Attempts)
	}
}

// TestOutboxPrefix: stores with other prefixes do not share the outbox.
func TestOutboxPrefix(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv, WithPrefix("app-a:")), newStore(t, srv, WithPrefix("app-b:"))
	now := time.Now()
	require.NoError(t, a.Enqueue(context.Background(), entry("x", now, now)))
	b.clockOffset = time.Second
	assert.Empty(t, claim(t, b, "p", time.Minute, 10))
	n, _, err := b.Pending(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n)
}
