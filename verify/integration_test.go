package verify

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/moto"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

var _ RevocationStore = (*revocation.Store)(nil)

// TestStandInTokens verifies the access and ID tokens the in-process
// stand-in mints, with its JWKS served where Cognito's emulators serve it.
func TestStandInTokens(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	v, err := New(WithPool(srv.Issuer, srv.ClientID), WithEndpoint(srv.URL), WithTokenUse("access", "id"), WithRevocationStore(store))
	require.NoError(t, err)

	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	access, err := v.Verify(context.Background(), alice.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "access", access.TokenUse)
	assert.Equal(t, srv.ClientID, access.ClientID)
	assert.Equal(t, "alice", access.Username)
	assert.NotEmpty(t, access.OriginJTI)
	id, err := v.Verify(context.Background(), alice.IDToken)
	require.NoError(t, err)
	assert.Equal(t, "id", id.TokenUse)
	assert.Equal(t, access.Subject, id.Subject)

	// A sign-out everywhere, as the root Client records it, ends both of
	// alice's tokens and none of bob's.
	require.NoError(t, store.Revoke(context.Background(), signout.Revocation{UserPoolID: srv.UserPoolID, Subject: access.Subject, At: time.Now()}))
	_, err = v.Verify(context.Background(), alice.AccessToken)
	assertRefused(t, err, signout.ErrTokenRevoked, alice.AccessToken)
	_, err = v.Verify(context.Background(), alice.IDToken)
	assertRefused(t, err, signout.ErrTokenRevoked, alice.IDToken)
	_, err = v.Verify(context.Background(), bob.AccessToken)
	require.NoError(t, err)
}

// TestMotoTokens verifies tokens moto mints, JWKS from moto's endpoint,
// and follows one session across a refresh by its origin_jti.
func TestMotoTokens(t *testing.T) {
	url := moto.Start(t)
	admin := moto.Admin(t, url)
	pool := moto.NewPool(t, admin)
	issuer := "https://cognito-idp." + moto.Region + ".amazonaws.com/" + pool.ID
	store := revocation.New()
	v, err := New(WithPool(pool.ID, pool.ClientID), WithEndpoint(url), WithRequirements(AllScopes("aws.cognito.signin.user.admin")), WithRevocationStore(store))
	require.NoError(t, err)
	ids, err := New(WithPool(issuer, pool.ClientID), WithEndpoint(url), WithTokenUse("id"))
	require.NoError(t, err)

	first := pool.SignIn(t, "alice")
	other := pool.SignIn(t, "alice")
	c, err := v.Verify(context.Background(), first.Access)
	require.NoError(t, err)
	assert.Equal(t, issuer, c.Issuer)
	assert.Equal(t, pool.ClientID, c.ClientID)
	assert.Equal(t, "alice", c.Username)
	assert.NotEmpty(t, c.JTI)
	require.NotEmpty(t, c.OriginJTI, "moto's tokens carry origin_jti")

	out, err := admin.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(pool.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": first.Refresh},
	})
	require.NoError(t, err)
	refreshed := *out.AuthenticationResult.AccessToken
	idToken := *out.AuthenticationResult.IdToken
	rc, err := v.Verify(context.Background(), refreshed)
	require.NoError(t, err)
	assert.Equal(t, c.OriginJTI, rc.OriginJTI, "a refresh keeps the session's origin_jti")
	ic, err := ids.Verify(context.Background(), idToken)
	require.NoError(t, err)
	assert.Equal(t, "id", ic.TokenUse)

	// Ending this one session (RevokeToken's record) refuses its tokens,
	// refreshed ones included, and not the user's other session.
	require.NoError(t, store.Revoke(context.Background(), signout.Revocation{UserPoolID: c.UserPoolID, Subject: c.Subject, OriginJTI: c.OriginJTI, At: time.Now()}))
	for _, tok := range []string{first.Access, refreshed} {
		_, err = v.Verify(context.Background(), tok)
		assertRefused(t, err, signout.ErrTokenRevoked, tok)
	}
	_, err = v.Verify(context.Background(), other.Access)
	require.NoError(t, err)

	// A token of another moto pool is refused.
	pool2 := moto.NewPool(t, admin)
	stranger := pool2.SignIn(t, "mallory")
	_, err = v.Verify(context.Background(), stranger.Access)
	assertRefused(t, err, signout.ErrInvalidToken, stranger.Access)
}

// TestStandInRegions verifies the tokens of a replicated pool on the
// stand-in, in both issuer forms, with the stand-in's transport sending
// each request for a Cognito host to the server of its region: the JWKS
// comes from the region the token names, or from another region of the
// pool when that one is down; a record made for the pool ends the user's
// tokens from every region.
func TestStandInRegions(t *testing.T) {
	for _, form := range []struct {
		name string
		opts []signouttest.ServerOption
	}{{"ORIGINAL", nil}, {"UPDATED", []signouttest.ServerOption{signouttest.UpdatedIssuer()}}} {
		t.Run(form.name, func(t *testing.T) {
			primary := signouttest.NewServer(form.opts...)
			t.Cleanup(primary.Close)
			replica := primary.Replica("eu-west-1")
			store := revocation.New()
			v, err := New(WithPool(primary.UserPoolID, primary.ClientID), WithReplicaRegions(primary.UserPoolID, "eu-west-1"),
				WithHTTPClient(primary.HTTPClient()), WithRevocationStore(store))
			require.NoError(t, err)

			// The primary region is down: the replica's token is checked
			// with the keys of a region that answers.
			primary.SetDown(true)
			primary.SignIn("alice") // the pool's users are made in the primary
			fromReplica := replica.SignIn("alice").AccessToken
			c, err := v.Verify(context.Background(), fromReplica)
			require.NoError(t, err)
			assert.Equal(t, replica.Issuer, c.Issuer)
			assert.Equal(t, primary.UserPoolID, c.UserPoolID)
			assert.Equal(t, 1, replica.Requests("JWKS"))
			primary.SetDown(false)

			fromPrimary := primary.SignIn("alice").AccessToken
			_, err = v.Verify(context.Background(), fromPrimary)
			require.NoError(t, err)
			bob := primary.SignIn("bob").AccessToken
			require.NoError(t, store.Revoke(context.Background(), signout.Revocation{UserPoolID: c.UserPoolID, Subject: c.Subject, At: time.Now()}))
			for _, tok := range []string{fromReplica, fromPrimary} {
				_, err = v.Verify(context.Background(), tok)
				assertRefused(t, err, signout.ErrTokenRevoked, tok)
			}
			_, err = v.Verify(context.Background(), bob)
			require.NoError(t, err)
		})
	}
}
