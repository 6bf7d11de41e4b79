package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redistest"
	"github.com/cognitogo/signout/signouttest"
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

// TestOutbox checks the outbox against the contract of
// signout.RevocationStore, each clause on its own prefix of one server.
func TestOutbox(t *testing.T) {
	srv := redistest.Start(t)
	signouttest.TestRevocationStore(t, func(t *testing.T) signout.RevocationStore {
		return newStore(t, srv, WithPrefix(t.Name()+":"))
	})
}

// TestOutboxLeavesNoKeys: entries completed, leased or not, leave nothing
// in Redis.
func TestOutboxLeavesNoKeys(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.Enqueue(ctx, entry("leased", now, now.Add(-time.Second))))
	require.NoError(t, s.Enqueue(ctx, entry("waiting", now, now.Add(time.Hour))))
	require.Len(t, claim(t, s, "p1", time.Minute, 10), 1)
	require.NotEmpty(t, outboxKeys(t, srv))
	require.NoError(t, s.Complete(ctx, "leased"))
	require.NoError(t, s.Complete(ctx, "waiting"))
	assert.Empty(t, outboxKeys(t, srv))
}

// The tests below move the Redis server's clock as the outbox reads it
// with clockOffset, set between calls.

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

// TestOutboxBoundsData: Data of up to 64 KiB is kept as given; an entry
// with more, or without an ID, is refused, and nothing is written.
func TestOutboxBoundsData(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := context.Background()
	now := time.Now()
	full := entry("full", now, now)
	full.Data = []byte(strings.Repeat("x", 64<<10))
	require.NoError(t, s.Enqueue(ctx, full))
	big := entry("big", now, now)
	big.Data = make([]byte, 64<<10+1)
	require.ErrorIs(t, s.Enqueue(ctx, big), signout.ErrInvalidParameter, "Data is bounded")
	require.ErrorIs(t, s.Enqueue(ctx, signout.OutboxEntry{}), signout.ErrInvalidParameter, "an entry needs an ID")

	s.clockOffset = time.Second
	got := claim(t, s, "p1", time.Minute, 10)
	require.Equal(t, []string{"full"}, ids(got), "nothing written for the refused entries")
	assert.Equal(t, len(full.Data), len(got[0].Data))
	assert.Equal(t, string(full.Data), string(got[0].Data))
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
