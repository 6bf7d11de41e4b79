package signout_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

// TestLogout runs each intent with each shape of session a logout handler
// meets, and checks what ended through the stand-in: this session's
// tokens, and another session of the same user.
func TestLogout(t *testing.T) {
	t.Parallel() // waits out retry backoffs; overlapped with the others
	type session struct{ access, refresh bool }
	tests := []struct {
		name       string
		reach      signout.Reach
		noClient   bool // no WithAppClient
		noRevoke   bool // the app client has revocation turned off
		expired    bool // the access token expired long ago
		revokedAT  bool // this session was already ended by RevokeToken
		badRefresh bool // a planted cookie's garbage in place of the refresh token
		fault      string
		give       session
		want       signout.Reach
		wantErr    error
		signOuts   int // GlobalSignOut requests
		revokes    int // RevokeToken requests
		otherEnded bool
	}{
		{name: "this session", reach: signout.ThisSession, give: session{true, true}, want: signout.ThisSession, revokes: 1},
		{name: "this session, refresh token only", reach: signout.ThisSession, give: session{false, true}, want: signout.ThisSession, revokes: 1},
		{name: "this session, expired access token", reach: signout.ThisSession, expired: true, give: session{true, true}, want: signout.ThisSession, revokes: 1},
		{name: "this session without a refresh token ends all", reach: signout.ThisSession, give: session{true, false}, want: signout.AllSessions, signOuts: 1, otherEnded: true},
		{name: "this session without an app client ends all", reach: signout.ThisSession, noClient: true, give: session{true, true}, want: signout.AllSessions, signOuts: 1, otherEnded: true},
		{name: "this session with revocation off ends all", reach: signout.ThisSession, noRevoke: true, give: session{true, true}, want: signout.AllSessions, signOuts: 1, revokes: 1, otherEnded: true},
		{name: "this session with a planted refresh token ends all", reach: signout.ThisSession, badRefresh: true, give: session{true, true}, want: signout.AllSessions, signOuts: 1, revokes: 1, otherEnded: true},
		{name: "this session with revocation off and no access token", reach: signout.ThisSession, noRevoke: true, give: session{false, true}, wantErr: signout.ErrOperationNotEnabled, revokes: 1},
		{name: "this session without an app client or access token", reach: signout.ThisSession, noClient: true, give: session{false, true}, wantErr: signout.ErrInvalidOption},
		{name: "this session, Cognito throttles: no fallback", reach: signout.ThisSession, fault: "RevokeToken", give: session{true, true}, wantErr: signout.ErrThrottled, revokes: 3},
		{name: "all sessions", reach: signout.AllSessions, give: session{true, true}, want: signout.AllSessions, signOuts: 1, otherEnded: true},
		{name: "all sessions, access token only", reach: signout.AllSessions, give: session{true, false}, want: signout.AllSessions, signOuts: 1, otherEnded: true},
		{name: "all sessions, expired access token: this one ends", reach: signout.AllSessions, expired: true, give: session{true, true}, want: signout.ThisSession, wantErr: signout.ErrTokenExpired, revokes: 1},
		{name: "all sessions, revoked access token: this one ends", reach: signout.AllSessions, revokedAT: true, give: session{true, true}, want: signout.ThisSession, wantErr: signout.ErrTokenRevoked, signOuts: 1, revokes: 2},
		{name: "all sessions, refresh token only: this one ends", reach: signout.AllSessions, give: session{false, true}, want: signout.ThisSession, wantErr: signout.ErrInvalidToken, revokes: 1},
		{name: "all sessions, expired access token and no refresh token", reach: signout.AllSessions, expired: true, give: session{true, false}, wantErr: signout.ErrTokenExpired},
		{name: "all sessions, expired access token and no app client", reach: signout.AllSessions, expired: true, noClient: true, give: session{true, true}, wantErr: signout.ErrTokenExpired},
		{name: "all sessions, Cognito throttles: no fallback", reach: signout.AllSessions, fault: "GlobalSignOut", give: session{true, true}, wantErr: signout.ErrThrottled, signOuts: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srvOpts []signouttest.ServerOption
			if tc.noRevoke {
				srvOpts = append(srvOpts, signouttest.RevocationDisabled())
			}
			srv := signouttest.NewServer(srvOpts...)
			t.Cleanup(srv.Close)
			opts := []signout.Option{signout.WithEndpoint(srv.URL)}
			if !tc.noClient {
				opts = append(opts, signout.WithAppClient(srv.ClientID, ""))
			}
			c, err := signout.New(opts...)
			require.NoError(t, err)
			ctx := context.Background()

			this, other := srv.SignIn("alice"), srv.SignIn("alice")
			at := this.AccessToken
			if tc.expired {
				at = srv.SignIn("alice", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}).AccessToken
			}
			if tc.revokedAT {
				_, err := srv.Client().RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &srv.ClientID, Token: &this.RefreshToken})
				require.NoError(t, err)
			}
			if tc.fault != "" {
				srv.InjectFault(tc.fault, signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"})
			}
			if !tc.give.access {
				at = ""
			}
			rt := this.RefreshToken
			if tc.badRefresh {
				rt = "planted-garbage"
			}
			if !tc.give.refresh {
				rt = ""
			}

			ended, err := c.Logout(ctx, at, rt, tc.reach)
			assert.Equal(t, tc.want, ended, "what ended: %v", ended)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
				asError(t, err)
			}
			assert.Equal(t, tc.signOuts, srv.Requests("GlobalSignOut"), "GlobalSignOut requests")
			assert.Equal(t, tc.revokes, srv.Requests("RevokeToken"), "RevokeToken requests, the set-up's included")
			if ended != 0 {
				assert.False(t, srv.Accepts(this.RefreshToken), "this session's refresh token")
				assert.False(t, srv.Accepts(this.AccessToken), "this session's access token")
			} else {
				assert.True(t, srv.Accepts(this.RefreshToken) || tc.revokedAT, "nothing ended")
			}
			assert.Equal(t, tc.otherEnded, !srv.Accepts(other.AccessToken), "the user's other session ended")
		})
	}
}

