package revocation

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/cognitogo/signout"
)

var _ signout.RevocationStore = (*Store)(nil)

// queued is an entry of the outbox and its lease.
type queued struct {
	e       signout.OutboxEntry
	claimed bool      // a Claim has leased it
	owner   string    // the last to claim it
	until   time.Time // its lease ends
}

// Enqueue adds e to the Store's outbox, unless an entry with its ID is
// there, whose Due it brings forward to e's when no lease holds it. See
// signout.RevocationStore.
func (s *Store) Enqueue(_ context.Context, e signout.OutboxEntry) error {
	if e.ID == "" {
		return invalid("OutboxEntry.ID is empty")
	}
	now := s.now()
	s.omu.Lock()
	defer s.omu.Unlock()
	switch q, ok := s.outbox[e.ID]; {
	case !ok:
		e.Data = bytes.Clone(e.Data) // the caller's buffer stays the caller's
		s.outbox[e.ID] = &queued{e: e}
	case e.Due.Before(q.e.Due) && !q.until.After(now):
		q.e.Due = e.Due
	}
	return nil
}

// Claim leases up to max due entries to owner. See signout.RevocationStore.
func (s *Store) Claim(_ context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	if max <= 0 {
		return nil, nil
	}
	now := s.now()
	s.omu.Lock()
	defer s.omu.Unlock()
	var due []*queued
	for _, q := range s.outbox {
		if !q.e.Due.After(now) && !q.until.After(now) {
			due = append(due, q)
		}
	}
	slices.SortFunc(due, func(a, b *queued) int { return cmp.Or(a.e.Due.Compare(b.e.Due), cmp.Compare(a.e.ID, b.e.ID)) })
	due = due[:min(len(due), max)]
	out := make([]signout.OutboxEntry, len(due))
	for i, q := range due {
		q.claimed, q.owner, q.until = true, owner, now.Add(lease)
		out[i] = q.e
		out[i].Data = bytes.Clone(q.e.Data)
	}
	return out, nil
}

// Reschedule puts an entry owner claimed back for e.Due. See
// signout.RevocationStore.
func (s *Store) Reschedule(_ context.Context, owner string, e signout.OutboxEntry) error {
	s.omu.Lock()
	defer s.omu.Unlock()
	q := s.outbox[e.ID]
	if q == nil || !q.claimed || q.owner != owner {
		return nil
	}
	q.e.Due, q.e.Attempts, q.e.Data = e.Due, e.Attempts, bytes.Clone(e.Data)
	q.until = time.Time{}
	return nil
}

// Complete removes an entry. See signout.RevocationStore.
func (s *Store) Complete(_ context.Context, id string) error {
	s.omu.Lock()
	defer s.omu.Unlock()
	delete(s.outbox, id)
	return nil
}

// Pending returns how many entries the outbox holds and the Created time
// of the oldest. See signout.RevocationStore.
func (s *Store) Pending(context.Context) (n int, oldest time.Time, err error) {
	s.omu.Lock()
	defer s.omu.Unlock()
	for _, q := range s.outbox {
		if oldest.IsZero() || q.e.Created.Before(oldest) {
			oldest = q.e.Created
		}
	}
	return len(s.outbox), oldest, nil
}
