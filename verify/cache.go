package verify

import (
	"sync"
	"time"
)

// cache remembers verified tokens by the SHA-256 of the whole token, so
// that a token's signature and claims are checked once. Only exp and
// revocation can change for a token once verified: Verify checks both on
// every hit.
type cache struct {
	max int

	mu sync.RWMutex
	m  map[[32]byte]cached
}

type cached struct {
	claims   *Claims
	deadline time.Time // exp plus leeway
}

// evictScan bounds the work of an insert into a full cache.
const evictScan = 8

func newCache(max int) *cache {
	return &cache{max: max, m: make(map[[32]byte]cached)}
}

func (c *cache) get(k [32]byte) (cached, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	return e, ok
}

func (c *cache) put(k [32]byte, e cached, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Map order is random: drop the expired entries among a few, or
		// else the first of them, so a full cache costs O(1) per insert.
		var first [32]byte
		scanned, dropped := 0, 0
		for key, old := range c.m {
			if scanned == 0 {
				first = key
			}
			if old.deadline.Before(now) {
				delete(c.m, key)
				dropped++
			}
			if scanned++; scanned == evictScan {
				break
			}
		}
		if dropped == 0 {
			delete(c.m, first)
		}
	}
	c.m[k] = e
}

func (c *cache) drop(k [32]byte) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
