package revocation

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

// clock is a Store's clock that a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClocked() (*Store, *clock) {
	s, c := New(), &clock{now: t0}
	s.now = c.Now
	return s, c
}

func pending(id string, due time.Duration) signout.OutboxEntry {
	return signout.OutboxEntry{ID: id, Created: t0, Due: t0.Add(due), Data: []byte("sealed " + id)}
}

func ids(es []signout.OutboxEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestOutboxClaimsDueEntriesInOrder(t *testing.T) {
	s, clk := newClocked()
	ctx := context.Background()
	for _, e := range []signout.OutboxEntry{pending("c", 3*time.Second), pending("a", time.Second), pending("b", 2*time.Second), pending("later", time.Hour)} {
		require.NoError(t, s.Enqueue(ctx, e))
	}
	got, err := s.Claim(ctx, "p1", time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing is due yet")

	clk.Add(3 * time.Second)
	got, err = s.Claim(ctx, "p1", time.Minute, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, ids(got), "earliest Due first, at most max")
	assert.Equal(t, []byte("sealed a"), got[0].Data, "Data as given")
	got, err = s.Claim(ctx, "p2", time.Minute, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, ids(got), "leased entries go to no one else")

	n, oldest, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "leased entries are pending too")
	assert.Equal(t, t0, oldest)
}

func TestOutboxEnqueueKeepsTheFirst(t *testing.T) {
	s, clk := newClocked()
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, pending("a", 0)))
	again := pending("a", time.Hour)
	again.Data = []byte("second")
	require.NoError(t, s.Enqueue(ctx, again))
	clk.Add(time.Second)
	got, err := s.Claim(ctx, "p1", time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []byte("sealed a"), got[0].Data)
	require.Error(t, s.Enqueue(ctx, signout.OutboxEntry{}), "an entry needs an ID")
}

// TestOutboxEnqueueBringsForward: an entry queued again with an earlier
// Due is due then, unless a lease holds it.
func TestOutboxEnqueueBringsForward(t *testing.T) {
	s, clk := newClocked()
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, pending("a", time.Hour)))
	earlier := pending("a", time.Minute)
	earlier.Data = []byte("second")
	require.NoError(t, s.Enqueue(ctx, earlier))
	clk.Add(time.Minute)
	got, err := s.Claim(ctx, "p1", time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 1, "due a minute from t0, not an hour")
	assert.Equal(t, []byte("sealed a"), got[0].Data, "the first entry, brought forward")

	require.NoError(t, s.Enqueue(ctx, pending("a", 0)))
	got, err = s.Claim(ctx, "p2", time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, got, "leased: not brought forward")
	require.NoError(t, s.Reschedule(ctx, "p1", pending("a", time.Hour)))
	clk.Add(time.Minute)
	require.NoError(t, s.Enqueue(ctx, pending("a", 0)))
	got, err = s.Claim(ctx, "p2", time.Minute, 10)
	require.NoError(t, err)
	assert.Len(t, got, 1, "no lease: brought forward")
}

// TestOutboxLeaseEnds: an entry whose holder stopped is claimable once
// its lease ends, and the stopped holder can no longer put it back.
func TestOutboxLeaseEnds(t *testing.T) {
	s, clk := newClocked()
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, pending("a", 0)))
	got, err := s.Claim(ctx, "killed", 10*time.Second, 1)
	require.NoError(t, err)
	require.Len(t, got, 1)

	clk.Add(9 * time.Second)
	got, err = s.Claim(ctx, "p2", 10*time.Second, 1)
	require.NoError(t, err)
	assert.Empty(t, got, "the lease holds")
	clk.Add(time.Second)
	got, err = s.Claim(ctx, "p2", 10*time.Second, 1)
	require.NoError(t, err)
	require.Len(t, got, 1, "the lease has ended")

	late := got[0]
	late.Due, late.Attempts = clk.Now().Add(time.Hour), 7
	require.NoError(t, s.Reschedule(ctx, "killed", late))
	got, err = s.Claim(ctx, "p3", time.Minute, 1)
	require.NoError(t, err)
	assert.Empty(t, got, "p2's lease holds: the killed process's Reschedule changed nothing")

	late.Attempts = 1
	require.NoError(t, s.Reschedule(ctx, "p2", late))
	clk.Add(time.Hour)
	got, err = s.Claim(ctx, "p3", time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, got, 1, "p2 put it back for an hour, lease ended")
	assert.Equal(t, 1, got[0].Attempts)

	require.NoError(t, s.Complete(ctx, "a"))
	require.NoError(t, s.Complete(ctx, "a"), "completing a gone entry is no error")
	require.NoError(t, s.Reschedule(ctx, "p3", late), "rescheduling a gone entry is no error")
	n, oldest, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.True(t, oldest.IsZero())
}

// TestOutboxClaimsOnce: Claims racing from many goroutines each get
// distinct entries, and together all of them.
func TestOutboxClaimsOnce(t *testing.T) {
	s, clk := newClocked()
	ctx := context.Background()
	const n = 1000
	for i := range n {
		require.NoError(t, s.Enqueue(ctx, pending(fmt.Sprint(i), 0)))
	}
	clk.Add(time.Second)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for {
				got, err := s.Claim(ctx, fmt.Sprint("p", w), time.Minute, 7)
				if err != nil || len(got) == 0 {
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
