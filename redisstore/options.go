package redisstore

import (
	"time"

	"github.com/cognitogo/signout"
)

// Defaults, in one place; the options' docs repeat them.
const (
	defaultStalenessBound = 5 * time.Second
	defaultPrefix         = "signout:"
)

// minStalenessBound keeps the confirming PINGs at most 50 a second.
const minStalenessBound = 100 * time.Millisecond

// Option configures New.
type Option func(*options)

type options struct {
	prefix   string
	bound    time.Duration
	failOpen bool
	err      error
}

func defaultOptions() options {
	return options{prefix: defaultPrefix, bound: defaultStalenessBound}
}

func (o *options) fail(option, msg string) {
	if o.err == nil {
		o.err = &signout.Error{Op: option, Kind: signout.ErrInvalidOption, Message: msg}
	}
}

// WithPrefix sets the prefix of the keys (PREFIXrev:...) and of the channel
// (PREFIXrevocations) the Store uses; stores that share records must share
// it. The default is "signout:".
func WithPrefix(prefix string) Option {
	return func(o *options) {
		if prefix == "" {
			o.fail("WithPrefix", "empty prefix")
			return
		}
		o.prefix = prefix
	}
}

// WithStalenessBound sets how long Revoked trusts a view it could not
// confirm with Redis before it fails closed; at least 100ms. The default is
// 5 seconds.
func WithStalenessBound(d time.Duration) Option {
	return func(o *options) {
		if d < minStalenessBound {
			o.fail("WithStalenessBound", "the bound must be at least 100ms")
			return
		}
		o.bound = d
	}
}

// WithFailOpen makes Revoked answer from the local view however stale it
// is, instead of failing closed: while Redis is unreachable, tokens revoked
// on other servers since it went away are accepted here.
func WithFailOpen() Option {
	return func(o *options) { o.failOpen = true }
}
