package signouttest

import (
	"math"
	"time"
)

// cognitoQuotas are Cognito's default request rates a second, per account
// and region, for the categories of the operations the server knows.
var cognitoQuotas = map[string]float64{
	"UserUpdate": 25,  // GlobalSignOut, AdminUserGlobalSignOut; not adjustable
	"UserList":   30,  // ListUsers
	"UserToken":  120, // RevokeToken, InitiateAuth with a refresh token
	"UserRead":   120, // GetUser
}

// burstSeconds is how many seconds of requests a bucket holds. Cognito
// publishes no burst; a fifth of a second forgives a paced client its
// jitter and still throttles a burst.
const burstSeconds = 0.2

// Quotas makes the server enforce Cognito's request rate quotas times
// scale, per category: UserUpdate (GlobalSignOut and AdminUserGlobalSignOut
// together) 25 requests a second, UserList (ListUsers) 30, UserToken
// (RevokeToken, InitiateAuth) 120, UserRead (GetUser) 120. Each category is
// a token bucket that starts full and holds a fifth of a second's requests
// (at least one); a request over it is answered TooManyRequestsException
// "Rate exceeded" (HTTP 400). Without Quotas or with scale 0, nothing is
// throttled. It panics if scale is negative, infinite or NaN.
func Quotas(scale float64) ServerOption {
	if !(scale >= 0) || math.IsInf(scale, 1) {
		panic("signouttest: Quotas: scale must be a finite number >= 0")
	}
	return func(s *Server) { s.quotaScale = scale }
}

// QuotaUsage returns how many requests of a category ("UserUpdate",
// "UserList", "UserToken" or "UserRead") the server has served and how
// many it has throttled. Served counts the requests that passed the quota
// (all of them when quotas are off), whatever their answer; requests a
// fault answers count in neither. It panics on another category.
func (s *Server) QuotaUsage(category string) (served, throttled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.quotas[category]
	if !ok {
		panic("signouttest: QuotaUsage: unknown quota category " + category)
	}
	return b.served, b.throttled
}

// bucket is a token bucket for one category; rate 0 lets everything pass.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time // of the last refill
	served, throttled   int
}

// take reports whether a request at now is within the quota, and counts it.
func (b *bucket) take(now time.Time) bool {
	if b.rate > 0 {
		if now.After(b.last) { // the first request, after the zero time, finds the bucket full
			b.tokens, b.last = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate), now
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
