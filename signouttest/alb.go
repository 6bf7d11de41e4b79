package signouttest

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"html/template"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ALB is an in-process stand-in for an Application Load Balancer whose
// listener rule signs users in with a Server's user pool (an authenticate-
// cognito action) and forwards their requests to an application, for
// tests only. It serves, on two loopback ports:
//
//   - the load balancer at URL. A request without a valid session cookie
//     is redirected to the managed login; after sign-in, the load balancer
//     sets its session cookie, sealed and sharded in 4,000-byte pieces
//     (AWSELBAuthSessionCookie-0, -1, ...: the tokens make two), and
//     forwards each request to the application with the headers AWS
//     documents: x-amzn-oidc-data (a JWT it signs with ES256, base64url
//     with padding, naming its ARN in signer and its key in kid),
//     x-amzn-oidc-accesstoken (the Cognito access token) and
//     x-amzn-oidc-identity (the user's sub), replacing any the client
//     sent. It keeps a session while its cookie lasts (7 days), whatever
//     becomes of the tokens: a load balancer learns of a sign-out only
//     when its refresh of the expired access token fails, which the
//     stand-in does not try.
//   - the AWS side at LoginURL: the user pool's managed login
//     (/oauth2/authorize shows a sign-in form, or signs the user straight
//     back in while its own session cookie, "cognito", lives; /logout ends
//     that session and redirects to logout_uri), and the load balancer's
//     key endpoint at KeyURL, which serves each public key in PEM by kid.
type ALB struct {
	URL      string // the load balancer, where browsers go
	ARN      string // the load balancer's ARN, the signer of its tokens: for alb.WithLoadBalancer
	KeyURL   string // the key endpoint, serving KeyURL/KID: for alb.WithKeyEndpoint
	LoginURL string // the managed login

	srv         *Server
	app         http.Handler
	scope       string
	front, side *httptest.Server
	seal        cipher.AEAD
	keyRequests atomic.Int64

	mu     sync.Mutex
	keys   []albKey            // oldest first; the last one signs
	codes  map[string]*albCode // authorization codes, used once
	states map[string]string   // the load balancer's pending sign-ins: state -> where to return
	logins map[string]string   // managed login sessions: cookie value -> username
}

type albKey struct {
	kid string
	key *ecdsa.PrivateKey
}

type albCode struct {
	tokens Tokens
	state  string
}

// ALBOption configures NewALB.
type ALBOption func(*ALB)

// ALBScope sets the scopes the load balancer asks for, such as "openid":
// the access tokens it forwards carry exactly these. The default is the
// Server's ("openid email aws.cognito.signin.user.admin"), which lets the
// application sign the user out with GlobalSignOut. The tokens of a
// refresh carry the Server's scopes.
func ALBScope(scope string) ALBOption { return func(a *ALB) { a.scope = scope } }

// albSessionTimeout is the load balancer's default SessionTimeout.
const albSessionTimeout = 7 * 24 * time.Hour

// albDataLifetime is how long the stand-in's x-amzn-oidc-data tokens last.
const albDataLifetime = 2 * time.Minute

// albCookie is the load balancer's default SessionCookieName.
const albCookie = "AWSELBAuthSessionCookie"

// NewALB starts a load balancer in front of app that signs users in with
// srv's user pool and app client; the caller must Close it. A nil app
// answers 404, for tests that only need Headers. Like httptest.NewServer,
// it panics if it cannot listen.
func NewALB(srv *Server, app http.Handler, opts ...ALBOption) *ALB {
	if app == nil {
		app = http.NotFoundHandler()
	}
	block, _ := aes.NewCipher(randomBytes(32))
	seal, _ := cipher.NewGCM(block)
	a := &ALB{srv: srv, app: app, seal: seal,
		ARN:   "arn:aws:elasticloadbalancing:" + srv.Region + ":123456789012:loadbalancer/app/signouttest/" + hex.EncodeToString(randomBytes(8)),
		codes: map[string]*albCode{}, states: map[string]string{}, logins: map[string]string{}}
	for _, o := range opts {
		o(a)
	}
	a.RotateKey()
	a.front = httptest.NewServer(http.HandlerFunc(a.serveFront))
	a.side = httptest.NewServer(http.HandlerFunc(a.serveSide))
	for _, s := range []*httptest.Server{a.front, a.side} {
		s.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
	a.URL, a.LoginURL, a.KeyURL = a.front.URL, a.side.URL, a.side.URL+"/elb-keys"
	return a
}

// Close stops the load balancer and the managed login.
func (a *ALB) Close() {
	a.front.Close()
	a.side.Close()
}

// RotateKey makes a new key with a new kid and signs later tokens with it;
// the key endpoint keeps serving the older keys.
func (a *ALB) RotateKey() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // fails only with a broken reader
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, albKey{randomUUID(), key})
}

// KeyRequests returns how many requests the key endpoint has received.
func (a *ALB) KeyRequests() int { return int(a.keyRequests.Load()) }

