package signouttest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/signouttest"
)

// part decodes one part of a JWT.
func part(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func claims(t *testing.T, tok string) map[string]any { return part(t, tok, 1) }

func refresh(srv *signouttest.Server, rt string) (signouttest.Tokens, error) {
	out, err := srv.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
	if err != nil {
		return signouttest.Tokens{}, err
	}
	r := out.AuthenticationResult
	return signouttest.Tokens{AccessToken: aws.ToString(r.AccessToken), IDToken: aws.ToString(r.IdToken),
		ExpiresIn: time.Duration(r.ExpiresIn) * time.Second}, nil
}

func TestAccessTokensAreCheckedLikeCognito(t *testing.T) {
	srv := start(t)
	other := start(t)
	tokens := srv.SignIn("alice")
	srv.AddUser("dave", map[string]string{"status": "Disabled"})
	srv.SignIn("erin")
	erin := srv.SignIn("erin").AccessToken
	srv.DeleteUser("erin")

	tests := []struct {
		name, tok, code, message string
	}{
		{"valid", tokens.AccessToken, "", ""},
		{"ID token", tokens.IDToken, "NotAuthorizedException", "Invalid Access Token"},
		{"tampered signature", tokens.AccessToken[:len(tokens.AccessToken)-4] + "AAAA", "NotAuthorizedException", "Invalid Access Token"},
		{"garbage", "abc", "NotAuthorizedException", "Invalid Access Token"},
		{"another pool's", other.SignIn("alice").AccessToken, "NotAuthorizedException", "Invalid Access Token"},
		{"another issuer", srv.SignIn("bob", signouttest.Claims{"iss": other.Issuer}).AccessToken, "NotAuthorizedException", "Invalid Access Token"},
		{"unknown jti", srv.SignIn("bob", signouttest.Claims{"jti": "x"}).AccessToken, "NotAuthorizedException", "Invalid Access Token"},
		{"expired", srv.SignIn("bob", signouttest.Claims{"exp": time.Now().Add(-time.Minute).Unix()}).AccessToken,
			"NotAuthorizedException", "Access Token has expired"},
		{"no scope", srv.SignIn("carol", signouttest.Claims{"scope": "openid"}).AccessToken,
			"NotAuthorizedException", "Access Token does not have required scopes"},
		{"disabled user", srv.SignIn("dave").AccessToken, "NotAuthorizedException", "User is disabled."},
		{"deleted user", erin, "UserNotFoundException", "User does not exist."},
		{"missing", "", "InvalidParameterException",
			"1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, err := getUser(t, srv, tc.tok)
			code, msg := apiError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)
			if tc.code == "" {
				assert.Equal(t, "alice", name)
			}
		})
	}
}

func TestTokensCarryCognitosClaims(t *testing.T) {
	srv := start(t)
	srv.AddUser("alice", map[string]string{"email": "alice@example.com"})
	tokens := srv.SignIn("alice")
	at, id := claims(t, tokens.AccessToken), claims(t, tokens.IDToken)
	assert.Equal(t, map[string]any{"kid": part(t, tokens.AccessToken, 0)["kid"], "alg": "RS256"}, part(t, tokens.AccessToken, 0))
	for _, c := range []map[string]any{at, id} {
		for _, k := range []string{"sub", "iss", "jti", "origin_jti", "event_id", "auth_time", "iat", "exp"} {
			assert.Contains(t, c, k)
		}
		assert.Equal(t, srv.Issuer, c["iss"])
		assert.Equal(t, 3600.0, c["exp"].(float64)-c["iat"].(float64))
	}
	assert.Equal(t, "access", at["token_use"])
	assert.Equal(t, srv.ClientID, at["client_id"])
	assert.Equal(t, "alice", at["username"])
	assert.Equal(t, "openid email aws.cognito.signin.user.admin", at["scope"])
	assert.Equal(t, "id", id["token_use"])
	assert.Equal(t, srv.ClientID, id["aud"])
	assert.Equal(t, "alice", id["cognito:username"])
	assert.Equal(t, "alice@example.com", id["email"])
	assert.Equal(t, at["origin_jti"], id["origin_jti"])
	assert.NotEqual(t, at["jti"], id["jti"])
	assert.Equal(t, time.Hour, tokens.ExpiresIn)
	assert.Len(t, strings.Split(tokens.RefreshToken, "."), 5, "opaque, shaped like Cognito's JWE")
}

