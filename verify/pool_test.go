package verify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
)

// TestVerifyKeyFailures: each way the pool's keys can fail maps to its
// signout kind, and a token that could not be checked is not called bad.
func TestVerifyKeyFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	unused := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	slow := &http.Transport{}
	t.Cleanup(slow.CloseIdleConnections)

	tests := []struct {
		name     string
		handler  http.HandlerFunc
		ctx      context.Context
		opts     []Option
		kind     error
		notAuthz bool // the token itself was judged
	}{
		{"JWKS answers 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, nil, nil, signout.ErrService, false},
		{"JWKS unreachable", nil, nil, []Option{WithEndpoint(unused)}, signout.ErrNetwork, false},
		{"JWKS too slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, nil,
			[]Option{WithHTTPClient(&http.Client{Transport: slow, Timeout: 50 * time.Millisecond})}, signout.ErrTimeout, false},
		{"caller canceled", nil, canceled, nil, context.Canceled, false},
		{"caller's deadline passed", nil, expired, nil, signout.ErrTimeout, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPool(t)
			p.answer(tc.handler)
			clk := newClock()
			v := p.verifier(t, clk, tc.opts...)
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			tok := p.mint(t, p.claims(clk.Now()))
			_, err := v.Verify(ctx, tok)
			assertRefused(t, err, tc.kind, tok)
			assert.NotErrorIs(t, err, signout.ErrNotAuthorized, "the token was not judged")
			// A fetch started by a caller that went away completes: wait
			// for it before the test ends.
			p.answer(nil)
			_ = v.Load(context.Background())
		})
	}
}

func TestVerifyDeadlineMatchesContextError(t *testing.T) {
	p := newTestPool(t)
	release := make(chan struct{})
	p.answer(func(w http.ResponseWriter, r *http.Request) {
		<-release
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Write(p.jwksLocked())
	})
	clk := newClock()
	v := p.verifier(t, clk)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := v.Verify(ctx, p.mint(t, p.claims(clk.Now())))
	assert.ErrorIs(t, err, signout.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, v.Load(context.Background()))
}

func TestJWKSFromIssuerByDefault(t *testing.T) {
	var got string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		w.Write(mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}}}))
	}))
	defer srv.Close()
	issuer := srv.URL + "/us-east-1_Direct"
	v, err := New(WithPool(issuer, "client"), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	now := time.Now()
	tok := signRS256(t, keyA(), "kid-a", map[string]any{
		"iss": issuer, "sub": "s", "client_id": "client", "token_use": "access", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "/us-east-1_Direct/.well-known/jwks.json", got)
}

// cognitoHosts answers for Cognito's hosts in a test: an http.Client whose
// transport serves the JWKS of key A for every host and path it is asked,
// records what was asked, and fails for the hosts in down.
type cognitoHosts struct {
	mu    sync.Mutex
	asked []string // host + path
	down  []string // hosts that answer 503
}

func (h *cognitoHosts) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.asked = append(h.asked, r.URL.Host+r.URL.Path)
	down := slices.Contains(h.down, r.URL.Host)
	h.mu.Unlock()
	rec := httptest.NewRecorder()
	if down || r.URL.Scheme != "https" {
		rec.WriteHeader(http.StatusServiceUnavailable)
	} else {
		rec.Write(mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &keyA().PublicKey, KeyID: "kid-a", Algorithm: "RS256", Use: "sig"}}}))
	}
	return rec.Result(), nil
}

func (h *cognitoHosts) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.asked
	h.asked = nil
	return a
}

