package admin

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
