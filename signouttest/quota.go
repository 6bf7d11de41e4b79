package signouttest

import (
	"math"
	"time"
)

// cognitoQuotas are Cognito's default request rates per second for the
// categories of the operations the server knows. Each is shared by every
// pool of an account and region; the stand-in has one pool, so it applies
// them per Server.
var cognitoQuotas = map[string]float64{
	"UserUpdate": 25,  // GlobalSignOut, AdminUserGlobalSignOut; not adjustable
	"UserList":   30,  // ListUsers
	"UserToken":  120, // RevokeToken, InitiateAuth with a refresh token
	"UserRead":   120, // GetUser
}

// burstSeconds is how much of a second's quota a bucket holds. Cognito does
// not publish its burst; a fifth of a second lets a client that paces itself
// at the limit through despite a few milliseconds of jitter, and throttles
// one that sends a burst after a short run.
const burstSeconds = 0.2

// Quotas enforces Cognito's request rate quotas, multiplied by scale, for
// each category: UserUpdate (GlobalSignOut and AdminUserGlobalSignOut
// together) 25 requests a second, UserList (ListUsers) 30, UserToken
// (RevokeToken, InitiateAuth) 120, UserRead (GetUser) 120. Quotas(20) keeps
// the ratios at 20 times the rates, so that a test of pacing runs quickly.
// Each category is a token bucket that starts full and holds a fifth of a
// second's requests (at least one). A request over the quota is answered
// TooManyRequestsException "Rate exceeded" (HTTP 400). Without this
// option, or with scale 0, nothing is throttled. It panics if scale is
// negative, infinite or NaN.
func Quotas(scale float64) ServerOption {
	if !(scale >= 0) || math.IsInf(scale, 1) {
		panic("signouttest: Quotas: scale must be a finite number >= 0")
	}
	return func(c *config) { c.quotaScale = scale }
}

// QuotaUsage returns how many requests of a quota category ("UserUpdate",
// "UserList", "UserToken" or "UserRead") the server has served and how many
// it has throttled. Served counts every request that passed the quota,
// whatever its answer, also when quotas are off; requests answered by an
// injected fault are in neither count. It panics on an unknown category.
func (s *Server) QuotaUsage(category string) (served, throttled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.quotas[category]
	if !ok {
		panic("signouttest: QuotaUsage: unknown quota category " + category)
	}
	return b.served, b.throttled
}

func newQuotas(scale float64) map[string]*bucket {
	m := map[string]*bucket{}
	for c, rate := range cognitoQuotas {
		m[c] = &bucket{rate: rate * scale, burst: max(1, rate*scale*burstSeconds)}
	}
	return m
}

// bucket is a token bucket for one category; rate 0 lets everything pass.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time // when tokens was last refilled; zero before the first request
	served, throttled   int
}

// take reports whether a request at now is within the quota, and counts it.
func (b *bucket) take(now time.Time) bool {
	if b.rate > 0 {
		switch {
		case b.last.IsZero():
			b.tokens, b.last = b.burst, now
		case now.After(b.last):
			b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
			b.last = now
		}
		if b.tokens < 1 {
			b.throttled++
			return false
		}
		b.tokens--
	}
	b.served++
	return true
}
