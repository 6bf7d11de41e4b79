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
	AccessToken  string
	IDToken      string
	RefreshToken string
	// ExpiresIn is the access token's lifetime as Cognito reports it: an hour.
	ExpiresIn time.Duration
}

// Claims replace or add claims in the tokens SignIn makes; a nil value
// removes a claim. Use them for tokens Cognito would not issue, such as
// expired ones ({"exp": time.Now().Add(-time.Hour).Unix()}), ones without
// the scope GlobalSignOut needs ({"scope": "openid"}), or another
// issuer's. The server recognises its own tokens by their signature and
// jti, so an altered token keeps its session unless "jti" is replaced.
type Claims map[string]any

// SignIn starts a new session for username, creating the user if there is
// none, and returns its tokens, RS256-signed with the newest key: an access
// token with the scope "openid email aws.cognito.signin.user.admin", an ID
// token with the user's attributes, both valid for an hour, and an opaque
// refresh token. Claims, applied in order to both tokens, shape them.
func (s *Server) SignIn(username string, claims ...Claims) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[username]
	if u == nil {
		u = s.addUserLocked(username)
	}
	sess := &session{user: u, origin: randomUUID(), authTime: time.Now().Unix(),
		scope: "openid email " + adminScope, refresh: refreshToken()}
	u.sessions = append(u.sessions, sess)
	s.refresh[sess.refresh] = sess
	return s.mintLocked(sess, claims)
}

// session is one sign-in: what a refresh token stands for.
type session struct {
	user     *user
	origin   string // origin_jti
	authTime int64  // kept across refreshes, as Cognito does
	scope    string
	refresh  string
	revoked  bool
}

// mintLocked issues new access and ID tokens for sess.
func (s *Server) mintLocked(sess *session, extra []Claims) Tokens {
	now := time.Now()
	base := func(use string) map[string]any {
		c := map[string]any{"sub": sess.user.sub, "iss": s.Issuer, "token_use": use,
			"origin_jti": sess.origin, "event_id": randomUUID(), "jti": randomUUID(),
			"auth_time": sess.authTime, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if !s.revocation {
			delete(c, "origin_jti") // Cognito adds it with token revocation
		}
		return c
	}
	access, id := base("access"), base("id")
	access["client_id"], access["username"], access["scope"] = s.ClientID, sess.user.name, sess.scope
	for k, v := range sess.user.attrs {
		id[k] = v
	}
	id["aud"], id["cognito:username"] = s.ClientID, sess.user.name
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
	return Tokens{AccessToken: s.signLocked(access), IDToken: s.signLocked(id),
		RefreshToken: sess.refresh, ExpiresIn: time.Hour}
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// firstKey is made once per process: RSA key generation is slow.
var firstKey = sync.OnceValue(newKey)

func newKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("signouttest: generating an RSA key: " + err.Error())
	}
	return k
}

// RotateKey makes a new signing key with a new kid. Tokens made afterwards
// are signed with it; the JWKS serves it after every older key, so tokens
// signed before the rotation still verify, as during Cognito's own key
// rotation.
func (s *Server) RotateKey() {
	k := signingKey{kid: randomID(12), key: newKey()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

// JWKS returns the JSON Web Key Set that verifies the server's tokens, as
// served at URL + "/" + UserPoolID + "/.well-known/jwks.json": every key
// the server has signed with, oldest first.
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
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("signouttest: signing: " + err.Error())
	}
	return signed + "." + b64(sig)
}

