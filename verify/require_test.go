package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

// errNotOwner is an application's own error, returned by a Check.
var errNotOwner = errors.New("not the owner")

func TestRequirements(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	// The token's scope is "openid email aws.cognito.signin.user.admin",
	// its groups admins and staff.
	tok := p.mint(t, p.claims(clk.Now()))
	tests := []struct {
		name string
		req  Requirement
		kind error // nil: accepted
	}{
		{"all scopes, held", AllScopes("openid", "email"), nil},
		{"all scopes, one lacking", AllScopes("openid", "orders.write"), signout.ErrMissingScope},
		{"all scopes, a prefix only", AllScopes("open"), signout.ErrMissingScope},
		{"any scope, one held", AnyScope("orders.write", "email"), nil},
		{"any scope, none held", AnyScope("orders.write", "orders.read"), signout.ErrMissingScope},
		{"all groups, listed", AllGroups("admins", "staff"), nil},
		{"all groups, one lacking", AllGroups("admins", "billing"), signout.ErrMissingScope},
		{"any group, one listed", AnyGroup("billing", "staff"), nil},
		{"any group, none listed", AnyGroup("billing", "support"), signout.ErrMissingScope},
		{"check accepts", Check(func(c *Claims) error { return nil }), nil},
		{"check refuses", Check(func(c *Claims) error { return errNotOwner }), signout.ErrInvalidToken},
		{"check refuses with a kind", Check(func(c *Claims) error {
			return &signout.Error{Kind: signout.ErrMissingScope, Message: "not this tenant"}
		}), signout.ErrMissingScope},
		{"check sees the claims", Check(func(c *Claims) error {
			if c.Username != "alice" {
				return errNotOwner
			}
			return nil
		}), nil},
		{"misuse: any of no scope", AnyScope(), signout.ErrInvalidOption},
		{"misuse: a scope of two words", AllScopes("a b"), signout.ErrInvalidOption},
		{"misuse: an empty group", AnyGroup(""), signout.ErrInvalidOption},
		{"misuse: zero", Requirement{}, signout.ErrInvalidOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []*Verifier{p.verifier(t, clk), p.verifier(t, clk, WithCacheSize(0))} {
				_, err := v.Verify(context.Background(), tok, tc.req)
				if tc.kind == nil {
					require.NoError(t, err)
					continue
				}
				assertRefused(t, err, tc.kind, tok)
			}
		})
	}
}

func TestCheckErrorIsReachable(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	tok := p.mint(t, p.claims(clk.Now()))
	_, err := p.verifier(t, clk).Verify(context.Background(), tok, Check(func(*Claims) error { return errNotOwner }))
	assert.ErrorIs(t, err, errNotOwner)
	assert.ErrorIs(t, err, signout.ErrNotAuthorized)
}

// TestRequirementsPerCall: one Verifier serves calls with different
// requirements; its cache holds the verification, not a call's verdict.
func TestRequirementsPerCall(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithRequirements(AnyScope("openid")))
	tok := p.mint(t, p.claims(clk.Now()))
	admins, billing := AllGroups("admins"), AllGroups("billing")

	_, err := v.Verify(context.Background(), tok, billing)
	assertRefused(t, err, signout.ErrMissingScope, tok)
	first, err := v.Verify(context.Background(), tok, admins)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok, billing)
	assertRefused(t, err, signout.ErrMissingScope, tok) // a cached token still meets each call's requirements
	again, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Same(t, first, again, "served from the cache")

	// The Verifier's own requirement applies to every call, cached or not.
	noOpenID := p.claims(clk.Now())
	noOpenID["scope"] = "email"
	other := p.mint(t, noOpenID)
	for range 2 {
		_, err = v.Verify(context.Background(), other, admins)
		assertRefused(t, err, signout.ErrMissingScope, other)
	}
}

// TestRevocationBeforeRequirements: a revoked token is refused as revoked,
// whatever the call requires.
func TestRevocationBeforeRequirements(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithRevocationStore(&fakeStore{revoked: map[string]bool{"8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b": true}}))
	tok := p.mint(t, p.claims(clk.Now()))
	_, err := v.Verify(context.Background(), tok, AllGroups("billing"), Check(func(*Claims) error {
		t.Error("a requirement was checked for a revoked token")
		return nil
	}))
	assertRefused(t, err, signout.ErrTokenRevoked, tok)
}
