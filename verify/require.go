package verify

import (
	"errors"
	"slices"
	"strings"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/token"
)

// Requirement is a condition a verified token must meet, such as a scope
// or a group. Give it to WithRequirements for every token, or to Verify or
// Middleware for one call or route. Requirements are checked on every
// call, after the token was found valid and not revoked, whether its
// verification was cached or not. A Requirement built from bad arguments
// (no scope, an empty one) refuses every token with signout.ErrInvalidOption.
type Requirement struct {
	check func(*Claims) error
	err   *signout.Error // a misuse found by the constructor
}

// AllScopes requires the token's scope claim to hold every one of scopes;
// a token lacking one is refused with signout.ErrMissingScope. ID tokens
// carry no scope.
func AllScopes(scopes ...string) Requirement {
	if err := words("AllScopes", scopes); err != nil {
		return Requirement{err: err}
	}
	return Requirement{check: func(c *Claims) error {
		for _, s := range scopes {
			if !token.HasWord(c.Scope, s) {
				return missing("token lacks a required scope")
			}
		}
		return nil
	}}
}

// AnyScope requires the token's scope claim to hold at least one of
// scopes; a token holding none is refused with signout.ErrMissingScope.
func AnyScope(scopes ...string) Requirement {
	if err := words("AnyScope", scopes); err != nil {
		return Requirement{err: err}
	}
	return Requirement{check: func(c *Claims) error {
		for _, s := range scopes {
			if token.HasWord(c.Scope, s) {
				return nil
			}
		}
		return missing("token has none of the accepted scopes")
	}}
}

// AllGroups requires the token's cognito:groups claim to list every one of
// groups; a token lacking one is refused with signout.ErrMissingScope.
func AllGroups(groups ...string) Requirement {
	if err := names("AllGroups", groups); err != nil {
		return Requirement{err: err}
	}
	return Requirement{check: func(c *Claims) error {
		for _, g := range groups {
			if !slices.Contains(c.Groups, g) {
				return missing("token lacks a required group")
			}
		}
		return nil
	}}
}

// AnyGroup requires the token's cognito:groups claim to list at least one
// of groups; a token in none is refused with signout.ErrMissingScope.
func AnyGroup(groups ...string) Requirement {
	if err := names("AnyGroup", groups); err != nil {
		return Requirement{err: err}
	}
	return Requirement{check: func(c *Claims) error {
		for _, g := range groups {
			if slices.Contains(c.Groups, g) {
				return nil
			}
		}
		return missing("token is in none of the accepted groups")
	}}
}

// Check requires f to accept the token's claims, for rules of the
// application's own, such as a custom: attribute (read it with
// Claims.Decode). An error from f refuses the token: Verify returns an
// *signout.Error whose Err is f's error, with f's Kind when f returns an
// *signout.Error (signout.ErrMissingScope for a 403 from Middleware, say)
// and signout.ErrInvalidToken otherwise. f must be safe for concurrent use
// and must not modify the claims.
func Check(f func(*Claims) error) Requirement {
	if f == nil {
		return Requirement{err: misuse("Check", "nil func")}
	}
	return Requirement{check: func(c *Claims) error {
		err := f(c)
		if err == nil {
			return nil
		}
		e := &signout.Error{Op: "Verify", Kind: signout.ErrInvalidToken, Message: "token refused by a claims check", Err: err}
		var se *signout.Error
		if errors.As(err, &se) && se.Kind != nil {
			e.Kind, e.Message = se.Kind, "claims check: "+se.Message
		}
		return e
	}}
}

// meets checks c against reqs in order and returns the first refusal.
func meets(c *Claims, reqs []Requirement) error {
	for _, r := range reqs {
		if err := r.problem(); err != nil {
			return err
		}
		if err := r.check(c); err != nil {
			return err
		}
	}
	return nil
}

// problem reports a Requirement that cannot be checked.
func (r Requirement) problem() *signout.Error {
	switch {
	case r.err != nil:
		return r.err
	case r.check == nil:
		return misuse("Requirement", "a zero Requirement: build one with AllScopes, AnyScope, AllGroups, AnyGroup or Check")
	}
	return nil
}

func words(op string, list []string) *signout.Error {
	if len(list) == 0 {
		return misuse(op, "no scope given")
	}
	for _, s := range list {
		if s == "" || strings.ContainsAny(s, " \t\n") {
			return misuse(op, "a scope is one non-empty word")
		}
	}
	return nil
}

func names(op string, list []string) *signout.Error {
	if len(list) == 0 {
		return misuse(op, "no group given")
	}
	if slices.Contains(list, "") {
		return misuse(op, "empty group name")
	}
	return nil
}

func misuse(op, msg string) *signout.Error {
	return &signout.Error{Op: op, Kind: signout.ErrInvalidOption, Message: msg}
}

func missing(msg string) error {
	return &signout.Error{Op: "Verify", Kind: signout.ErrMissingScope, Message: msg}
}
