package signout

import (
	"context"
	"time"
)

// Revocation records a sign-out, so that an API that verifies Cognito tokens
// locally (package verify) refuses the tokens it ended as Cognito does. A
// Client given WithRevocationStore writes one for each sign-out, before it
// asks Cognito.
type Revocation struct {
	// UserPoolID is the user pool whose tokens the record covers, under
	// every issuer form the pool's tokens carry (ORIGINAL or UPDATED, and
	// each of its replicas' regions).
	UserPoolID string
	// Subject is the user's sub claim; empty for every user of the pool.
	Subject string
	// OriginJTI is one session's origin_jti claim, which Cognito keeps
	// across refreshes; empty for every session of Subject, or of the pool.
	OriginJTI string
	// At is when the sessions were signed out. Without OriginJTI, a token
	// whose auth_time is at or before At's second is covered: auth_time has
	// whole seconds, so a sign-in in the same second is refused too.
	At time.Time
	// Expires is when the last token the record covers expires; the record
	// may be dropped after it.
	Expires time.Time
}

// RevocationStore keeps Revocations where the application's verifiers read
// them, and the outbox: the Cognito calls of recorded sign-outs that
// Cognito did not confirm for a passing reason, until a Client makes them.
// A recorded sign-out's call is put in the outbox before it is made, and
// taken out once Cognito has answered, so that a process that dies during
// the call leaves it to the Clients sharing the store.
// revocation.Store keeps both in memory for one process; the redisstore
// module keeps them in Redis for a fleet. signouttest.TestRevocationStore
// checks a store against this contract.
//
// The Client seals each outbox entry's Data (AES-256-GCM, see
// WithOutboxKey): a store never holds a token, nor whom an entry signs out,
// in the clear. It reads only an entry's ID, Created and Due, and keeps the
// rest as given. Entries are leased, so that one Client at a time works on
// each, and an entry outlives a Client that stops, even killed, with it:
// Claim leases entries, Complete removes one, Reschedule puts one back for
// later; an entry whose lease ends before either is claimable again.
//
// A RevocationStore must be safe for concurrent use by the Clients of every
// process that shares it, and make each method atomic: two Claims racing,
// from any processes, never lease the same entry. Each method is given a
// context carrying the caller's deadline, and must return by it. Due and
// lease times are read on the store's own clock, so Clients whose clocks
// differ by seconds share it safely. A store shared by processes should
// keep its entries as durably as its records: an entry lost is a sign-out
// Cognito never hears of. Outbox errors are logged by the Client that
// drains it; a call that could not be queued at all leaves the caller of
// SignOut or Logout with Cognito's error, not ErrQueued.
type RevocationStore interface {
	// Revoke records r.
	Revoke(ctx context.Context, r Revocation) error
	// Enqueue adds e to the outbox. When an entry with e's ID is present,
	// it keeps that one and returns nil, only bringing its Due forward to
	// e's when e's is earlier and no lease holds it: the same call queued
	// twice is one entry, due at the earlier time.
	Enqueue(ctx context.Context, e OutboxEntry) error
	// Claim leases up to max entries whose Due has come and that no lease
	// holds (or whose lease has ended) to owner, for lease from now,
	// earliest Due first, and returns them as Enqueue gave them or
	// Reschedule set them; none is an empty result, not an error. No other
	// Claim returns a leased entry until its lease ends.
	Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]OutboxEntry, error)
	// Reschedule sets the Due, Attempts and Data of the entry with e's ID
	// to e's and ends its lease, when owner's Claim was the last to lease
	// it (whether or not the lease has ended). Otherwise, or when the entry
	// is gone, it changes nothing and returns nil.
	Reschedule(ctx context.Context, owner string, e OutboxEntry) error
	// Complete removes the entry with that ID, leased or not, by whomever;
	// an absent entry is no error.
	Complete(ctx context.Context, id string) error
	// Pending returns how many entries the outbox holds, leased or not, and
	// the Created time of the oldest; zero when it is empty.
	Pending(ctx context.Context) (n int, oldest time.Time, err error)
}
