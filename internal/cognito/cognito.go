// Package cognito runs Cognito operations for the packages of the module:
// it builds the SDK client (transport, retries), picks each call's region,
// and the next one when a region fails, bounds it in time, and counts and
// logs its attempts.
//
// What a failure becomes is package signout's business: it declares the
// error type and its sentinels, and sets Errors when it is loaded, as a
// database/sql driver registers itself. Every package that runs calls
// imports signout, so Errors is set before any call.
package cognito

import (
	"errors"
	"strings"
	"time"
)

// Errors maps what a call returned to the error its caller sees; package
// signout sets it.
var Errors interface {
	// FromSDK returns the error of operation op whose SDK call returned
	// err, with ctxErr the call context's error and attempts the requests
	// sent (-1 when not counted). Only redacted text of err is kept.
	FromSDK(op string, err, ctxErr error, attempts int, secrets ...string) error
	// Retryable reports whether err, a mapped error or an SDK error, may
	// succeed when the call is made again.
	Retryable(err error) bool
	// Regional reports whether err, a mapped error, is a failure of the
	// region the call went to that another region of the pool may not
	// share, so that the call may be tried there.
	Regional(err error) bool
}

// ErrNoRegion is what Run hands FromSDK when a call has no region.
var ErrNoRegion = errors.New("no region")

// MaxTokenLifetime is the longest an access or ID token of Cognito can be
// valid: a revocation record is kept that long after a sign-out.
const MaxTokenLifetime = 24 * time.Hour

// DefaultMaxAttempts is how many attempts a request makes unless told.
const DefaultMaxAttempts = 3

// MaxText bounds the length of a server's text kept in an error or a log.
const MaxText = 512

// Clip bounds a server's text to MaxText bytes, cut at a rune boundary,
// with "..." after a cut.
func Clip(s string) string {
	if len(s) <= MaxText {
		return s
	}
	return strings.ToValidUTF8(s[:MaxText], "") + "..."
}
