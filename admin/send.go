package admin

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/cognitogo/signout"
)

const (
	latencyBudget = time.Second // the latency the workers absorb at full rate
	maxWorkers    = 128         // requests in flight at most
)

// outcome is what became of one user.
type outcome int

const (
	stillPending outcome = iota // not handled: the sweep is stopping
	done
	skipped
	failed
)

// sender signs users out, one AdminUserGlobalSignOut each, at the pace of
// Cognito's UserUpdate quota, with enough requests in flight to reach it.
type sender struct {
	c            *Client
	pool, region string
	pace         *pacer
	// record writes a Revocation for each user, with At set to at, before
	// the user is signed out.
	record bool
	at     time.Time
}

// run signs out the users it receives from users, in workers, and gives
// each outcome to handled; it returns once users is closed and every
// worker has returned.
func (s *sender) run(ctx context.Context, users <-chan pending, handled func(pending, outcome, error)) {
	var wg sync.WaitGroup
	for range min(maxWorkers, max(4, int(math.Ceil(s.pace.max*latencyBudget.Seconds())))) {
		wg.Go(func() {
			for u := range users {
				out, e := s.signOut(ctx, u)
				handled(u, out, e)
			}
		})
	}
	wg.Wait()
}

// signOut signs one user out. It returns stillPending with the error that
// should stop the sweep, or with nil when ctx ended.
func (s *sender) signOut(ctx context.Context, u pending) (outcome, error) {
	if s.record {
		e := s.c.recordUser(ctx, s.region, s.pool, u.Username, u.Sub, s.at)
		switch {
		case e == nil:
		case ctx.Err() != nil:
			return stillPending, nil
		case errors.Is(e, signout.ErrUserNotFound):
			return skipped, nil
		case asError(e).Op == "RevocationStore":
			return stillPending, e
		default:
			return failed, e
		}
	}
	e := s.pace.call(ctx, func() error { return s.c.signOut(ctx, s.region, s.pool, u.Username, 1) })
	switch {
	case e == nil:
		return done, nil
	case errors.Is(e, signout.ErrUserNotFound):
		return skipped, nil
	case ctx.Err() != nil:
		return stillPending, nil
	case errors.Is(e, signout.ErrForbidden), errors.Is(e, signout.ErrResourceNotFound), errors.Is(e, signout.ErrInvalidOption):
		// Every user would fail the same way.
		return stillPending, e
	}
	return failed, e
}