func TestRefreshKeepsTheSession(t *testing.T) {
	srv := start(t)
	signedIn := time.Now().Add(-10 * time.Minute).Unix()
	first := srv.SignIn("alice", signouttest.Claims{"auth_time": signedIn})
	again, err := refresh(srv, first.RefreshToken)
	require.NoError(t, err)
	before, after := claims(t, first.AccessToken), claims(t, again.AccessToken)
	assert.Equal(t, before["origin_jti"], after["origin_jti"])
	assert.Equal(t, float64(signedIn), before["auth_time"])
	assert.Equal(t, float64(signedIn), after["auth_time"], "auth_time is the sign-in's")
	assert.Equal(t, before["scope"], after["scope"])
	assert.NotEqual(t, before["jti"], after["jti"])
	assert.Equal(t, before["origin_jti"], claims(t, again.IDToken)["origin_jti"])
	assert.Equal(t, time.Hour, again.ExpiresIn)
	name, err := getUser(t, srv, again.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice", name)
	assert.NotEqual(t, before["origin_jti"], claims(t, srv.SignIn("alice").AccessToken)["origin_jti"], "a new sign-in is a new session")
}

func TestClaimsShapeTokens(t *testing.T) {
	srv := start(t)
	tokens := srv.SignIn("alice", signouttest.Claims{"origin_jti": nil, "custom:team": "blue"}, signouttest.Claims{"custom:team": "red"})
	for _, tok := range []string{tokens.AccessToken, tokens.IDToken} {
		c := claims(t, tok)
		assert.NotContains(t, c, "origin_jti")
		assert.Equal(t, "red", c["custom:team"], "later Claims win")
	}
	_, err := getUser(t, srv, tokens.AccessToken)
	assert.NoError(t, err, "an altered token keeps its session")
}

func TestGlobalSignOutEndsEverySessionOfTheUser(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	laptop, phone, bob := srv.SignIn("alice"), srv.SignIn("alice"), srv.SignIn("bob")
	_, err := srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(laptop.AccessToken)})
	require.NoError(t, err)

	for _, tok := range []string{laptop.AccessToken, phone.AccessToken} {
		_, err = srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
		_, msg := apiError(t, err)
		assert.Equal(t, "Access Token has been revoked", msg)
	}
	_, err = refresh(srv, phone.RefreshToken)
	_, msg := apiError(t, err)
	assert.Equal(t, "Refresh Token has been revoked", msg)
	_, err = refresh(srv, "unknown")
	_, msg = apiError(t, err)
	assert.Equal(t, "Invalid Refresh Token", msg)
	_, err = refresh(srv, bob.RefreshToken)
	require.NoError(t, err, "another user is unaffected")
	_, err = getUser(t, srv, srv.SignIn("alice").AccessToken)
	require.NoError(t, err, "a sign-in afterwards is not revoked")

	srv.DeleteUser("bob")
	_, err = refresh(srv, bob.RefreshToken)
	code, _ := apiError(t, err)
	assert.Equal(t, "UserNotFoundException", code)
}

func TestInitiateAuthRefusesWhatItDoesNotKnow(t *testing.T) {
	srv := start(t)
	rt := srv.SignIn("alice").RefreshToken
	for _, tc := range []struct {
		name, client string
		flow         types.AuthFlowType
		code         string
	}{
		{"unknown client", "nope", types.AuthFlowTypeRefreshTokenAuth, "ResourceNotFoundException"},
		{"password flow", srv.ClientID, types.AuthFlowTypeUserPasswordAuth, "InvalidParameterException"},
		{"refresh flow", srv.ClientID, types.AuthFlowTypeRefreshToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srv.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{AuthFlow: tc.flow,
				ClientId: aws.String(tc.client), AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
			code, _ := apiError(t, err)
			assert.Equal(t, tc.code, code)
		})
	}
}

