package signout_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

// reheader returns tok with its header replaced by h, signature kept.
func reheader(t *testing.T, tok string, h map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(h)
	require.NoError(t, err)
	parts := strings.Split(tok, ".")
	return base64.RawURLEncoding.EncodeToString(raw) + "." + parts[1] + "." + parts[2]
}

// TestSignatureChecked: with WithPool, a token its pool's keys do not
// vouch for is refused without a request to Cognito, and recorded
// nowhere.
func TestSignatureChecked(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	other := signouttest.NewServer() // another key, the same claims
	t.Cleanup(other.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store)
	refused := apiOf(t, srv, store)
	alice := srv.SignIn("alice")
	kid := func(tok string) string {
		raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		var h struct{ Kid string }
		require.NoError(t, json.Unmarshal(raw, &h))
		return h.Kid
	}
	parts := strings.Split(alice.AccessToken, ".")
	foreignSig := strings.Split(other.SignIn("alice").AccessToken, ".")[2]
	tests := []struct{ name, tok string }{
		{"signed by another key", parts[0] + "." + parts[1] + "." + foreignSig},
		{"HS256", reheader(t, alice.AccessToken, map[string]any{"alg": "HS256", "kid": kid(alice.AccessToken)})},
		{"critical extension", reheader(t, alice.AccessToken, map[string]any{"alg": "RS256", "kid": kid(alice.AccessToken), "crit": []string{"exp"}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.SignOut(context.Background(), tc.tok)
			require.ErrorIs(t, err, signout.ErrInvalidToken)
			assert.Zero(t, asError(t, err).Attempts)
			_, err = c.Logout(context.Background(), tc.tok, "", signout.AllSessions)
			require.ErrorIs(t, err, signout.ErrInvalidToken)
			assert.Zero(t, srv.Requests("GlobalSignOut")+srv.Requests("GetUser"), "no request to Cognito")
			assert.False(t, refused(alice.AccessToken), "nothing recorded")
		})
	}
	assert.Equal(t, 2, srv.Requests("JWKS"), "the JWKS fetched once by the Client, once by the API's verifier")

	// A kid the JWKS lacks, even after a fetch, may be a key too new to be
	// fetched again yet: Cognito judges, and refuses a forged one.
	unknown := reheader(t, alice.AccessToken, map[string]any{"alg": "RS256", "kid": "no-such-key"})
	err := c.SignOut(context.Background(), unknown)
	require.ErrorIs(t, err, signout.ErrInvalidToken)
	assert.Equal(t, "NotAuthorizedException", asError(t, err).Code, "Cognito refused it")
	assert.False(t, refused(alice.AccessToken), "nothing recorded")
}

// TestSignatureUncheckable: when the pool's JWKS cannot be fetched, the
// sign-out still goes to Cognito, which checks the token itself, and the
// error says that it could not be recorded; a retry records it.
func TestSignatureUncheckable(t *testing.T) {
	t.Parallel() // it waits for the JWKS to be fetched again
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	c := recordingClient(t, srv, store)
	refused := apiOf(t, srv, store)
	alice := srv.SignIn("alice")
	srv.InjectFault("JWKS", signouttest.Fault{Mode: signouttest.RawReply, Status: http.StatusBadGateway, Body: "down", Times: 1})

	err := c.SignOut(context.Background(), alice.AccessToken)
	require.ErrorIs(t, err, signout.ErrService)
	se := asError(t, err)
	assert.Equal(t, "JWKS", se.Op)
	assert.True(t, se.Retryable())
	assert.False(t, srv.Accepts(alice.RefreshToken), "signed out at Cognito")
	assert.False(t, refused(alice.AccessToken), "not recorded")

	require.Eventually(t, func() bool {
		err = c.SignOut(context.Background(), alice.AccessToken)
		return !errors.Is(err, signout.ErrService)
	}, 5*time.Second, 50*time.Millisecond, "retried while the JWKS is not fetched again")
	require.ErrorIs(t, err, signout.ErrTokenRevoked)
	assert.True(t, refused(alice.AccessToken), "the retry recorded it")
}

// TestSignatureKeysThroughTheClientsTransport: the JWKS is fetched through
// the HTTP client the Client sends Cognito's requests through.
func TestSignatureKeysThroughTheClientsTransport(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	rec := &pathRecorder{}
	store := revocation.New()
	c, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithHTTPClient(&http.Client{Transport: rec}),
		signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, []string{"GET /" + srv.UserPoolID + "/.well-known/jwks.json", "POST /"}, rec.requests)
}

// pathRecorder is a transport that keeps each request's method and path.
type pathRecorder struct{ requests []string }

func (p *pathRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	p.requests = append(p.requests, r.Method+" "+r.URL.Path)
	return http.DefaultTransport.RoundTrip(r)
}

// BenchmarkSignatureCheck measures what checking a token's signature adds
// to a sign-out. The token lacks the admin scope, so SignOut refuses it
// locally and sends nothing: "check=off", the anchor, is the refusal
// without WithPool; "check=on" the same with WithPool, whose keys are
// fetched before the timer starts. Compare with benchstat -col /check.
func BenchmarkSignatureCheck(b *testing.B) {
	srv := signouttest.NewServer()
	defer srv.Close()
	jwks := srv.JWKS()
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(jwks) }))
	defer keys.Close()
	tok := srv.SignIn("alice", managedLogin).AccessToken
	ctx := context.Background()
	for _, check := range []string{"off", "on"} {
		b.Run("check="+check, func(b *testing.B) {
			opts := []signout.Option{signout.WithEndpoint(keys.URL)}
			if check == "on" {
				opts = append(opts, signout.WithPool(srv.UserPoolID))
			}
			c, err := signout.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.SignOut(ctx, tok); !strings.Contains(err.Error(), "scope") {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.SignOut(ctx, tok)
			}
		})
	}
}

// TestSignatureKeysFromAReplica: with the pool's primary region down, its
// keys are fetched from a replica's region, and the sign-out, made there,
// is recorded.
func TestSignatureKeysFromAReplica(t *testing.T) {
	noRegion(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	rep := srv.Replica("eu-west-1")
	alice := srv.SignIn("alice")
	srv.SetDown(true)
	store := revocation.New()
	c, err := signout.New(signout.WithHTTPClient(srv.HTTPClient()), signout.WithReplicaRegions(srv.UserPoolID, rep.Region),
		signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store), signout.WithTimeout(2*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SignOut(context.Background(), alice.AccessToken))
	assert.Equal(t, 1, rep.Requests("JWKS"))
	revoked, err := store.Revoked(srv.UserPoolID, claim(t, alice.AccessToken, "sub"), "", time.Now().Add(-time.Minute))
	require.NoError(t, err)
	assert.True(t, revoked, "recorded")
}
