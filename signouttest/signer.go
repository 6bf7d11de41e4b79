package signouttest

import (
	"context"
	"slices"
	"sync"

	"github.com/cognitogo/signout"
)

// Signer is a fake signout.Signer. The zero value succeeds on every call.
// It is safe for concurrent use; set its fields before the first call.
type Signer struct {
	// Results are returned in order by the first len(Results) calls.
	Results []error
	// Err is returned by every call after the scripted Results.
	Err error

	mu    sync.Mutex
	calls []string
}

// SignOut records accessToken and returns the next scripted result.
func (s *Signer) SignOut(_ context.Context, accessToken string) error {
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
func (s *Signer) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Ender is a fake signout.Ender. The zero value ends every session with
// GlobalSignOut. It is safe for concurrent use; set its fields before the
// first call.
type Ender struct {
	// Func, when set, answers every call.
	Func func(ctx context.Context, s signout.Session) (signout.Result, error)
	// Err, when Func is nil, makes every call fail: the Result reports it as
	// SignOutErr and nothing as ended.
	Err error

	mu    sync.Mutex
	calls []signout.Session
}

// EndSession records s and answers as Func or Err say.
func (e *Ender) EndSession(ctx context.Context, s signout.Session) (signout.Result, error) {
	e.mu.Lock()
	e.calls = append(e.calls, s)
	e.mu.Unlock()
	switch {
	case e.Func != nil:
		return e.Func(ctx, s)
	case e.Err != nil:
		return signout.Result{SignOutErr: e.Err}, e.Err
	}
	return signout.Result{SignedOut: true}, nil
}

// Calls returns the sessions EndSession received, oldest first.
func (e *Ender) Calls() []signout.Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// AdminSigner is a fake signout.AdminSigner that records the users it was
// asked to sign out and returns Err. Safe for concurrent use.
type AdminSigner struct {
	Err error

	mu    sync.Mutex
	calls [][2]string
}

// AdminSignOut records userPoolID and username and returns Err.
func (a *AdminSigner) AdminSignOut(_ context.Context, userPoolID, username string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, [2]string{userPoolID, username})
	return a.Err
}

// Calls returns the (user pool id, user name) pairs received, oldest first.
func (a *AdminSigner) Calls() [][2]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}