func TestRevokeToken(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name          string
		opts          []signouttest.ServerOption
		token, client func(srv *signouttest.Server, tokens signouttest.Tokens) string
		secret        func(srv *signouttest.Server) string
		code, message string
		revoked       bool
	}{
		{name: "refresh token", revoked: true},
		{name: "confidential client", opts: []signouttest.ServerOption{signouttest.Confidential()},
			secret: func(srv *signouttest.Server) string { return srv.ClientSecret }, revoked: true},
		{name: "unknown token", token: func(*signouttest.Server, signouttest.Tokens) string { return "abc" }},
		{name: "no secret", opts: []signouttest.ServerOption{signouttest.Confidential()},
			code: "UnauthorizedException", message: "Client authentication failed."},
		{name: "another client", client: func(*signouttest.Server, signouttest.Tokens) string { return "other" },
			code: "UnauthorizedException", message: "Client authentication failed."},
		{name: "no client", client: func(*signouttest.Server, signouttest.Tokens) string { return "" },
			code:    "InvalidParameterException",
			message: "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"},
		{name: "access token", token: func(_ *signouttest.Server, t signouttest.Tokens) string { return t.AccessToken },
			code: "UnsupportedTokenTypeException", message: "The token type is not supported."},
		{name: "revocation disabled", opts: []signouttest.ServerOption{signouttest.RevocationDisabled()},
			code: "UnsupportedOperationException", message: "Token revocation is not enabled for this app client."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, tc.opts...)
			tokens, other := srv.SignIn("alice"), srv.SignIn("alice")
			in := &cip.RevokeTokenInput{Token: aws.String(tokens.RefreshToken), ClientId: aws.String(srv.ClientID)}
			if tc.token != nil {
				in.Token = aws.String(tc.token(srv, tokens))
			}
			if tc.client != nil {
				in.ClientId = aws.String(tc.client(srv, tokens))
			}
			if tc.secret != nil {
				in.ClientSecret = aws.String(tc.secret(srv))
			}
			_, err := srv.Client().RevokeToken(ctx, in)
			code, msg := apiError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)

			_, err = getUser(t, srv, tokens.AccessToken)
			_, gmsg := apiError(t, err)
			_, err = srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tokens.AccessToken)})
			_, smsg := apiError(t, err)
			_, err = refresh(srv, tokens.RefreshToken)
			_, rmsg := apiError(t, err)
			if tc.revoked {
				assert.Equal(t, "Access Token has been revoked", gmsg)
				assert.Equal(t, "Access Token has been revoked", smsg)
				assert.Equal(t, "Refresh Token has been revoked", rmsg)
				_, err = getUser(t, srv, other.AccessToken)
				assert.NoError(t, err, "the user's other session is not revoked")
			} else {
				assert.Empty(t, gmsg+smsg)
			}
		})
	}
}

func TestRevocationDisabledTokensHaveNoOriginJTI(t *testing.T) {
	srv := start(t, signouttest.RevocationDisabled())
	tokens := srv.SignIn("alice")
	for _, tok := range []string{tokens.AccessToken, tokens.IDToken} {
		assert.NotContains(t, claims(t, tok), "origin_jti")
		assert.Contains(t, claims(t, tok), "jti")
	}
	_, err := getUser(t, srv, tokens.AccessToken)
	assert.NoError(t, err)
}

// jwks fetches the server's key set and returns its keys by kid.
func jwks(t *testing.T, srv *signouttest.Server) (kids []string, keys map[string]*rsa.PublicKey) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/" + srv.UserPoolID + "/.well-known/jwks.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, string(srv.JWKS()), string(body))
	var set struct {
		Keys []struct{ Kid, Kty, Alg, Use, N, E string }
	}
	require.NoError(t, json.Unmarshal(body, &set))
	keys = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		assert.Equal(t, []string{"RSA", "RS256", "sig"}, []string{k.Kty, k.Alg, k.Use})
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		kids = append(kids, k.Kid)
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return kids, keys
}

// verifies reports whether tok's signature verifies with the key its kid names.
func verifies(t *testing.T, keys map[string]*rsa.PublicKey, tok string) bool {
	t.Helper()
	kid, _ := part(t, tok, 0)["kid"].(string)
	p := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(p[2])
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(p[0] + "." + p[1]))
	return keys[kid] != nil && rsa.VerifyPKCS1v15(keys[kid], crypto.SHA256, sum[:], sig) == nil
}

func TestRotateKey(t *testing.T) {
	srv := start(t)
	old := srv.SignIn("alice")
	kids, keys := jwks(t, srv)
	require.Len(t, kids, 1)
	assert.True(t, verifies(t, keys, old.AccessToken))
	assert.True(t, verifies(t, keys, old.IDToken))

	srv.RotateKey()
	fresh := srv.SignIn("bob")
	kids, keys = jwks(t, srv)
	require.Len(t, kids, 2)
	assert.Equal(t, kids[0], part(t, old.AccessToken, 0)["kid"], "the old key is served first")
	assert.Equal(t, kids[1], part(t, fresh.AccessToken, 0)["kid"], "new tokens are signed with the new key")
	for _, tok := range []string{old.AccessToken, fresh.AccessToken, fresh.IDToken} {
		assert.True(t, verifies(t, keys, tok))
	}
	for _, tok := range []string{old.AccessToken, fresh.AccessToken} {
		_, err := getUser(t, srv, tok)
		assert.NoError(t, err, "the server accepts tokens of either key")
	}
	refreshed, err := refresh(srv, old.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, kids[1], part(t, refreshed.AccessToken, 0)["kid"])
	assert.Equal(t, 2, srv.Requests("JWKS"))
}

func TestJWKSFaults(t *testing.T) {
	srv := start(t)
	srv.InjectFault("JWKS", signouttest.Fault{Mode: signouttest.RawReply, Status: 503, Body: "down", Times: 1})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/" + srv.UserPoolID + "/.well-known/jwks.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	kids, _ := jwks(t, srv)
	assert.Len(t, kids, 1, "served again once the fault is spent")
	assert.Equal(t, 2, srv.Requests("JWKS"))
	assert.Equal(t, 0, srv.Requests("GetUser"))
}