// sessionLocked checks an access token as Cognito does and returns its
// session, or the error Cognito answers.
func (s *Server) sessionLocked(tok string) (*session, *apiError) {
	if tok == "" {
		return nil, missing("accessToken")
	}
	invalid := notAuthorized("Invalid Access Token")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalid
	}
	var h struct{ Kid, Alg string }
	var c struct {
		Iss, Scope, JTI string
		TokenUse        string `json:"token_use"`
		Exp             int64
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil || h.Alg != "RS256" ||
		json.Unmarshal(cb, &c) != nil || c.Iss != s.Issuer || c.TokenUse != "access" {
		return nil, invalid
	}
	i := slices.IndexFunc(s.keys, func(k signingKey) bool { return k.kid == h.Kid })
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if i < 0 || rsa.VerifyPKCS1v15(&s.keys[i].key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, invalid
	}
	sess := s.access[c.JTI]
	switch {
	case sess == nil:
		return nil, invalid
	case time.Now().Unix() >= c.Exp:
		return nil, notAuthorized("Access Token has expired")
	case sess.revoked:
		return nil, notAuthorized("Access Token has been revoked")
	case sess.user.deleted:
		return nil, userNotFound
	case sess.user.disabled:
		return nil, notAuthorized("User is disabled.")
	case !slices.Contains(strings.Fields(c.Scope), adminScope):
		return nil, notAuthorized("Access Token does not have required scopes")
	}
	return sess, nil
}

func (s *Server) globalSignOut(in *input) (any, *apiError) {
	sess, aerr := s.sessionLocked(in.AccessToken)
	if aerr != nil {
		return nil, aerr
	}
	sess.user.signOut()
	return struct{}{}, nil
}

func (s *Server) getUser(in *input) (any, *apiError) {
	sess, aerr := s.sessionLocked(in.AccessToken)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Username": sess.user.name, "UserAttributes": sess.user.attributes(nil)}, nil
}

// initiateAuth supports the refresh flows, as Cognito does without a
// SECRET_HASH check: the stand-in does not ask for one.
func (s *Server) initiateAuth(in *input) (any, *apiError) {
	if in.ClientID != s.ClientID {
		return nil, &apiError{400, "ResourceNotFoundException", "User pool client " + in.ClientID + " does not exist."}
	}
	if in.AuthFlow != "REFRESH_TOKEN_AUTH" && in.AuthFlow != "REFRESH_TOKEN" {
		return nil, invalidParameter("The stand-in supports only REFRESH_TOKEN_AUTH.")
	}
	sess := s.refresh[in.AuthParameters["REFRESH_TOKEN"]]
	switch {
	case sess == nil:
		return nil, notAuthorized("Invalid Refresh Token")
	case sess.revoked:
		return nil, notAuthorized("Refresh Token has been revoked")
	case sess.user.deleted:
		return nil, userNotFound
	case sess.user.disabled:
		return nil, notAuthorized("User is disabled.")
	}
	t := s.mintLocked(sess, nil)
	return map[string]any{"AuthenticationResult": map[string]any{"AccessToken": t.AccessToken,
		"IdToken": t.IDToken, "ExpiresIn": int(t.ExpiresIn / time.Second), "TokenType": "Bearer"}}, nil
}

// revokeToken revokes the session of a refresh token. As OAuth 2.0 token
// revocation (RFC 7009) has it, an unknown or already revoked token is no
// error.
func (s *Server) revokeToken(in *input) (any, *apiError) {
	switch {
	case in.Token == "":
		return nil, missing("token")
	case in.ClientID == "":
		return nil, missing("clientId")
	case in.ClientID != s.ClientID || in.ClientSecret != s.ClientSecret:
		return nil, &apiError{400, "UnauthorizedException", "Client authentication failed."}
	case !s.revocation:
		return nil, &apiError{400, "UnsupportedOperationException", "Token revocation is not enabled for this app client."}
	case strings.Count(in.Token, ".") == 2:
		return nil, &apiError{400, "UnsupportedTokenTypeException", "The token type is not supported."}
	}
	if sess := s.refresh[in.Token]; sess != nil {
		sess.revoked = true
	}
	return struct{}{}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jweHeader is the header of Cognito's refresh tokens, which are encrypted
// JWTs (JWE) in five parts; the stand-in's look the same and are opaque too.
var jweHeader = b64([]byte(`{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`))

func refreshToken() string {
	part := func(n int) string { return b64(randomBytes(n)) }
	return jweHeader + "." + part(256) + "." + part(12) + "." + part(400) + "." + part(16)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomUUID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
