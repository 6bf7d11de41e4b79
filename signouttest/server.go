package signouttest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// AdminScope is the scope GlobalSignOut and GetUser require.
const AdminScope = "aws.cognito.signin.user.admin"

const targetPrefix = "AWSCognitoIdentityProviderService."

// signingKey is made once per process: RSA key generation is slow.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("signouttest: generating RSA key: " + err.Error())
	}
	return k
})

// Server is an in-process Cognito stand-in. Use NewServer to start one.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:40123; pass it to
	// signout.WithEndpoint.
	URL string
	// Region, UserPoolID and ClientID name the pool the tokens come from.
	Region     string
	UserPoolID string
	ClientID   string
	// ClientSecret is the app client's secret when the server was started
	// with Confidential(); RevokeToken then requires it.
	ClientSecret string
	// Issuer is the tokens' iss claim: https://cognito-idp.REGION.amazonaws.com/POOL.
	Issuer string

	ts        *httptest.Server
	key       *rsa.PrivateKey
	kid       string
	done      chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	sessions  map[string]*session // by origin_jti
	refresh   map[string]string   // refresh token -> origin_jti
	deleted   map[string]bool     // usernames
	users     map[string]bool     // every user signed in so far
	counts    map[string]int      // by operation
	faults    []*faultRule
	seq       int
	limit     limiter
	throttled int
	conns     atomic.Int64
}

type session struct {
	username string
	revoked  bool
}

// ServerOption configures NewServer.
type ServerOption func(*serverConfig)

type serverConfig struct {
	region       string
	tls          bool
	confidential bool
}

// Region sets the pool's region; the default is us-east-1.
func Region(name string) ServerOption { return func(c *serverConfig) { c.region = name } }

// TLS serves HTTPS with a self-signed certificate; see Server.CertificatePEM.
func TLS() ServerOption { return func(c *serverConfig) { c.tls = true } }

// Confidential gives the app client a secret (Server.ClientSecret), which
// RevokeToken then requires.
func Confidential() ServerOption { return func(c *serverConfig) { c.confidential = true } }

// NewServer starts a stand-in on a loopback port. Close it when done, for
// example with t.Cleanup(srv.Close).
func NewServer(opts ...ServerOption) *Server {
	cfg := serverConfig{region: "us-east-1"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		Region:   cfg.region,
		key:      signingKey(),
		done:     make(chan struct{}),
		sessions: map[string]*session{},
		refresh:  map[string]string{},
		deleted:  map[string]bool{},
		users:    map[string]bool{},
		counts:   map[string]int{},
	}
	if cfg.confidential {
		s.ClientSecret = strings.ToLower(randomID(40))
	}
	s.UserPoolID = cfg.region + "_" + randomID(9)
	s.ClientID = strings.ToLower(randomID(26))
	s.Issuer = "https://cognito-idp." + cfg.region + ".amazonaws.com/" + s.UserPoolID
	s.kid = randomID(12)
	s.ts = httptest.NewUnstartedServer(s)
	// Failed handshakes are what TLS tests provoke; they are not news.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if cfg.tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	return s
}

// Close stops the server, ending requests held by Hang or Delay faults.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
}

// CertificatePEM returns the TLS server's certificate in PEM, for
// signout.WithCABundlePEM. It panics if the server was not started with TLS.
func (s *Server) CertificatePEM() []byte {
	if s.ts.TLS == nil {
		panic("signouttest: CertificatePEM on a server started without TLS()")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// Requests returns how many requests for op (such as "GlobalSignOut") the
// server has received, faults included; "" counts every operation.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op != "" {
		return s.counts[op]
	}
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Connections returns how many connections clients have opened to the server.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// Tokens are what a sign-in returns.
type Tokens struct {
	AccessToken  string
	IDToken      string
	RefreshToken string
	ExpiresIn    time.Duration
}

// SignIn starts a new session for username, creating the user if needed,
// and returns its tokens: an access token with AdminScope valid for an hour,
// an ID token and a refresh token.
func (s *Server) SignIn(username string) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deleted, username)
	s.users[username] = true
	origin := randomUUID()
	s.sessions[origin] = &session{username: username}
	s.refresh[refreshToken()] = origin
	return s.tokensLocked(username, origin)
}