// LogoutURL returns the managed login's logout URL for logoutURI, as
// signouthttp.LogoutURL makes it for a user pool's domain (which is
// https only): LoginURL/logout?client_id=CLIENT&logout_uri=URI. The
// stand-in accepts any logoutURI under URL as a sign-out URL of the app
// client.
func (a *ALB) LogoutURL(logoutURI string) string {
	return a.LoginURL + "/logout?" + url.Values{"client_id": {a.srv.ClientID}, "logout_uri": {logoutURI}}.Encode()
}

// Headers returns the headers the load balancer forwards with each request
// of a user signed in with tokens (from the Server's SignIn), signed now:
// for tests of an application without a browser.
func (a *ALB) Headers(tokens Tokens) http.Header {
	sub, data := a.sign(tokens)
	h := http.Header{}
	h.Set("X-Amzn-Oidc-Data", data)
	h.Set("X-Amzn-Oidc-Accesstoken", tokens.AccessToken)
	h.Set("X-Amzn-Oidc-Identity", sub)
	return h
}

// sign returns the user's sub and an x-amzn-oidc-data token for tokens.
// Its payload is what the user pool's userInfo answers: the ID token's
// user claims, username for cognito:username.
func (a *ALB) sign(tokens Tokens) (sub, data string) {
	var id struct {
		Sub           string `json:"sub"`
		Username      string `json:"cognito:username"`
		Email         string `json:"email"`
		EmailVerified string `json:"email_verified"`
	}
	if parts := strings.Split(tokens.IDToken, "."); len(parts) == 3 {
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(raw, &id)
	}
	exp := time.Now().Add(albDataLifetime).Unix()
	a.mu.Lock()
	k := a.keys[len(a.keys)-1]
	a.mu.Unlock()
	header, _ := json.Marshal(struct {
		Typ    string `json:"typ"`
		Kid    string `json:"kid"`
		Alg    string `json:"alg"`
		Iss    string `json:"iss"`
		Client string `json:"client"`
		Signer string `json:"signer"`
		Exp    int64  `json:"exp"`
	}{"JWT", k.kid, "ES256", a.srv.Issuer, a.srv.ClientID, a.ARN, exp})
	payload, _ := json.Marshal(struct {
		Sub           string `json:"sub"`
		EmailVerified string `json:"email_verified,omitempty"`
		Email         string `json:"email,omitempty"`
		Username      string `json:"username"`
		Exp           int64  `json:"exp"`
		Iss           string `json:"iss"`
	}{id.Sub, id.EmailVerified, id.Email, id.Username, exp, a.srv.Issuer})
	// Load balancers pad each segment, and sign the padded text.
	enc := base64.URLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signed))
	r, s, _ := ecdsa.Sign(rand.Reader, k.key, digest[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return id.Sub, signed + "." + enc.EncodeToString(sig)
}

// albSession is what the load balancer's session cookie holds.
type albSession struct {
	Tokens  Tokens
	Expires time.Time
}

// serveFront is the load balancer: its sign-in callback, and every other
// path forwarded to the application once the user is signed in.
func (a *ALB) serveFront(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth2/idpresponse" {
		a.callback(w, r)
		return
	}
	sess, ok := a.session(r)
	if !ok {
		a.authenticate(w, r)
		return
	}
	fwd := r.Clone(r.Context())
	h := a.Headers(sess.Tokens)
	for name := range fwd.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amzn-oidc-") {
			fwd.Header.Del(name)
		}
	}
	for name, vs := range h {
		fwd.Header[name] = vs
	}
	fwd.Header.Set("X-Forwarded-Proto", "http")
	fwd.Header.Set("X-Forwarded-For", strings.Split(r.RemoteAddr, ":")[0])
	a.app.ServeHTTP(w, fwd)
}

// authenticate sends the browser to the managed login, to come back to
// this request's URL.
func (a *ALB) authenticate(w http.ResponseWriter, r *http.Request) {
	state := hex.EncodeToString(randomBytes(16))
	a.mu.Lock()
	a.states[state] = r.URL.RequestURI()
	a.mu.Unlock()
	q := url.Values{"response_type": {"code"}, "client_id": {a.srv.ClientID}, "redirect_uri": {a.URL + "/oauth2/idpresponse"},
		"state": {state}, "scope": {cmp.Or(a.scope, "openid")}}
	http.Redirect(w, r, a.LoginURL+"/oauth2/authorize?"+q.Encode(), http.StatusFound)
}

// callback takes the authorization code back from the managed login.
func (a *ALB) callback(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	code := a.codes[r.FormValue("code")]
	delete(a.codes, r.FormValue("code"))
	back, ok := a.states[r.FormValue("state")]
	delete(a.states, r.FormValue("state"))
	a.mu.Unlock()
	if code == nil || !ok || code.state != r.FormValue("state") {
		http.Error(w, "401 Authorization Required", http.StatusUnauthorized)
		return
	}
	a.setSession(w, &albSession{Tokens: code.tokens, Expires: time.Now().Add(albSessionTimeout)})
	http.Redirect(w, r, back, http.StatusFound)
}