func TestLogoutRefusesBadInput(t *testing.T) {
	srv, c := startServer(t, signout.WithAppClient("abc", ""))
	s := srv.SignIn("alice")
	ctx := context.Background()
	_, err := c.Logout(ctx, s.AccessToken, s.RefreshToken, signout.Reach(7))
	require.ErrorIs(t, err, signout.ErrInvalidParameter)
	_, err = c.Logout(ctx, "", "", signout.ThisSession)
	require.ErrorIs(t, err, signout.ErrInvalidToken)
	_, err = c.Logout(ctx, "", s.AccessToken, signout.ThisSession)
	require.ErrorIs(t, err, signout.ErrInvalidToken, "an access token where the refresh token goes")
	assert.Zero(t, srv.Requests(""), "nothing was sent")
}

func TestLogoutRecordsWhatEnded(t *testing.T) {
	store := &memStore{Store: revocation.New()}
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""), signout.WithRevocationStore(store),
		signout.WithPool(srv.UserPoolID))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	logout := func(at, rt string, reach signout.Reach) signout.Reach {
		t.Helper()
		ended, _ := c.Logout(ctx, at, rt, reach)
		return ended
	}

	// This session: recorded by its origin_jti.
	alice := srv.SignIn("alice")
	require.Equal(t, signout.ThisSession, logout(alice.AccessToken, alice.RefreshToken, signout.ThisSession))
	// All sessions: recorded for the user.
	bob := srv.SignIn("bob")
	require.Equal(t, signout.AllSessions, logout(bob.AccessToken, bob.RefreshToken, signout.AllSessions))
	// The fallback from all sessions to this one, with an access token
	// already revoked: all sessions were asked for, and are recorded
	// before Cognito answers.
	carol := srv.SignIn("carol")
	_, err = srv.Client().RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &srv.ClientID, Token: &carol.RefreshToken})
	require.NoError(t, err)
	asked := srv.Requests("GetUser")
	require.Equal(t, signout.ThisSession, logout(carol.AccessToken, carol.RefreshToken, signout.AllSessions))
	assert.Equal(t, asked, srv.Requests("GetUser"), "GetUser decides nothing here")
	// No access token, or an expired one, which authenticates no one:
	// nothing is recorded.
	dave := srv.SignIn("dave")
	require.Equal(t, signout.ThisSession, logout("", dave.RefreshToken, signout.ThisSession))
	expired := srv.SignIn("erin", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()})
	require.Equal(t, signout.ThisSession, logout(expired.AccessToken, expired.RefreshToken, signout.AllSessions))

	recs := store.records()
	require.Len(t, recs, 3)
	want := []struct{ tok, originJTI string }{
		{alice.AccessToken, claim(t, alice.AccessToken, "origin_jti")},
		{bob.AccessToken, ""},
		{carol.AccessToken, ""},
	}
	for i, w := range want {
		assert.Equal(t, srv.UserPoolID, recs[i].UserPoolID)
		assert.Equal(t, claim(t, w.tok, "sub"), recs[i].Subject)
		assert.Equal(t, w.originJTI, recs[i].OriginJTI)
		assert.Equal(t, 24*time.Hour, recs[i].Expires.Sub(recs[i].At))
	}
	assert.NotEmpty(t, recs[0].OriginJTI)
}

