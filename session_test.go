package signout_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// refreshWorks reports whether REFRESH_TOKEN_AUTH still accepts rt.
func refreshWorks(t *testing.T, srv *signouttest.Server, rt string) bool {
	t.Helper()
	_, err := rawSDK(t, srv).InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt},
	})
	return err == nil
}

func accessWorks(t *testing.T, srv *signouttest.Server, at string) bool {
	t.Helper()
	_, err := rawSDK(t, srv).GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(at)})
	return err == nil
}

func TestEndSession(t *testing.T) {
	type setup struct {
		srv     *signouttest.Server
		session signout.Session
		other   signouttest.Tokens // another session of the same user
	}
	tests := []struct {
		name      string
		prepare   func(t *testing.T, s *setup)
		want      signout.Result // errors compared separately
		wantErr   error
		signOuts  int
		revokes   int
		otherLive bool // the user's other session survives
	}{
		{
			name:     "live access token signs out everywhere",
			want:     signout.Result{SignedOut: true},
			signOuts: 1,
		},
		{
			name: "expired access token falls back to revoking the refresh token",
			prepare: func(t *testing.T, s *setup) {
				s.session.AccessToken = s.srv.AccessToken("alice", signouttest.ExpiresIn(-time.Hour))
			},
			want:      signout.Result{RefreshTokenRevoked: true},
			revokes:   1,
			otherLive: true,
		},
		{
			name: "invalid access token falls back",
			prepare: func(t *testing.T, s *setup) {
				s.session.AccessToken = "not-a-token"
			},
			want:      signout.Result{RefreshTokenRevoked: true},
			revokes:   1,
			otherLive: true,
		},
		{
			name: "already signed out counts as ended",
			prepare: func(t *testing.T, s *setup) {
				require.NoError(t, rawSignOut(s.srv, s.session.AccessToken))
			},
			want:     signout.Result{SignedOut: true, AlreadySignedOut: true},
			signOuts: 1,
		},
		{
			name: "refresh token alone",
			prepare: func(t *testing.T, s *setup) {
				s.session.AccessToken = ""
			},
			want:      signout.Result{RefreshTokenRevoked: true},
			revokes:   1,
			otherLive: true,
		},
		{
			name: "access token alone, expired: nothing can be ended",
			prepare: func(t *testing.T, s *setup) {
				s.session = signout.Session{AccessToken: s.srv.AccessToken("alice", signouttest.ExpiresIn(-time.Hour))}
			},
			wantErr:   signout.ErrTokenExpired,
			otherLive: true,
		},
		{
			name: "Cognito down: nothing ended, retryable",
			prepare: func(t *testing.T, s *setup) {
				s.srv.InjectFault("", signouttest.Fault{Status: 503, Body: "<html>down</html>"})
			},
			wantErr:   signout.ErrService,
			signOuts:  3,
			revokes:   3,
			otherLive: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			s := &setup{srv: srv}
			tokens := srv.SignIn("alice")
			s.other = srv.SignIn("alice")
			s.session = signout.Session{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken}
			c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithClientID(srv.ClientID))
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)
			if tc.prepare != nil {
				tc.prepare(t, s)
			}
			before := srv.Requests("GlobalSignOut")

			res, err := c.EndSession(context.Background(), s.session)

			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.True(t, res.Ended())
				assert.Equal(t, tc.want.SignedOut, res.SignedOut)
				assert.Equal(t, tc.want.AlreadySignedOut, res.AlreadySignedOut)
				assert.Equal(t, tc.want.RefreshTokenRevoked, res.RefreshTokenRevoked)
				srv.ClearFaults()
				if s.session.RefreshToken != "" {
					assert.False(t, refreshWorks(t, srv, s.session.RefreshToken), "the session's refresh token is dead")
				}
			} else {
				require.ErrorIs(t, err, tc.wantErr)
				assert.False(t, res.Ended())
				srv.ClearFaults()
			}
			assert.Equal(t, tc.signOuts, srv.Requests("GlobalSignOut")-before)
			assert.Equal(t, tc.revokes, srv.Requests("RevokeToken"))
			assert.Equal(t, tc.otherLive, refreshWorks(t, srv, s.other.RefreshToken), "the user's other session")
		})
	}
}

func rawSignOut(srv *signouttest.Server, at string) error {
	c := cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL)})
	_, err := c.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(at)})
	return err
}

func TestEndSessionTwice(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithClientID(srv.ClientID))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	tokens := srv.SignIn("alice")
	s := signout.Session{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken}
	for i := range 2 {
		res, err := c.EndSession(context.Background(), s)
		require.NoError(t, err, "call %d", i+1)
		assert.True(t, res.SignedOut)
		assert.Equal(t, i == 1, res.AlreadySignedOut)
	}
	// Once the access token has also expired, a third logout revokes the
	// refresh token, which is already dead: still ended.
	s.AccessToken = srv.AccessToken("alice", signouttest.ExpiresIn(-time.Hour))
	res, err := c.EndSession(context.Background(), s)
	require.NoError(t, err)
	assert.True(t, res.RefreshTokenRevoked)
}

func TestEndSessionEmpty(t *testing.T) {
	c, err := signout.New(signout.WithRegion("us-east-1"))
	require.NoError(t, err)
	_, err = c.EndSession(context.Background(), signout.Session{})
	require.ErrorIs(t, err, signout.ErrInvalidToken)
}

