package signout_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/moto"
)

// jwtShape matches the start of any JWT or JWE. It looks for the shape, not
// "eyJ" alone, which a random request id from moto may hold.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)

// TestMoto signs users out of moto's Cognito through the real SDK and proves
// with GetUser and REFRESH_TOKEN_AUTH that only their tokens stopped working.
func TestMoto(t *testing.T) {
	url := moto.Start(t)
	pool := moto.NewPool(t, moto.Admin(t, url))
	var logs bytes.Buffer
	c, err := signout.New(
		signout.WithEndpoint(url),
		signout.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	ctx := context.Background()

	t.Run("sign out revokes access and refresh tokens", func(t *testing.T) {
		alice, bob := pool.SignIn(t, "alice"), pool.SignIn(t, "bob")
		require.NoError(t, pool.GetUser(alice.Access), "precondition: alice is signed in")

		require.NoError(t, c.SignOut(ctx, alice.Access))

		var api smithy.APIError
		require.ErrorAs(t, pool.GetUser(alice.Access), &api)
		assert.Equal(t, "NotAuthorizedException", api.ErrorCode())
		err := pool.Refresh(alice.Refresh)
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "NotAuthorizedException", api.ErrorCode())
		assert.Equal(t, "Refresh Token has been revoked", api.ErrorMessage())

		assert.NoError(t, pool.GetUser(bob.Access), "bob's access token still works")
		assert.NoError(t, pool.Refresh(bob.Refresh), "bob's refresh token still works")
	})

	t.Run("second sign out is not authorized and never shows the token", func(t *testing.T) {
		carol := pool.SignIn(t, "carol")
		require.NoError(t, c.SignOut(ctx, carol.Access))
		err := c.SignOut(ctx, carol.Access)
		require.ErrorIs(t, err, signout.ErrNotAuthorized)
		var se *signout.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "NotAuthorizedException", se.Code)
		assert.Equal(t, 1, se.Attempts)
		// moto answers with the token itself as the message.
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), se.Message} {
			assert.NotContains(t, text, carol.Access)
		}
		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.NotContains(t, api.ErrorMessage(), carol.Access)
	})

	t.Run("admin sign out by user name", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "testing") // moto accepts any signed request
		t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		admin, err := signout.New(signout.WithEndpoint(url))
		require.NoError(t, err)
		t.Cleanup(admin.CloseIdleConnections)
		erin, frank := pool.SignIn(t, "erin"), pool.SignIn(t, "frank")

		require.NoError(t, admin.AdminSignOut(ctx, pool.ID, "erin"))
		var api smithy.APIError
		require.ErrorAs(t, pool.GetUser(erin.Access), &api)
		require.ErrorAs(t, pool.Refresh(erin.Refresh), &api)
		assert.Equal(t, "Refresh Token has been revoked", api.ErrorMessage())
		assert.NoError(t, pool.GetUser(frank.Access), "frank is still signed in")

		err = admin.AdminSignOut(ctx, pool.ID, "nobody")
		require.ErrorIs(t, err, signout.ErrUserNotFound)
	})

	t.Run("debug log never shows a token", func(t *testing.T) {
		dave := pool.SignIn(t, "dave")
		require.NoError(t, c.SignOut(ctx, dave.Access))
		require.Contains(t, logs.String(), "signout: attempt")
		assert.NotContains(t, logs.String(), dave.Access)
		assert.NotRegexp(t, jwtShape, logs.String())
	})
}
