package signouttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

var _ signout.Signer = (*signouttest.FakeSigner)(nil)

func TestSigner(t *testing.T) {
	s := &signouttest.FakeSigner{Results: []error{signout.ErrThrottled}, Err: signout.ErrTokenRevoked}
	ctx := context.Background()
	assert.ErrorIs(t, s.SignOut(ctx, "t1"), signout.ErrThrottled)
	assert.ErrorIs(t, s.SignOut(ctx, "t2"), signout.ErrTokenRevoked)
	assert.ErrorIs(t, s.SignOut(ctx, "t3"), signout.ErrTokenRevoked)
	assert.Equal(t, []string{"t1", "t2", "t3"}, s.Calls())

	var zero signouttest.FakeSigner
	assert.NoError(t, zero.SignOut(ctx, "x"))
	assert.Equal(t, []string{"x"}, zero.Calls())
}

func TestSignerScriptsTypedErrors(t *testing.T) {
	s := &signouttest.FakeSigner{Err: &signout.Error{Op: "GlobalSignOut", Kind: signout.ErrThrottled}}
	err := s.SignOut(context.Background(), "t")
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	assert.True(t, se.Retryable())
	assert.ErrorIs(t, err, signout.ErrThrottled)
}
