package revocation

import (
	"context"
	"sync"
	"time"

	"github.com/cognitogo/signout"
)

// sweepEvery bounds how often Revoke scans for expired records: dropping
// them is housekeeping, not correctness, since a token a record covers
// expires by the record's Expires.
const sweepEvery = time.Minute

// defaultLifetime is Cognito's longest access or ID token lifetime.
const defaultLifetime = 24 * time.Hour

// Store is an in-memory signout.RevocationStore that also answers
// verify.RevocationStore, and keeps the outbox of the Cognito calls of
// the sign-outs it records. It is safe for concurrent use; Revoked does
// not allocate. Use New to make one.
type Store struct {
	now func() time.Time

	mu        sync.RWMutex
	pools     map[string]entry     // by pool id: a cutoff for every user
	users     map[userKey]entry    // by pool id and subject
	sessions  map[sessionKey]entry // by pool id and origin_jti
	nextSweep time.Time

	omu    sync.Mutex
	outbox map[string]*queued // by entry id
}

type userKey struct{ pool, subject string }

type sessionKey struct{ pool, originJTI string }

// entry keeps At as Unix seconds because auth_time has whole seconds.
type entry struct {
	at      int64
	expires time.Time
}

var _ signout.RevocationStore = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		now:      time.Now,
		pools:    map[string]entry{},
		users:    map[userKey]entry{},
		sessions: map[sessionKey]entry{},
		outbox:   map[string]*queued{},
	}
}

// Revoke records r. A record without Expires gets At + 24 hours; one
// whose Expires has passed is ignored. Records for the same user, session
// or pool merge: the latest At and Expires win. It returns an
// *signout.Error matching signout.ErrInvalidParameter when r has no UserPoolID,
// or no At where At matters (a user or pool record), or neither At nor
// Expires.
func (s *Store) Revoke(_ context.Context, r signout.Revocation) error {
	if err := check(r); err != nil {
		return err
	}
	now := s.now()
	expires := Expires(r)
	if !expires.After(now) {
		return nil
	}
	e := entry{at: r.At.Unix(), expires: expires}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.OriginJTI != "":
		k := sessionKey{r.UserPoolID, r.OriginJTI}
		s.sessions[k] = merge(s.sessions[k], e)
	case r.Subject != "":
		k := userKey{r.UserPoolID, r.Subject}
		s.users[k] = merge(s.users[k], e)
	default:
		s.pools[r.UserPoolID] = merge(s.pools[r.UserPoolID], e)
	}
	if now.After(s.nextSweep) {
		s.sweepLocked(now)
		s.nextSweep = now.Add(sweepEvery)
	}
	return nil
}

func check(r signout.Revocation) error {
	switch {
	case r.UserPoolID == "":
		return invalid("Revocation.UserPoolID is empty")
	case r.OriginJTI == "" && r.At.IsZero():
		return invalid("Revocation.At is zero: a user or pool record needs the sign-out time")
	case r.At.IsZero() && r.Expires.IsZero():
		return invalid("Revocation has neither At nor Expires")
	}
	return nil
}

// Expires returns when r may be dropped: r.Expires, or r.At + 24 hours
// (Cognito's longest access or ID token lifetime) when r has none.
func Expires(r signout.Revocation) time.Time {
	if r.Expires.IsZero() {
		return r.At.Add(defaultLifetime)
	}
	return r.Expires
}

func invalid(msg string) error {
	return &signout.Error{Op: "Revoke", Kind: signout.ErrInvalidParameter, Message: msg}
}

func merge(old, e entry) entry {
	if old.at > e.at {
		e.at = old.at
	}
	if old.expires.After(e.expires) {
		e.expires = old.expires
	}
	return e
}

func (s *Store) sweepLocked(now time.Time) {
	for k, e := range s.pools {
		if !e.expires.After(now) {
			delete(s.pools, k)
		}
	}
	for k, e := range s.users {
		if !e.expires.After(now) {
			delete(s.users, k)
		}
	}
	for k, e := range s.sessions {
		if !e.expires.After(now) {
			delete(s.sessions, k)
		}
	}
}

// Revoked reports whether a token with these claims was signed out: its
// session by originJTI, or its user or pool at or after authTime's second.
// The error is always nil; it is there for stores that can fail.
func (s *Store) Revoked(userPoolID, subject, originJTI string, authTime time.Time) (bool, error) {
	auth := authTime.Unix()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e, ok := s.pools[userPoolID]; ok && auth <= e.at {
		return true, nil
	}
	if e, ok := s.users[userKey{userPoolID, subject}]; ok && auth <= e.at {
		return true, nil
	}
	if originJTI != "" {
		if _, ok := s.sessions[sessionKey{userPoolID, originJTI}]; ok {
			return true, nil
		}
	}
	return false, nil
}