func (s *Server) tokensLocked(username, origin string) Tokens {
	return Tokens{
		AccessToken:  s.sign(s.claims(username, origin, tokenConfig{use: "access", scope: "openid email " + AdminScope, ttl: time.Hour})),
		IDToken:      s.sign(s.claims(username, origin, tokenConfig{use: "id", ttl: time.Hour})),
		RefreshToken: refreshFor(s, origin),
		ExpiresIn:    time.Hour,
	}
}

func refreshFor(s *Server, origin string) string {
	for rt, o := range s.refresh {
		if o == origin {
			return rt
		}
	}
	return ""
}

// TokenOption shapes a token made by Server.AccessToken.
type TokenOption func(*tokenConfig)

type tokenConfig struct {
	use   string
	scope string
	ttl   time.Duration
}

// ExpiresIn sets the token's lifetime; a negative one makes it already expired.
func ExpiresIn(d time.Duration) TokenOption { return func(c *tokenConfig) { c.ttl = d } }

// Scope sets the token's space-separated scope claim.
func Scope(scope string) TokenOption { return func(c *tokenConfig) { c.scope = scope } }

// TokenUse sets the token_use claim ("access" or "id").
func TokenUse(use string) TokenOption { return func(c *tokenConfig) { c.use = use } }

// AccessToken starts a new session for username and returns a signed access
// token for it shaped by opts: by default like SignIn's. Use it to test how
// expired, wrongly scoped or ID tokens are refused.
func (s *Server) AccessToken(username string, opts ...TokenOption) string {
	cfg := tokenConfig{use: "access", scope: "openid email " + AdminScope, ttl: time.Hour}
	for _, o := range opts {
		o(&cfg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deleted, username)
	s.users[username] = true
	origin := randomUUID()
	s.sessions[origin] = &session{username: username}
	return s.sign(s.claims(username, origin, cfg))
}

// DeleteUser removes username: later calls with its tokens fail with
// UserNotFoundException, as in Cognito.
func (s *Server) DeleteUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[username] = true
}

func (s *Server) claims(username, origin string, cfg tokenConfig) map[string]any {
	now := time.Now()
	c := map[string]any{
		"sub":        subFor(username),
		"iss":        s.Issuer,
		"origin_jti": origin,
		"event_id":   randomUUID(),
		"token_use":  cfg.use,
		"auth_time":  now.Unix(),
		"iat":        now.Unix(),
		"exp":        now.Add(cfg.ttl).Unix(),
		"jti":        randomUUID(),
	}
	if cfg.use == "access" {
		c["client_id"] = s.ClientID
		c["username"] = username
		if cfg.scope != "" {
			c["scope"] = cfg.scope
		}
	} else {
		c["aud"] = s.ClientID
		c["cognito:username"] = username
	}
	return c
}

func (s *Server) sign(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"kid": s.kid, "alg": "RS256"})
	p, _ := json.Marshal(claims)
	signed := b64(h) + "." + b64(p)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("signouttest: signing: " + err.Error())
	}
	return signed + "." + b64(sig)
}

