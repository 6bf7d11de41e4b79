package signouthttp

import (
	"context"
	"errors"
	"strconv"

	"github.com/cognitogo/signout"
)

// This file stands in for the root package's Reach and Client.Logout
// (issue 10), which are not on this branch yet. At merge it is deleted:
// Reach, ThisSession and AllSessions become signout.Reach,
// signout.ThisSession and signout.AllSessions, and callers pass the
// *signout.Client itself where they pass InterimLogouter(client).

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

// InterimLogouter makes a Logouter of today's *signout.Client, with the
// fallbacks DESIGN.md gives Client.Logout. It is deleted at merge.
func InterimLogouter(c *signout.Client) Logouter { return interim{c} }

type interim struct{ c *signout.Client }

func (a interim) Logout(ctx context.Context, accessToken, refreshToken string, reach Reach) (Reach, error) {
	if reach == ThisSession {
		if refreshToken != "" {
			err := a.c.RevokeToken(ctx, refreshToken)
			if err == nil {
				return ThisSession, nil
			}
			// Revocation cannot be made without the app client or when it
			// is not enabled for it; anything else is not for a fallback.
			if !errors.Is(err, signout.ErrInvalidOption) && !errors.Is(err, signout.ErrOperationNotEnabled) {
				return 0, err
			}
		}
		if err := a.c.SignOut(ctx, accessToken); err != nil {
			return 0, err
		}
		return AllSessions, nil
	}
	err := a.c.SignOut(ctx, accessToken)
	if err == nil {
		return AllSessions, nil
	}
	// A refused access token, revoked included, does not prove the user's
	// other sessions ended: this one at least is ended, and err says the
	// intent was not met.
	if refreshToken == "" || (accessToken != "" && !errors.Is(err, signout.ErrNotAuthorized)) {
		return 0, err
	}
	if rerr := a.c.RevokeToken(ctx, refreshToken); rerr != nil {
		return 0, errors.Join(err, rerr)
	}
	return ThisSession, err
}