// shardSize is how much of the sealed session one cookie holds.
const shardSize = 4000

func (a *ALB) setSession(w http.ResponseWriter, sess *albSession) {
	plain, _ := json.Marshal(sess)
	nonce := randomBytes(a.seal.NonceSize())
	value := base64.RawURLEncoding.EncodeToString(a.seal.Seal(nonce, nonce, plain, nil))
	for i := 0; len(value) > 0; i++ {
		n := min(shardSize, len(value))
		http.SetCookie(w, &http.Cookie{Name: albCookie + "-" + strconv.Itoa(i), Value: value[:n], Path: "/",
			Expires: sess.Expires, HttpOnly: true})
		value = value[n:]
	}
}

// session reads the session cookie's shards, from -0 on.
func (a *ALB) session(r *http.Request) (*albSession, bool) {
	var b strings.Builder
	for i := 0; ; i++ {
		c, err := r.Cookie(albCookie + "-" + strconv.Itoa(i))
		if err != nil {
			break
		}
		b.WriteString(c.Value)
	}
	sealed, err := base64.RawURLEncoding.DecodeString(b.String())
	if err != nil || len(sealed) < a.seal.NonceSize() {
		return nil, false
	}
	n := a.seal.NonceSize()
	plain, err := a.seal.Open(nil, sealed[:n], sealed[n:], nil)
	var sess albSession
	if err != nil || json.Unmarshal(plain, &sess) != nil || time.Now().After(sess.Expires) {
		return nil, false
	}
	return &sess, true
}

var albLoginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Sign in</title>
<h1>Sign in to the user pool</h1>
<form method="post" action="/login">
<input type="hidden" name="state" value="{{.}}">
<input name="username" placeholder="username" required> <button id="signin">Sign in</button>
</form>`))

// loginCookie is the managed login's own session cookie.
const loginCookie = "cognito"

// serveSide is the AWS side: the managed login and the key endpoint.
func (a *ALB) serveSide(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/elb-keys/"):
		a.keyRequests.Add(1)
		kid := strings.TrimPrefix(r.URL.Path, "/elb-keys/")
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, k := range a.keys {
			if k.kid == kid {
				der, _ := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
				w.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
				return
			}
		}
		// The real endpoint is an S3 bucket, which answers 403 for a key it lacks.
		http.Error(w, "AccessDenied", http.StatusForbidden)
	case r.Method == http.MethodGet && r.URL.Path == "/oauth2/authorize":
		q := r.URL.Query()
		if q.Get("client_id") != a.srv.ClientID || q.Get("redirect_uri") != a.URL+"/oauth2/idpresponse" {
			http.Error(w, "redirect_mismatch", http.StatusBadRequest)
			return
		}
		if c, err := r.Cookie(loginCookie); err == nil {
			a.mu.Lock()
			name := a.logins[c.Value]
			a.mu.Unlock()
			if name != "" {
				// The managed login's session lives: no form.
				a.issueCode(w, r, name, q.Get("state"))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		albLoginPage.Execute(w, q.Get("state"))
	case r.Method == http.MethodPost && r.URL.Path == "/login":
		name := r.PostFormValue("username")
		if name == "" {
			http.Error(w, "username required", http.StatusBadRequest)
			return
		}
		id := hex.EncodeToString(randomBytes(16))
		a.mu.Lock()
		a.logins[id] = name
		a.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: id, Path: "/", HttpOnly: true})
		a.issueCode(w, r, name, r.PostFormValue("state"))
	case r.Method == http.MethodGet && r.URL.Path == "/logout":
		q := r.URL.Query()
		back := q.Get("logout_uri")
		if q.Get("client_id") != a.srv.ClientID || !strings.HasPrefix(back, a.URL+"/") && back != a.URL {
			http.Error(w, "redirect_mismatch", http.StatusBadRequest)
			return
		}
		if c, err := r.Cookie(loginCookie); err == nil {
			a.mu.Lock()
			delete(a.logins, c.Value)
			a.mu.Unlock()
		}
		http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/", MaxAge: -1, HttpOnly: true})
		http.Redirect(w, r, back, http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// issueCode signs name in at the user pool and sends the browser back to
// the load balancer with an authorization code for the tokens.
func (a *ALB) issueCode(w http.ResponseWriter, r *http.Request, name, state string) {
	var claims []Claims
	if a.scope != "" {
		claims = append(claims, Claims{"scope": a.scope})
	}
	tokens := a.srv.SignIn(name, claims...)
	code := hex.EncodeToString(randomBytes(16))
	a.mu.Lock()
	a.codes[code] = &albCode{tokens: tokens, state: state}
	a.mu.Unlock()
	http.Redirect(w, r, a.URL+"/oauth2/idpresponse?"+url.Values{"code": {code}, "state": {state}}.Encode(), http.StatusFound)
}