func TestRevokeToken(t *testing.T) {
	srv := signouttest.NewServer(signouttest.Confidential())
	t.Cleanup(srv.Close)
	tokens := srv.SignIn("alice")
	tests := []struct {
		name string
		opts []signout.Option
		tok  string
		want error
		sent bool
	}{
		{"no client id", nil, tokens.RefreshToken, signout.ErrInvalidOption, false},
		{"wrong secret", []signout.Option{signout.WithClientID(srv.ClientID), signout.WithClientSecret("wrong")}, tokens.RefreshToken, signout.ErrUnauthorizedClient, true},
		{"access token is not a refresh token", []signout.Option{signout.WithClientID(srv.ClientID), signout.WithClientSecret(srv.ClientSecret)}, tokens.AccessToken, signout.ErrUnsupportedTokenType, true},
		{"empty", []signout.Option{signout.WithClientID(srv.ClientID)}, "", signout.ErrInvalidToken, false},
		{"control characters", []signout.Option{signout.WithClientID(srv.ClientID)}, "abc\r\ndef", signout.ErrInvalidToken, false},
		{"revokes", []signout.Option{signout.WithClientID(srv.ClientID), signout.WithClientSecret(srv.ClientSecret)}, tokens.RefreshToken, nil, true},
		{"again: already revoked is fine", []signout.Option{signout.WithClientID(srv.ClientID), signout.WithClientSecret(srv.ClientSecret)}, tokens.RefreshToken, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := signout.New(append(tc.opts, signout.WithEndpoint(srv.URL), signout.WithRegion(srv.Region))...)
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)
			before := srv.Requests("RevokeToken")
			err = c.RevokeToken(context.Background(), tc.tok)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
				text := fmt.Sprintf("%v %+v %#v", err, err, err)
				assert.NotContains(t, text, srv.ClientSecret, "the client secret never shows")
				if len(tc.tok) > 8 {
					assert.NotContains(t, text, tc.tok)
				}
			}
			assert.Equal(t, tc.sent, srv.Requests("RevokeToken") > before)
		})
	}
	assert.False(t, refreshWorks(t, srv, tokens.RefreshToken))
	assert.False(t, accessWorks(t, srv, tokens.AccessToken), "access tokens issued with the refresh token are revoked too")
}

func TestAdminSignOut(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	srv := signouttest.NewServer(signouttest.Region("eu-west-1"))
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	alice, alice2, bob := srv.SignIn("alice"), srv.SignIn("alice"), srv.SignIn("bob")

	require.NoError(t, c.AdminSignOut(context.Background(), srv.UserPoolID, "alice"))
	assert.False(t, accessWorks(t, srv, alice.AccessToken))
	assert.False(t, refreshWorks(t, srv, alice2.RefreshToken))
	assert.True(t, accessWorks(t, srv, bob.AccessToken))

	tests := []struct {
		name, pool, user string
		want             error
		sent             bool
	}{
		{"unknown user", srv.UserPoolID, "nobody", signout.ErrUserNotFound, true},
		{"unknown pool", "eu-west-1_nope", "alice", signout.ErrResourceNotFound, true},
		{"malformed pool", "pool", "alice", signout.ErrInvalidParameter, false},
		{"empty user", srv.UserPoolID, "", signout.ErrInvalidParameter, false},
		{"control character in user", srv.UserPoolID, "al\nice", signout.ErrInvalidParameter, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests("AdminUserGlobalSignOut")
			err := c.AdminSignOut(context.Background(), tc.pool, tc.user)
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.sent, srv.Requests("AdminUserGlobalSignOut") > before)
		})
	}
}

func TestAdminSignOutWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never leave loopback
	t.Setenv("AWS_CONFIG_FILE", dir+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL))
	require.NoError(t, err, "New needs no credentials")
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken), "nor does SignOut")

	err = c.AdminSignOut(context.Background(), srv.UserPoolID, "alice")
	require.ErrorIs(t, err, signout.ErrNoCredentials)
	assert.Zero(t, srv.Requests("AdminUserGlobalSignOut"))

	// Credentials that turn up later are found: a failure is not kept.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	require.NoError(t, c.AdminSignOut(context.Background(), srv.UserPoolID, "alice"))
}

func TestLogoutURL(t *testing.T) {
	got, err := signout.LogoutURL("https://auth.example.com/", "abc123", "https://app.example.com/bye?x=1")
	require.NoError(t, err)
	assert.Equal(t, "https://auth.example.com/logout?client_id=abc123&logout_uri=https%3A%2F%2Fapp.example.com%2Fbye%3Fx%3D1", got)
	got, err = signout.LogoutURL("myapp.auth.eu-west-1.amazoncognito.com", "abc123", "http://localhost:8080/")
	require.NoError(t, err)
	assert.Equal(t, "https://myapp.auth.eu-west-1.amazoncognito.com/logout?client_id=abc123&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F", got)

	for _, tc := range []struct{ domain, client, uri string }{
		{"", "abc", "https://a.example"},
		{"auth.example.com/path", "abc", "https://a.example"},
		{"evil.com@auth.example.com", "abc", "https://a.example"},
		{"auth.example.com:444", "abc", "https://a.example"},
		{"auth.example.com", "", "https://a.example"},
		{"auth.example.com", "a b", "https://a.example"},
		{"auth.example.com", "abc", "/relative"},
		{"auth.example.com", "abc", "http://app.example.com/"},
		{"auth.example.com", "abc", "javascript:alert(1)"},
		{"auth.example.com", "abc", "https://a.example/#frag"},
	} {
		_, err := signout.LogoutURL(tc.domain, tc.client, tc.uri)
		assert.ErrorIs(t, err, signout.ErrInvalidParameter, "%+v", tc)
	}
}
