package admin

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
)

// The pacer's answer to throttling: a throttled request cuts the rate to
// cutFactor of what it was, unless it was sent before the last cut (the
// requests sent at the old rate are throttled too, and say nothing new);
// the rate then climbs back by raisePerSecond of the configured rate a
// second, and never falls below minFraction of it.
const (
	cutFactor      = 0.7
	raisePerSecond = 0.05
	minFraction    = 0.05
)

// maxTransient is how many attempts a request that fails on a fault that
// may pass gets.
const maxTransient = 5

// pacer spaces the requests of one Cognito quota category: a token bucket
// of x/time/rate with room for one request, so that requests leave evenly
// spaced and never in a burst, at a rate lowered when Cognito throttles and
// raised back while it does not. It is safe for concurrent use.
type pacer struct {
	lim  *rate.Limiter
	turn chan struct{} // one waiter at a time, so that a cut applies to the next request
	max  float64
	now  func() time.Time

	mu        sync.Mutex
	cur       float64
	lastCut   time.Time
	lastRaise time.Time
}

func newPacer(perSecond float64, now func() time.Time) *pacer {
	return &pacer{lim: rate.NewLimiter(rate.Limit(perSecond), 1), turn: make(chan struct{}, 1),
		max: perSecond, cur: perSecond, now: now}
}

// wait blocks until the next request may leave, or ctx ends; it returns
// when that was, for throttled.
func (p *pacer) wait(ctx context.Context) (time.Time, error) {
	// Waiters queue here rather than in the limiter, where each would hold
	// a reservation at the old rate.
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
	defer func() { <-p.turn }()
	if err := p.lim.Wait(ctx); err != nil {
		return time.Time{}, err
	}
	return p.now(), nil
}

// throttled lowers the rate after Cognito throttled a request that left
// at sent.
func (p *pacer) throttled(sent time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sent.Before(p.lastCut) {
		return
	}
	now := p.now()
	p.lastCut, p.lastRaise = now, now
	p.set(max(p.cur*cutFactor, p.max*minFraction))
}

// passed raises the rate back towards its maximum after a request passed.
func (p *pacer) passed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur >= p.max {
		return
	}
	now := p.now()
	if d := now.Sub(p.lastRaise); d > 0 {
		p.lastRaise = now
		p.set(min(p.max, p.cur+p.max*raisePerSecond*d.Seconds()))
	}
}

func (p *pacer) set(r float64) {
	p.cur = r
	p.lim.SetLimit(rate.Limit(r))
}

// rate returns the current rate, in requests a second.
func (p *pacer) rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// call sends a request at the pace: send makes one attempt. A throttled
// request lowers the pace and is sent again; one that fails on a fault
// that may pass is sent again after a backoff, maxTransient attempts in
// all. It returns send's last error, or the error of ctx's end while it
// waits.
func (p *pacer) call(ctx context.Context, send func() error) error {
	for attempt := 1; ; {
		sent, err := p.wait(ctx)
		if err != nil {
			return stopped(ctx)
		}
		e := send()
		switch {
		case e == nil, errors.Is(e, signout.ErrUserNotFound):
			p.passed()
			return e
		case errors.Is(e, signout.ErrThrottled):
			p.throttled(sent)
		case ctx.Err() != nil || !retryable(e) || attempt >= maxTransient:
			return e
		default:
			if !backoff(ctx, attempt) {
				return stopped(ctx)
			}
			attempt++
		}
	}
}

// backoff waits before the next attempt after attempt failed: 100 ms,
// doubling up to 5 s, with jitter. It reports false when ctx ends first.
func backoff(ctx context.Context, attempt int) bool {
	d := min(5*time.Second, 100*time.Millisecond<<min(attempt-1, 6))
	t := time.NewTimer(d/2 + rand.N(d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
