package signout

import "time"

// Sentinels lists every sentinel error, for the tests.
var Sentinels = sentinels

// FromSDK and KindForCode expose the error mapping to the tests.
var (
	FromSDK     = mapper{}.FromSDK
	KindForCode = kindForCode
)

// WithRetryDelays sets the delay before an outbox entry's first retry and
// the longest one, for tests and benchmarks that cannot wait a second.
func WithRetryDelays(first, longest time.Duration) Option {
	return func(o *options) { o.retryMin, o.retryMax = first, longest }
}