// TestLogoutRecordsOnlyVerifiedTokens: an attacker revokes their own
// refresh token beside an access token forged to name the victim's session.
// Cognito revokes the attacker's session; the forged claims, whose
// signature does not verify, are recorded nowhere, so the victim stays
// signed in at the application's API too.
func TestLogoutRecordsOnlyVerifiedTokens(t *testing.T) {
	store := &memStore{Store: revocation.New()}
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""), signout.WithRevocationStore(store),
		signout.WithPool(srv.UserPoolID))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	victim, attacker := srv.SignIn("victim"), srv.SignIn("mallory")

	parts := strings.Split(attacker.AccessToken, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	claims["sub"], claims["origin_jti"] = claim(t, victim.AccessToken, "sub"), claim(t, victim.AccessToken, "origin_jti")
	payload, err = json.Marshal(claims)
	require.NoError(t, err)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	ended, err := c.Logout(context.Background(), forged, attacker.RefreshToken, signout.ThisSession)
	require.NoError(t, err)
	assert.Equal(t, signout.ThisSession, ended, "the attacker's own session ended")
	assert.False(t, srv.Accepts(attacker.RefreshToken))
	assert.Empty(t, store.records(), "the forged claims were recorded nowhere")
	assert.True(t, srv.Accepts(victim.AccessToken))
}

// deadlineAPI records the deadline each call saw.
type deadlineAPI struct {
	mockAPI
	mu        sync.Mutex
	deadlines []time.Time
}

func (d *deadlineAPI) saw(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, _ := ctx.Deadline()
	d.deadlines = append(d.deadlines, dl)
}

func (d *deadlineAPI) GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, o ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	d.saw(ctx)
	return d.mockAPI.GlobalSignOut(ctx, in, o...)
}

func (d *deadlineAPI) RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, o ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	d.saw(ctx)
	return nil, &types.UnsupportedOperationException{Message: aws.String("Token revocation is not enabled")}
}

// TestLogoutHasOneBudget: the requests of one Logout share one WithTimeout.
func TestLogoutHasOneBudget(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	s := srv.SignIn("alice")
	api := &deadlineAPI{}
	c, err := signout.New(signout.WithCognitoAPI(api), signout.WithAppClient(srv.ClientID, ""), signout.WithTimeout(time.Hour))
	require.NoError(t, err)
	ended, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, signout.ThisSession)
	require.NoError(t, err)
	assert.Equal(t, signout.AllSessions, ended, "revocation off: all sessions")
	require.Len(t, api.deadlines, 2)
	assert.Equal(t, api.deadlines[0], api.deadlines[1], "both requests ran against the same deadline")
	assert.False(t, api.deadlines[0].IsZero())
}

// managedLogin makes tokens as Cognito's managed login issues them, without
// the aws.cognito.signin.user.admin scope.
var managedLogin = signouttest.Claims{"scope": "openid email"}

