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
// them. Revoke must be safe for concurrent use.
type RevocationStore interface {
	Revoke(ctx context.Context, r Revocation) error
}
