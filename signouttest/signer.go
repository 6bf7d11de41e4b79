package signouttest

import (
	"context"
	"slices"
	"sync"
)

// FakeSigner is a fake signout.Signer. The zero value succeeds on every call.
// It is safe for concurrent use; set its fields before the first call.
type FakeSigner struct {
	// Results are returned in order by the first len(Results) calls.
	Results []error
	// Err is returned by every call after the scripted Results.
	Err error

	mu    sync.Mutex
	calls []string
}

// SignOut records accessToken and returns the next scripted result.
func (s *FakeSigner) SignOut(_ context.Context, accessToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.calls)
	s.calls = append(s.calls, accessToken)
	if n < len(s.Results) {
		return s.Results[n]
	}
	return s.Err
}

// Calls returns the access tokens SignOut received, oldest first.
func (s *FakeSigner) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}
