package revocation

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// TestOutbox checks the Store's outbox against the contract of
// signout.RevocationStore.
func TestOutbox(t *testing.T) {
	signouttest.TestRevocationStore(t, func(*testing.T) signout.RevocationStore { return New() })
}

func TestEnqueueRefusesAnEntryWithoutID(t *testing.T) {
	s := New()
	ctx := context.Background()
	require.ErrorIs(t, s.Enqueue(ctx, signout.OutboxEntry{Data: []byte("sealed")}), signout.ErrInvalidParameter)
	n, _, err := s.Pending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing written")
}
