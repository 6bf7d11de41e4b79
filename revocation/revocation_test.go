package revocation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	pool      = "us-east-1_AAAAAAAAA"
	otherPool = "us-east-1_BBBBBBBBB"
)

// t0 is a sign-out time in the middle of a second, so that the tests see
// whole-second rounding at work.
var t0 = time.Unix(1_800_000_000, 400_000_000)

type token struct {
	pool, sub, ojti string
	auth            time.Time
}

func TestRevoked(t *testing.T) {
	alice := token{pool, "alice", "s1", t0.Add(-time.Hour)}
	tests := []struct {
		name    string
		records []signout.Revocation
		tok     token
		want    bool
	}{
		{"empty store", nil, alice, false},
		{"user: session begun before", []signout.Revocation{{UserPoolID: pool, Subject: "alice", At: t0}}, alice, true},
		{"user: session begun in the same second", []signout.Revocation{{UserPoolID: pool, Subject: "alice", At: t0}},
			token{pool, "alice", "s2", t0.Truncate(time.Second)}, true},
		{"user: session begun the next second", []signout.Revocation{{UserPoolID: pool, Subject: "alice", At: t0}},
			token{pool, "alice", "s2", t0.Truncate(time.Second).Add(time.Second)}, false},
		{"user: another user", []signout.Revocation{{UserPoolID: pool, Subject: "bob", At: t0}}, alice, false},
		{"user: same subject in another pool", []signout.Revocation{{UserPoolID: otherPool, Subject: "alice", At: t0}}, alice, false},
		{"session: that session", []signout.Revocation{{UserPoolID: pool, OriginJTI: "s1", At: t0}}, alice, true},
		{"session: begun after At still revoked", []signout.Revocation{{UserPoolID: pool, OriginJTI: "s1", At: t0}},
			token{pool, "alice", "s1", t0.Add(time.Hour)}, true},
		{"session: another session of the user", []signout.Revocation{{UserPoolID: pool, OriginJTI: "s1", At: t0}},
			token{pool, "alice", "s2", t0.Add(-time.Hour)}, false},
		{"session: same origin_jti in another pool", []signout.Revocation{{UserPoolID: otherPool, OriginJTI: "s1", At: t0}}, alice, false},
		{"session: token without origin_jti", []signout.Revocation{{UserPoolID: pool, OriginJTI: "s1", At: t0}},
			token{pool, "alice", "", t0.Add(-time.Hour)}, false},
		{"pool: session begun before", []signout.Revocation{{UserPoolID: pool, At: t0}}, alice, true},
		{"pool: session begun after", []signout.Revocation{{UserPoolID: pool, At: t0}},
			token{pool, "carol", "s3", t0.Add(time.Second)}, false},
		{"pool: another pool", []signout.Revocation{{UserPoolID: otherPool, At: t0}}, alice, false},
		{"merge: later sign-out wins", []signout.Revocation{
			{UserPoolID: pool, Subject: "alice", At: t0.Add(time.Hour)}, {UserPoolID: pool, Subject: "alice", At: t0},
		}, token{pool, "alice", "s2", t0.Add(time.Minute)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			s.now = func() time.Time { return t0 }
			for _, r := range tc.records {
				require.NoError(t, s.Revoke(context.Background(), r))
			}
			got, err := s.Revoked(tc.tok.pool, tc.tok.sub, tc.tok.ojti, tc.tok.auth)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRevokeRefusesIncompleteRecords(t *testing.T) {
	tests := []struct {
		name string
		r    signout.Revocation
	}{
		{"no issuer", signout.Revocation{Subject: "alice", At: t0}},
		{"user without At", signout.Revocation{UserPoolID: pool, Subject: "alice", Expires: t0.Add(time.Hour)}},
		{"pool without At", signout.Revocation{UserPoolID: pool}},
		{"session without At or Expires", signout.Revocation{UserPoolID: pool, OriginJTI: "s1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			err := s.Revoke(context.Background(), tc.r)
			require.ErrorIs(t, err, signout.ErrInvalidParameter)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, "Revoke", se.Op)
			assert.Zero(t, s.len())
		})
	}
}

func TestRecordsDroppedAfterExpires(t *testing.T) {
	now := t0
	s := New()
	s.now = func() time.Time { return now }
	ctx := context.Background()
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "alice", At: t0, Expires: t0.Add(time.Hour)}))
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, OriginJTI: "s1", At: t0, Expires: t0.Add(time.Hour)}))
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, At: t0})) // defaultLifetime
	require.Equal(t, 3, s.len())

	// A record already expired is not kept.
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: "bob", At: t0.Add(-2 * time.Hour), Expires: t0.Add(-time.Hour)}))
	assert.Equal(t, 3, s.len())

	// Past its Expires a record still counts until a Revoke sweeps it.
	now = t0.Add(time.Hour + sweepEvery)
	got, err := s.Revoked(pool, "alice", "s9", t0.Add(-time.Second))
	require.NoError(t, err)
	assert.True(t, got, "Revoked does not read the clock")
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: otherPool, Subject: "carol", At: now}))
	assert.Equal(t, 2, s.len(), "the user and session records expired; the pool record and the new one remain")

	now = t0.Add(defaultLifetime + 2*sweepEvery)
	require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: otherPool, Subject: "dave", At: now}))
	assert.Equal(t, 2, s.len(), "the pool record expired at At+defaultLifetime")
}

func TestConcurrentRevokeAndCheck(t *testing.T) {
	s := New()
	ctx := context.Background()
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				assert.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: fmt.Sprint(w, "-", i), At: time.Now()}))
			}
		}()
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := s.Revoked(pool, fmt.Sprint(w, "-", i), "", t0)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	before := time.Now().Add(-time.Hour)
	for w := range writers {
		for i := range each {
			got, _ := s.Revoked(pool, fmt.Sprint(w, "-", i), "", before)
			require.True(t, got, "user %d-%d", w, i)
		}
	}
}

func TestRevokedDoesNotAllocate(t *testing.T) {
	s := New()
	ctx := context.Background()
	for i := range 1000 {
		require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: fmt.Sprint("user-", i), At: time.Now()}))
		require.NoError(t, s.Revoke(ctx, signout.Revocation{UserPoolID: pool, OriginJTI: fmt.Sprint("session-", i), At: time.Now()}))
	}
	sub, ojti := "user-500", "session-9999"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Revoked(pool, sub, ojti, t0); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func (s *Store) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.pools) + len(s.users) + len(s.sessions)
}

func BenchmarkRevoked(b *testing.B) {
	s := New()
	ctx := context.Background()
	for i := range 10_000 {
		_ = s.Revoke(ctx, signout.Revocation{UserPoolID: pool, Subject: fmt.Sprint("user-", i), At: time.Now()})
		_ = s.Revoke(ctx, signout.Revocation{UserPoolID: pool, OriginJTI: fmt.Sprint("session-", i), At: time.Now()})
	}
	auth := time.Now().Add(time.Hour)
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, _ := s.Revoked(pool, "8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b", "0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", auth); ok {
				b.Fatal("revoked")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if ok, _ := s.Revoked(pool, "8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b", "0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", auth); ok {
					b.Fatal("revoked")
				}
			}
		})
	})
}