// JWKS returns the JSON Web Key Set that verifies the server's tokens, as
// served at URL + "/" + UserPoolID + "/.well-known/jwks.json".
func (s *Server) JWKS() []byte {
	pub := s.key.PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kid": s.kid, "alg": "RS256", "kty": "RSA", "use": "sig",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

// verifyLocked checks an access token as Cognito does and returns its session, or
// the Cognito error to answer with.
func (s *Server) verifyLocked(tok string, wantScope bool) (*session, *apiError) {
	if tok == "" {
		return nil, missing("accessToken")
	}
	invalid := &apiError{400, "NotAuthorizedException", "Invalid Access Token"}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, invalid
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, invalid
	}
	var c struct {
		Iss       string `json:"iss"`
		TokenUse  string `json:"token_use"`
		Scope     string `json:"scope"`
		Exp       int64  `json:"exp"`
		OriginJTI string `json:"origin_jti"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Iss != s.Issuer || c.TokenUse != "access" {
		return nil, invalid
	}
	sess := s.sessions[c.OriginJTI]
	switch {
	case sess == nil:
		return nil, invalid
	case time.Now().Unix() >= c.Exp:
		return nil, &apiError{400, "NotAuthorizedException", "Access Token has expired"}
	case sess.revoked:
		return nil, &apiError{400, "NotAuthorizedException", "Access Token has been revoked"}
	case s.deleted[sess.username]:
		return nil, &apiError{400, "UserNotFoundException", "User does not exist."}
	case wantScope && !slices.Contains(strings.Fields(c.Scope), AdminScope):
		return nil, &apiError{400, "NotAuthorizedException", "Access Token does not have required scopes"}
	}
	return sess, nil
}

// revokeUserLocked ends every session of username, as a global sign-out does.
func (s *Server) revokeUserLocked(username string) {
	for _, sess := range s.sessions {
		if sess.username == username {
			sess.revoked = true
		}
	}
}

type apiError struct {
	status  int
	code    string
	message string
}

// ServeHTTP answers Cognito's AWS JSON 1.1 protocol, and the pool's JWKS.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/"+s.UserPoolID+"/.well-known/jwks.json" {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.JWKS())
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		s.writeError(w, &apiError{400, "UnknownOperationException", ""})
		return
	}
	// Read the whole request first, as Cognito does: a client whose request
	// is answered mid-upload may drop the connection.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.counts[op]++
	f := s.takeFaultLocked(op)
	if f == nil && !s.allowLocked() {
		f = &Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"}
	}
	s.mu.Unlock()
	if f != nil && f.slowOnly() {
		if !s.wait(r, f.Delay) {
			return
		}
		f = nil
	}
	if f != nil {
		s.serveFault(w, r, f)
		return
	}
	var in struct {
		AccessToken    string
		ClientId       string
		ClientSecret   string
		Token          string
		UserPoolId     string
		Username       string
		AuthFlow       string
		AuthParameters map[string]string
	}
	if err != nil || json.Unmarshal(body, &in) != nil {
		s.writeError(w, &apiError{400, "SerializationException", "Start of structure or map found where not expected."})
		return
	}
	switch op {
	case "GlobalSignOut":
		s.globalSignOut(w, in.AccessToken)
	case "GetUser":
		s.getUser(w, in.AccessToken)
	case "InitiateAuth":
		s.initiateAuth(w, in.ClientId, in.AuthFlow, in.AuthParameters)
	case "RevokeToken":
		s.revokeToken(w, in.ClientId, in.ClientSecret, in.Token)
	case "AdminUserGlobalSignOut":
		s.adminUserGlobalSignOut(w, r, in.UserPoolId, in.Username)
	default:
		s.writeError(w, &apiError{400, "UnknownOperationException", ""})
	}
}

func missing(field string) *apiError {
	return &apiError{400, "InvalidParameterException", "1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}

func (s *Server) globalSignOut(w http.ResponseWriter, tok string) {
	s.mu.Lock()
	sess, aerr := s.verifyLocked(tok, true)
	if aerr == nil {
		s.revokeUserLocked(sess.username)
	}
	s.mu.Unlock()
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	s.writeJSON(w, map[string]any{})
}

func (s *Server) getUser(w http.ResponseWriter, tok string) {
	s.mu.Lock()
	sess, aerr := s.verifyLocked(tok, true)
	s.mu.Unlock()
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	s.writeJSON(w, map[string]any{
		"Username":       sess.username,
		"UserAttributes": []map[string]string{{"Name": "sub", "Value": subFor(sess.username)}},
	})
}

func (s *Server) initiateAuth(w http.ResponseWriter, clientID, flow string, params map[string]string) {
	if clientID != s.ClientID {
		s.writeError(w, &apiError{400, "ResourceNotFoundException", "User pool client " + clientID + " does not exist."})
		return
	}
	if flow != "REFRESH_TOKEN_AUTH" && flow != "REFRESH_TOKEN" {
		s.writeError(w, &apiError{400, "InvalidParameterException", "The stand-in supports only REFRESH_TOKEN_AUTH."})
		return
	}
	s.mu.Lock()
	origin, ok := s.refresh[params["REFRESH_TOKEN"]]
	sess := s.sessions[origin]
	var aerr *apiError
	var t Tokens
	switch {
	case !ok || sess == nil:
		aerr = &apiError{400, "NotAuthorizedException", "Invalid Refresh Token"}
	case sess.revoked:
		aerr = &apiError{400, "NotAuthorizedException", "Refresh Token has been revoked"}
	case s.deleted[sess.username]:
		aerr = &apiError{400, "UserNotFoundException", "User does not exist."}
	default:
		t = s.tokensLocked(sess.username, origin)
	}
	s.mu.Unlock()
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	s.writeJSON(w, map[string]any{"AuthenticationResult": map[string]any{
		"AccessToken": t.AccessToken, "IdToken": t.IDToken,
		"ExpiresIn": int(t.ExpiresIn / time.Second), "TokenType": "Bearer",
	}})
}

// revokeToken revokes the session of a refresh token. As OAuth 2.0 token
// revocation (RFC 7009) has it, an unknown or already revoked token is no
// error.
func (s *Server) revokeToken(w http.ResponseWriter, clientID, secret, tok string) {
	switch {
	case tok == "":
		s.writeError(w, missing("token"))
		return
	case clientID == "":
		s.writeError(w, missing("clientId"))
		return
	case clientID != s.ClientID || secret != s.ClientSecret:
		s.writeError(w, &apiError{400, "UnauthorizedException", "Client authentication failed."})
		return
	case strings.Count(tok, ".") == 2:
		s.writeError(w, &apiError{400, "UnsupportedTokenTypeException", "The token type is not supported."})
		return
	}
	s.mu.Lock()
	if sess := s.sessions[s.refresh[tok]]; sess != nil {
		sess.revoked = true
	}
	s.mu.Unlock()
	s.writeJSON(w, map[string]any{})
}

// adminUserGlobalSignOut signs a user out by name. Cognito requires a
// SigV4-signed request; the stand-in checks that one is signed, not the
// signature.
func (s *Server) adminUserGlobalSignOut(w http.ResponseWriter, r *http.Request, pool, username string) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		s.writeError(w, &apiError{400, "MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	if pool != s.UserPoolID {
		s.writeError(w, &apiError{400, "ResourceNotFoundException", "User pool " + pool + " does not exist."})
		return
	}
	s.mu.Lock()
	known := s.users[username] && !s.deleted[username]
	if known {
		s.revokeUserLocked(username)
	}
	s.mu.Unlock()
	if !known {
		s.writeError(w, &apiError{400, "UserNotFoundException", "User does not exist."})
		return
	}
	s.writeJSON(w, map[string]any{})
}

func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq)
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", s.requestID())
	w.Write(b)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	b, _ := json.Marshal(map[string]string{"__type": e.code, "message": e.message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", s.requestID())
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	w.Write(b)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jweHeader is the header of Cognito's refresh tokens, which are encrypted
// JWTs (JWE) in five parts; the stand-in's look the same and are opaque too.
var jweHeader = b64([]byte(`{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`))

func refreshToken() string {
	part := func(n int) string {
		b := make([]byte, n)
		rand.Read(b)
		return b64(b)
	}
	return jweHeader + "." + part(256) + "." + part(12) + "." + part(400) + "." + part(16)
}

func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func subFor(username string) string {
	sum := sha256.Sum256([]byte(username))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
