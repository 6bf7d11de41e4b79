package admin

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

// clock is a time the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Unix(1000, 0)} }

func TestPacerCutsOncePerRoundTrip(t *testing.T) {
	c := newClock()
	p := newPacer(100, c.now)
	sent := c.now()
	c.advance(10 * time.Millisecond)
	p.throttled(sent)
	assert.InDelta(t, 70, p.rate(), 1e-9, "a throttle cuts the rate")
	p.throttled(sent)
	assert.InDelta(t, 70, p.rate(), 1e-9, "a request sent before the cut cuts no more")
	c.advance(time.Millisecond)
	p.throttled(c.now())
	assert.InDelta(t, 49, p.rate(), 1e-9, "a request sent after it does")
	for range 100 {
		c.advance(time.Millisecond)
		p.throttled(c.now())
	}
	assert.InDelta(t, 5, p.rate(), 1e-9, "never below a twentieth")
}

func TestPacerRaisesTheRateBack(t *testing.T) {
	c := newClock()
	p := newPacer(100, c.now)
	p.passed()
	assert.InDelta(t, 100, p.rate(), 1e-9, "never above the maximum")
	p.throttled(c.now())
	require.InDelta(t, 70, p.rate(), 1e-9)
	c.advance(2 * time.Second)
	p.passed()
	assert.InDelta(t, 80, p.rate(), 1e-9, "5% of the maximum a second")
	c.advance(time.Hour)
	p.passed()
	assert.InDelta(t, 100, p.rate(), 1e-9, "up to the maximum")
}

func TestPacerWaitEndsWithTheContext(t *testing.T) {
	p := newPacer(0.001, time.Now)
	_, err := p.wait(context.Background()) // the bucket starts with one request
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPacerCall(t *testing.T) {
	t.Parallel() // backoffs take a second
	throttled := &signout.Error{Kind: signout.ErrThrottled}
	transient := &signout.Error{Kind: signout.ErrService, StatusCode: 500}
	final := &signout.Error{Kind: signout.ErrInvalidParameter}
	tests := []struct {
		name    string
		answers []error // one per attempt; nil passes
		sent    int
		err     error
	}{
		{"passes", []error{nil}, 1, nil},
		{"throttled, then passes", []error{throttled, throttled, nil}, 3, nil},
		{"a fault that may pass, then passes", []error{transient, nil}, 2, nil},
		{"a fault that will not pass", []error{final, nil}, 1, final},
		{"a fault that persists", []error{transient, transient, transient, transient, transient, nil}, maxTransient, transient},
		{"no such user: the request passed", []error{&signout.Error{Kind: signout.ErrUserNotFound}}, 1, signout.ErrUserNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPacer(1e6, time.Now)
			sent := 0
			err := p.call(context.Background(), func() error {
				sent++
				return tc.answers[sent-1]
			})
			assert.Equal(t, tc.sent, sent)
			assert.ErrorIs(t, err, tc.err)
			if tc.err == nil {
				assert.NoError(t, err)
			}
		})
	}
	t.Run("throttling lowers the pace", func(t *testing.T) {
		p := newPacer(1e6, time.Now)
		n := 0
		require.NoError(t, p.call(context.Background(), func() error {
			if n++; n == 1 {
				return throttled
			}
			return nil
		}))
		assert.Less(t, p.rate(), 1e6)
	})
	t.Run("the context ends", func(t *testing.T) {
		p := newPacer(1e6, time.Now)
		ctx, cancel := context.WithCancel(context.Background())
		sent := 0
		err := p.call(ctx, func() error {
			sent++
			cancel()
			return transient
		})
		assert.Equal(t, 1, sent, "no attempt after the context ended")
		assert.ErrorIs(t, err, transient.Kind)
		err = p.call(ctx, func() error { panic("sent after the context ended") })
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "SignOutAll", err.(*signout.Error).Op)
	})
}
