package signouttest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"
)

// adminScope is the scope GlobalSignOut and GetUser require.
const adminScope = "aws.cognito.signin.user.admin"

// Tokens are what a sign-in returns.
type Tokens struct {
	AccessToken, IDToken, RefreshToken string
	ExpiresIn                          time.Duration // as Cognito reports it: an hour
}

// Claims replace or add claims in the tokens SignIn makes; a nil value
// removes one. They make tokens Cognito would not issue, such as expired
// ({"exp": time.Now().Add(-time.Hour).Unix()}) or unscoped ({"scope":
// "openid"}) ones. An int64 "auth_time" also dates the session, for the
// tokens its refreshes make. The server finds a token's session by its jti.
type Claims map[string]any

// SignIn starts a session for username, making the user if there is none,
// and returns an access token (scope "openid email
// aws.cognito.signin.user.admin"), an ID token with the user's attributes,
// both valid for an hour and signed with the newest key, and an opaque
// refresh token. Claims apply to both tokens, in order.
func (s *Server) SignIn(username string, claims ...Claims) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[username]
	if u == nil {
		u = s.addUserLocked(username)
	}
	part := func(n int) string { return b64(randomBytes(n)) }
	sess := &session{user: u, origin: randomUUID(), authTime: time.Now().Unix(), scope: "openid email " + adminScope,
		// Cognito's refresh tokens are encrypted JWTs (JWE); these look alike.
		refresh: b64([]byte(`{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`)) + "." + part(256) + "." + part(12) +
			"." + part(400) + "." + part(16)}
	for _, c := range claims {
		if t, ok := c["auth_time"].(int64); ok {
			sess.authTime = t
		}
	}
	u.sessions = append(u.sessions, sess)
	s.refresh[sess.refresh] = sess
	return s.mintLocked(sess, claims)
}

// session is one sign-in: what a refresh token stands for.
type session struct {
	user            *user
	origin, refresh string // origin_jti, refresh token
	authTime        int64  // kept across refreshes, as Cognito does
	scope           string
	revoked         bool
}

// refused returns the error Cognito answers for a token of sess, if any;
// kind is "Access" or "Refresh".
func (sess *session) refused(kind string) *apiError {
	switch {
	case sess.revoked:
		return fail("NotAuthorizedException", kind+" Token has been revoked")
	case sess.user.deleted:
		return userNotFound
	case sess.user.disabled:
		return fail("NotAuthorizedException", "User is disabled.")
	}
	return nil
}

