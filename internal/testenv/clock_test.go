package testenv

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClock(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	c := NewClock(t0)
	assert.True(t, c.Now().Equal(t0), "set to t0")
	assert.True(t, c.Now().Equal(t0), "it stays there")

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			c.Advance(time.Second)
			c.Now()
		})
	}
	wg.Wait()
	assert.True(t, c.Now().Equal(t0.Add(10*time.Second)), "every Advance counts: %v", c.Now())
}