// TestWithPoolIssuerForms: a pool given by its id accepts its tokens under
// both issuer forms and from its replicas' regions, fetches the JWKS from
// the host the token names, and refuses other issuers.
func TestWithPoolIssuerForms(t *testing.T) {
	const id, client = "us-east-1_Forms1", "formsclient"
	original := func(region string) string { return "https://cognito-idp." + region + ".amazonaws.com/" + id }
	updated := func(region string) string { return "https://issuer-cognito-idp." + region + ".amazonaws.com/" + id }
	jwksAt := func(iss string) string { return strings.TrimPrefix(iss, "https://") + "/.well-known/jwks.json" }
	now := time.Now()
	mint := func(iss string) string {
		return signRS256(t, keyA(), "kid-a", map[string]any{"iss": iss, "sub": "user-1", "client_id": client, "token_use": "access",
			"origin_jti": "session-1", "auth_time": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	}
	tests := []struct {
		name  string
		iss   string
		down  []string
		asked []string // the JWKS URLs fetched, in order; nil when refused before
		ok    bool
	}{
		{"ORIGINAL, primary", original("us-east-1"), nil, []string{jwksAt(original("us-east-1"))}, true},
		{"UPDATED, primary", updated("us-east-1"), nil, []string{jwksAt(updated("us-east-1"))}, true},
		{"ORIGINAL, replica", original("eu-west-1"), nil, []string{jwksAt(original("eu-west-1"))}, true},
		{"ORIGINAL, second replica", original("ap-southeast-2"), nil, []string{jwksAt(original("ap-southeast-2"))}, true},
		{"UPDATED, its host down: a replica's", updated("us-east-1"), []string{"issuer-cognito-idp.us-east-1.amazonaws.com", "cognito-idp.us-east-1.amazonaws.com"},
			[]string{jwksAt(updated("us-east-1")), jwksAt(original("us-east-1")), jwksAt(original("eu-west-1"))}, true},
		{"ORIGINAL replica, its host down: the primary's", original("eu-west-1"), []string{"cognito-idp.eu-west-1.amazonaws.com"},
			[]string{jwksAt(original("eu-west-1")), jwksAt(original("us-east-1"))}, true},
		{"UPDATED naming a replica's region", updated("eu-west-1"), nil, nil, false},
		{"ORIGINAL in a region the pool is not in", original("us-west-2"), nil, nil, false},
		{"another pool", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", nil, nil, false},
		{"China domain for a region outside China", "https://cognito-idp.us-east-1.amazonaws.com.cn/" + id, nil, nil, false},
		{"http", "http://cognito-idp.us-east-1.amazonaws.com/" + id, nil, nil, false},
		{"trailing slash", original("us-east-1") + "/", nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hosts := &cognitoHosts{down: tc.down}
			store := revocation.New()
			v, err := New(WithPool(id, client), WithReplicaRegions(id, "eu-west-1", "ap-southeast-2"),
				WithHTTPClient(&http.Client{Transport: hosts}), WithRevocationStore(store))
			require.NoError(t, err)
			tok := mint(tc.iss)
			c, err := v.Verify(context.Background(), tok)
			assert.Equal(t, tc.asked, hosts.take())
			if !tc.ok {
				assertRefused(t, err, signout.ErrInvalidToken, tok)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.iss, c.Issuer)
			assert.Equal(t, id, c.UserPoolID)

			// A record made for the pool, in whatever form its sign-out
			// saw, refuses the token in every form.
			require.NoError(t, store.Revoke(context.Background(), signout.Revocation{UserPoolID: id, Subject: "user-1", At: now}))
			_, err = v.Verify(context.Background(), tok)
			assertRefused(t, err, signout.ErrTokenRevoked, tok)
		})
	}
}

// TestWithPoolURL: a Cognito issuer URL stands for its pool; an ORIGINAL
// URL naming a replica's region adds that region.
func TestWithPoolURL(t *testing.T) {
	const id, client = "eu-central-1_Url1", "urlclient"
	now := time.Now()
	mint := func(iss string) string {
		return signRS256(t, keyA(), "kid-a", map[string]any{"iss": iss, "sub": "user-1", "client_id": client, "token_use": "access",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	}
	hosts := &cognitoHosts{}
	v, err := New(WithPool("https://cognito-idp.eu-central-1.amazonaws.com/"+id, client),
		WithPool("https://cognito-idp.eu-west-3.amazonaws.com/"+id, client), WithHTTPClient(&http.Client{Transport: hosts}))
	require.NoError(t, err)
	for _, iss := range []string{
		"https://cognito-idp.eu-central-1.amazonaws.com/" + id,
		"https://issuer-cognito-idp.eu-central-1.amazonaws.com/" + id,
		"https://cognito-idp.eu-west-3.amazonaws.com/" + id,
	} {
		c, err := v.Verify(context.Background(), mint(iss))
		require.NoError(t, err, iss)
		assert.Equal(t, id, c.UserPoolID)
	}
	_, err = v.Verify(context.Background(), mint("https://issuer-cognito-idp.eu-west-3.amazonaws.com/"+id))
	assert.ErrorIs(t, err, signout.ErrInvalidToken)
}

// TestWithPoolChina: a pool in a China region is accepted under
// amazonaws.com.cn.
func TestWithPoolChina(t *testing.T) {
	const id = "cn-north-1_China1"
	hosts := &cognitoHosts{}
	v, err := New(WithPool(id, "c"), WithHTTPClient(&http.Client{Transport: hosts}))
	require.NoError(t, err)
	now := time.Now()
	iss := "https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/" + id
	_, err = v.Verify(context.Background(), signRS256(t, keyA(), "kid-a", map[string]any{"iss": iss, "sub": "s", "client_id": "c",
		"token_use": "access", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}))
	require.NoError(t, err)
	assert.Equal(t, []string{"issuer-cognito-idp.cn-north-1.amazonaws.com.cn/" + id + "/.well-known/jwks.json"}, hosts.take())
}

// TestWithEndpointServesEveryForm: with WithEndpoint, the JWKS of every
// form and region comes from the emulator's endpoint.
func TestWithEndpointServesEveryForm(t *testing.T) {
	p := newTestPool(t)
	clk := newClock()
	v := p.verifier(t, clk, WithReplicaRegions(p.id, "eu-west-1"))
	for _, iss := range []string{p.issuer, "https://issuer-cognito-idp.us-east-1.amazonaws.com/" + p.id, "https://cognito-idp.eu-west-1.amazonaws.com/" + p.id} {
		c := p.claims(clk.Now())
		c["iss"] = iss
		got, err := v.Verify(context.Background(), p.mint(t, c))
		require.NoError(t, err, iss)
		assert.Equal(t, p.id, got.UserPoolID)
	}
	assert.Equal(t, int32(1), p.fetches.Load(), "one key set for the pool")
}

// TestRecordRefusesEveryForm: one record, made for the pool whichever form
// the sign-out saw, refuses the user's tokens in every form and region.
func TestRecordRefusesEveryForm(t *testing.T) {
	const id, client = "us-east-1_Record1", "recordclient"
	now := time.Now()
	v, err := New(WithPool(id, client), WithReplicaRegions(id, "eu-west-1"), WithHTTPClient(&http.Client{Transport: &cognitoHosts{}}),
		WithRevocationStore(func() RevocationStore {
			s := revocation.New()
			require.NoError(t, s.Revoke(context.Background(), signout.Revocation{UserPoolID: id, Subject: "user-1", At: now}))
			return s
		}()))
	require.NoError(t, err)
	for _, iss := range []string{
		"https://cognito-idp.us-east-1.amazonaws.com/" + id,
		"https://issuer-cognito-idp.us-east-1.amazonaws.com/" + id,
		"https://cognito-idp.eu-west-1.amazonaws.com/" + id,
	} {
		for sub, want := range map[string]error{"user-1": signout.ErrTokenRevoked, "user-2": nil} {
			tok := signRS256(t, keyA(), "kid-a", map[string]any{"iss": iss, "sub": sub, "client_id": client, "token_use": "access",
				"auth_time": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
			_, err := v.Verify(context.Background(), tok)
			if want == nil {
				require.NoError(t, err, iss)
				continue
			}
			assertRefused(t, err, want, tok)
		}
	}
}

// TestWithReplicaRegionsLaterReplaces: as in the root package, a later
// WithReplicaRegions for a pool replaces the earlier.
func TestWithReplicaRegionsLaterReplaces(t *testing.T) {
	const id = "us-east-1_Later1"
	now := time.Now()
	v, err := New(WithPool(id, "c"), WithReplicaRegions(id, "eu-west-1"), WithReplicaRegions(id, "ap-south-1"),
		WithHTTPClient(&http.Client{Transport: &cognitoHosts{}}))
	require.NoError(t, err)
	for region, ok := range map[string]bool{"eu-west-1": false, "ap-south-1": true} {
		tok := signRS256(t, keyA(), "kid-a", map[string]any{"iss": "https://cognito-idp." + region + ".amazonaws.com/" + id,
			"sub": "s", "client_id": "c", "token_use": "access", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		_, err := v.Verify(context.Background(), tok)
		if ok {
			require.NoError(t, err, region)
		} else {
			assertRefused(t, err, signout.ErrInvalidToken, tok)
		}
	}
}