// TestLogoutManagedLoginTokens: a token without the admin scope, which
// GetUser and GlobalSignOut refuse, is recorded by its verified signature:
// its session for ThisSession, its user for AllSessions, which WithAdmin
// then ends at Cognito.
func TestLogoutManagedLoginTokens(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store)
	refused := apiOf(t, srv, store)
	s := srv.SignIn("alice", managedLogin)
	ended, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, signout.ThisSession)
	require.NoError(t, err)
	assert.Equal(t, signout.ThisSession, ended)
	assert.False(t, srv.Accepts(s.RefreshToken))
	assert.True(t, refused(s.AccessToken), "the API refuses the session's access token")

	b := srv.SignIn("bob", managedLogin)
	_, err = c.Logout(context.Background(), b.AccessToken, "", signout.AllSessions)
	require.ErrorIs(t, err, signout.ErrMissingScope)
	assert.True(t, refused(b.AccessToken), "the API refuses bob's sessions")

	assert.True(t, srv.Accepts(b.RefreshToken), "GlobalSignOut cannot be made with the token")

	// With IAM: AdminUserGlobalSignOut.
	withAdmin := recordingClient(t, srv, store, signout.WithAdmin(newAdmin(t, srv.URL)))
	carol, carol2 := srv.SignIn("carol", managedLogin), srv.SignIn("carol")
	ended, err = withAdmin.Logout(context.Background(), carol.AccessToken, carol.RefreshToken, signout.AllSessions)
	require.NoError(t, err)
	assert.Equal(t, signout.AllSessions, ended)
	assert.True(t, refused(carol.AccessToken))
	assert.False(t, srv.Accepts(carol2.RefreshToken), "carol's other session ended at Cognito")
	dave := srv.SignIn("dave", managedLogin)
	require.NoError(t, withAdmin.SignOut(context.Background(), dave.AccessToken))
	assert.False(t, srv.Accepts(dave.RefreshToken))
	assert.Equal(t, 2, srv.Requests("AdminUserGlobalSignOut"))
	assert.Zero(t, srv.Requests("GlobalSignOut"), "no GlobalSignOut with tokens that cannot make it")
	assert.Zero(t, srv.Requests("GetUser"), "no GetUser with tokens it refuses")
}

// TestLogoutRecordsDespiteGetUserFaults: the session is recorded before
// Cognito is asked anything, so GetUser failing (which decides only
// whether to end more) leaves it recorded.
func TestLogoutRecordsDespiteGetUserFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault signouttest.Fault
	}{
		{"throttled", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"}},
		{"5xx", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom"}},
		{"hangs", signouttest.Fault{Mode: signouttest.Hang}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			store := revocation.New()
			c := recordingClient(t, srv, store, signout.WithReadTimeout(300*time.Millisecond))
			refused := apiOf(t, srv, store)
			srv.InjectFault("GetUser", tc.fault)
			s := srv.SignIn("alice")
			ended, err := c.Logout(context.Background(), s.AccessToken, s.RefreshToken, signout.ThisSession)
			require.NoError(t, err)
			assert.Equal(t, signout.ThisSession, ended)
			assert.Equal(t, 1, srv.Requests("GetUser"), "one request: its answer only decides whether to end more")
			assert.False(t, srv.Accepts(s.RefreshToken))
			assert.True(t, refused(s.AccessToken), "the API refuses the session's access token")
		})
	}
}

// TestLogoutRetryWhileStoreDown: the first logout of all sessions ends them
// at Cognito but cannot record them; a retry while the store is still down
// finds the access token revoked and must not report the logout as held
// (the store's error, to retry), or the API accepts the session on.
func TestLogoutRetryWhileStoreDown(t *testing.T) {
	store := &flakyStore{Store: revocation.New()}
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c := recordingClient(t, srv, store)
	ctx := context.Background()
	alice := srv.SignIn("alice")
	store.setDown(true)
	for try := range 2 {
		_, err := c.Logout(ctx, alice.AccessToken, alice.RefreshToken, signout.AllSessions)
		var e *signout.Error
		require.ErrorAs(t, err, &e, "try %d", try)
		assert.Equal(t, "RevocationStore", e.Op, "try %d: not recorded, to retry: %v", try, err)
		assert.True(t, e.Retryable(), "try %d", try)
	}
	assert.False(t, srv.Accepts(alice.AccessToken), "ended at Cognito")
	store.setDown(false)
	_, err := c.Logout(ctx, alice.AccessToken, alice.RefreshToken, signout.AllSessions)
	require.ErrorIs(t, err, signout.ErrTokenRevoked, "recorded; GlobalSignOut cannot tell whether other sessions live on")
	assert.True(t, apiOf(t, srv, store)(alice.AccessToken), "refused at the API")
}
