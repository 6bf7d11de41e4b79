package signouthttp

import "strconv"

// This file stands in for the root package's Reach (issue 10), which is not
// on this branch yet. At merge it is deleted and Reach, ThisSession and
// AllSessions here become signout.Reach, signout.ThisSession and
// signout.AllSessions.

// Reach says which of a user's sessions a logout ends.
type Reach int

// The reaches of a logout.
const (
	// ThisSession ends the session whose tokens the request carries: the
	// refresh token is revoked, and with it the access tokens issued with it.
	ThisSession Reach = iota + 1
	// AllSessions ends every session of the user (GlobalSignOut).
	AllSessions
)

// String returns "ThisSession", "AllSessions", or "none" for the zero value.
func (r Reach) String() string {
	switch r {
	case ThisSession:
		return "ThisSession"
	case AllSessions:
		return "AllSessions"
	case 0:
		return "none"
	}
	return "Reach(" + strconv.Itoa(int(r)) + ")"
}