// mintLocked issues new access and ID tokens for sess.
func (s *Server) mintLocked(sess *session, extra []Claims) Tokens {
	now := time.Now()
	access, id := map[string]any{}, map[string]any{}
	for _, c := range []map[string]any{access, id} {
		c["sub"], c["iss"], c["event_id"], c["jti"] = sess.user.sub, s.Issuer, randomUUID(), randomUUID()
		c["auth_time"], c["iat"], c["exp"] = sess.authTime, now.Unix(), now.Add(time.Hour).Unix()
		if !s.noRevocation { // Cognito adds origin_jti with token revocation
			c["origin_jti"] = sess.origin
		}
	}
	access["token_use"], access["client_id"], access["username"], access["scope"] = "access", s.ClientID, sess.user.name, sess.scope
	for k, v := range sess.user.attrs {
		id[k] = v
	}
	id["token_use"], id["aud"], id["cognito:username"] = "id", s.ClientID, sess.user.name
	s.access[access["jti"].(string)] = sess
	for _, c := range extra {
		for k, v := range c {
			for _, tok := range []map[string]any{access, id} {
				if tok[k] = v; v == nil {
					delete(tok, k)
				}
			}
		}
	}
	return Tokens{s.signLocked(access), s.signLocked(id), sess.refresh, time.Hour}
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// firstKey is made once per process: RSA key generation is slow.
var firstKey = sync.OnceValue(newKey)

func newKey() *rsa.PrivateKey {
	k, _ := rsa.GenerateKey(rand.Reader, 2048) // fails only for small sizes or a broken reader
	return k
}

// RotateKey makes a new signing key with a new kid and signs later tokens
// with it. The JWKS serves it after the older keys, so that tokens signed
// before still verify, as during Cognito's own rotations.
func (s *Server) RotateKey() {
	k := signingKey{rand.Text(), newKey()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

// JWKS returns the JSON Web Key Set served at
// URL/UserPoolID/.well-known/jwks.json: every key the server has signed with, oldest first.
func (s *Server) JWKS() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := []map[string]string{}
	for _, k := range s.keys {
		keys = append(keys, map[string]string{"kid": k.kid, "alg": "RS256", "kty": "RSA", "use": "sig",
			"n": b64(k.key.N.Bytes()), "e": b64(big.NewInt(int64(k.key.E)).Bytes())})
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

func (s *Server) signLocked(claims map[string]any) string {
	k := s.keys[len(s.keys)-1]
	h, _ := json.Marshal(map[string]string{"kid": k.kid, "alg": "RS256"})
	p, _ := json.Marshal(claims)
	signed := b64(h) + "." + b64(p)
	sum := sha256.Sum256([]byte(signed))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:]) // fails only for keys too small
	return signed + "." + b64(sig)
}

// sessionLocked checks an access token as Cognito does and returns its
// session, or the error Cognito answers.
func (s *Server) sessionLocked(tok string) (*session, *apiError) {
	if tok == "" {
		return nil, missing("accessToken")
	}
	invalid := fail("NotAuthorizedException", "Invalid Access Token")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalid
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err2 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return nil, invalid
	}
	var c struct {
		Iss, Scope, JTI string
		TokenUse        string `json:"token_use"`
		Exp             int64
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	signed := slices.ContainsFunc(s.keys, func(k signingKey) bool {
		return rsa.VerifyPKCS1v15(&k.key.PublicKey, crypto.SHA256, sum[:], sig) == nil
	})
	if !signed || json.Unmarshal(payload, &c) != nil || !slices.ContainsFunc(s.servers, func(r *Server) bool { return r.Issuer == c.Iss }) || c.TokenUse != "access" || s.access[c.JTI] == nil {
		return nil, invalid
	}
	sess := s.access[c.JTI]
	switch {
	case time.Now().Unix() >= c.Exp:
		return nil, fail("NotAuthorizedException", "Access Token has expired")
	case sess.refused("Access") != nil:
		return nil, sess.refused("Access")
	case !slices.Contains(strings.Fields(c.Scope), adminScope):
		return nil, fail("NotAuthorizedException", "Access Token does not have required scopes")
	}
	return sess, nil
}

func (s *Server) globalSignOut(in *input) (any, *apiError) {
	sess, e := s.sessionLocked(in.AccessToken)
	if e == nil {
		sess.user.signOut()
	}
	return struct{}{}, e
}

func (s *Server) getUser(in *input) (any, *apiError) {
	sess, e := s.sessionLocked(in.AccessToken)
	if e != nil {
		return nil, e
	}
	return map[string]any{"Username": sess.user.name, "UserAttributes": sess.user.attributes(nil)}, nil
}

// initiateAuth supports the refresh flows only, and checks no SECRET_HASH.
func (s *Server) initiateAuth(in *input) (any, *apiError) {
	sess := s.refresh[in.AuthParameters["REFRESH_TOKEN"]]
	switch {
	case in.ClientID != s.ClientID:
		return nil, fail("ResourceNotFoundException", "User pool client "+in.ClientID+" does not exist.")
	case in.AuthFlow != "REFRESH_TOKEN_AUTH" && in.AuthFlow != "REFRESH_TOKEN":
		return nil, fail("InvalidParameterException", "The stand-in supports only REFRESH_TOKEN_AUTH.")
	case sess == nil:
		return nil, fail("NotAuthorizedException", "Invalid Refresh Token")
	case sess.refused("Refresh") != nil:
		return nil, sess.refused("Refresh")
	}
	t := s.mintLocked(sess, nil)
	return map[string]any{"AuthenticationResult": map[string]any{"AccessToken": t.AccessToken,
		"IdToken": t.IDToken, "ExpiresIn": int(t.ExpiresIn / time.Second), "TokenType": "Bearer"}}, nil
}

// revokeToken revokes the session of a refresh token. As OAuth 2.0 token
// revocation (RFC 7009) has it, an unknown or revoked token is no error.
func (s *Server) revokeToken(in *input) (any, *apiError) {
	switch {
	case in.Token == "":
		return nil, missing("token")
	case in.ClientID == "":
		return nil, missing("clientId")
	case in.ClientID != s.ClientID || in.ClientSecret != s.ClientSecret:
		return nil, fail("UnauthorizedException", "Client authentication failed.")
	case s.noRevocation:
		return nil, fail("UnsupportedOperationException", "Token revocation is not enabled for this app client.")
	case strings.Count(in.Token, ".") == 2:
		return nil, fail("UnsupportedTokenTypeException", "The token type is not supported.")
	}
	if sess := s.refresh[in.Token]; sess != nil {
		sess.revoked = true
	}
	return struct{}{}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomUUID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
