package signouttest

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// Server is an in-process stand-in for one Cognito user pool and its app
// client on a loopback port, or for one of the pool's replicas in another
// region (see Replica). Start one with NewServer and Close it.
type Server struct {
	URL string // the endpoint, such as http://127.0.0.1:40123, for signout.WithEndpoint
	// Region, UserPoolID and ClientID name the pool and its app client;
	// Region is this server's region, which a replica does not share.
	Region, UserPoolID, ClientID string
	ClientSecret                 string // the app client's secret with Confidential(), or ""
	// Issuer is the iss of the tokens this server issues: by default the
	// ORIGINAL form, https://cognito-idp.REGION.amazonaws.com/POOL, naming
	// Region; with UpdatedIssuer(),
	// https://issuer-cognito-idp.PRIMARY.amazonaws.com/POOL, naming the
	// primary's region on the replicas too. Domains end in .com.cn in China.
	Issuer string

	ts                *httptest.Server
	client            *cip.Client
	done              chan struct{}
	closeOnce         sync.Once
	conns, seq        atomic.Int64
	tls, noRevocation bool
	updated           bool
	quotaScale        float64
	clock             func() time.Time // read by the quotas; tests stop it
	primary           *Server          // nil for the primary itself

	// The pool is shared with the replicas; its mu guards it and the
	// fields below.
	*pool
	counts        map[string]int // requests by operation
	faults        []*faultRule
	quotas        map[string]*bucket // by category
	down          bool               // SetDown
	refuseSignOut bool               // RefuseSignOut
}

// pool is what a user pool's servers, the primary and its replicas, share.
type pool struct {
	mu      sync.Mutex
	keys    []signingKey        // oldest first; the last one signs
	users   map[string]*user    // live users by name
	order   []*user             // every user ever made, in ListUsers' order
	refresh map[string]*session // by refresh token
	access  map[string]*session // by access token jti
	servers []*Server           // the primary, then its replicas
}

// ServerOption configures NewServer.
type ServerOption func(*Server)

// Region sets the pool's region; the default is us-east-1.
func Region(name string) ServerOption { return func(s *Server) { s.Region = name } }

// TLS serves HTTPS with a self-signed certificate; see Server.CertificatePEM.
func TLS() ServerOption { return func(s *Server) { s.tls = true } }

// Confidential gives the app client a secret, which RevokeToken then requires.
func Confidential() ServerOption {
	return func(s *Server) { s.ClientSecret = strings.ToLower(rand.Text() + rand.Text()) }
}

// RevocationDisabled turns token revocation off for the app client, as in
// Cognito: RevokeToken answers UnsupportedOperationException, and tokens
// have no origin_jti claim.
func RevocationDisabled() ServerOption { return func(s *Server) { s.noRevocation = true } }

// UpdatedIssuer makes the pool issue tokens under the UPDATED issuer
// form, which names the pool's primary region whichever region issued the
// token, as Cognito recommends and multi-Region replication needs. Without
// it, tokens carry the ORIGINAL form, which names the issuing region.
func UpdatedIssuer() ServerOption { return func(s *Server) { s.updated = true } }

// NewServer starts a stand-in on a loopback port; the caller must Close it.
// Like httptest.NewServer, it panics if it cannot listen.
func NewServer(opts ...ServerOption) *Server {
	s := &Server{Region: "us-east-1", ClientID: strings.ToLower(rand.Text()), clock: time.Now,
		pool: &pool{keys: []signingKey{{rand.Text(), firstKey()}}, users: map[string]*user{},
			refresh: map[string]*session{}, access: map[string]*session{}}}
	for _, o := range opts {
		o(s)
	}
	s.UserPoolID = s.Region + "_" + rand.Text()[:9]
	s.start()
	return s
}

// Replica starts a stand-in for a replica of the pool in region, as
// Cognito's multi-Region replication makes one: a server of its own (URL,
// Region, Client, Requests, quotas, faults) with the pool's id, app client,
// users, sessions and keys, so that a sign-out in either region ends the
// sessions in both at once (Cognito's replication is eventually
// consistent). It accepts the tokens of every region of the pool and
// issues its own under the pool's issuer form. Like a secondary of
// Cognito, it makes no users: SignIn and AddUser panic there for a user
// the pool lacks. Closing the primary closes its replicas. Replica panics
// when called on a replica, or with a region the pool already serves.
func (s *Server) Replica(region string) *Server {
	if s.primary != nil {
		panic("signouttest: Replica on a replica: call it on the primary")
	}
	s.mu.Lock()
	taken := slices.ContainsFunc(s.servers, func(r *Server) bool { return r.Region == region })
	s.mu.Unlock()
	if taken {
		panic("signouttest: Replica: the pool already has a server in " + region)
	}
	r := &Server{Region: region, UserPoolID: s.UserPoolID, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		tls: s.tls, noRevocation: s.noRevocation, updated: s.updated, quotaScale: s.quotaScale, clock: s.clock,
		primary: s, pool: s.pool}
	r.start()
	return r
}

// start serves s, a server of its pool with Region and UserPoolID set.
func (s *Server) start() {
	primary := s.Region
	if s.primary != nil {
		primary = s.primary.Region
	}
	if s.updated {
		s.Issuer = token.Issuer{Region: primary, PoolID: s.UserPoolID, Updated: true}.String()
	} else {
		s.Issuer = token.Issuer{Region: s.Region, PoolID: s.UserPoolID}.String()
	}
	s.done, s.counts = make(chan struct{}), map[string]int{}
	s.quotas = map[string]*bucket{}
	for c, rate := range cognitoQuotas {
		s.quotas[c] = &bucket{rate: rate * s.quotaScale, burst: max(1, rate*s.quotaScale*burstSeconds)}
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what TLS tests provoke
	s.ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if s.tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	// Through a transport.Doer, which gives net/http its own copy of each
	// request body: smithy-go closes the body as Do returns, which can tear
	// the connection down under the answer being read.
	s.client = cip.New(cip.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL), HTTPClient: transport.NewDoer(s.ts.Client(), 0, nil),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIGNOUTTEST", "fake", ""), RetryMaxAttempts: 1})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servers = append(s.servers, s)
}

// Close stops the server and its replicas, drops the requests held by
// faults, and closes Client's idle connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
	if s.primary == nil {
		s.mu.Lock()
		replicas := slices.Clone(s.servers[1:])
		s.mu.Unlock()
		for _, r := range replicas {
			r.Close()
		}
	}
}

// SetDown plays an outage of the server's region, or ends it: while down,
// the server drops every connection that sends it a request, without an
// answer, as a region that cannot be reached does; Requests still counts
// them. A reset, unlike a 503, tells the client nothing, not even that the
// operation was not done, which is the harder case for it.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// RefuseSignOut makes a replica refuse, or accept again, the operations
// that end sessions (GlobalSignOut, RevokeToken, AdminUserGlobalSignOut)
// with OperationNotEnabledException, Cognito's error for "an operation is
// not available in the current region": whether a secondary region takes
// them is not documented. A replica accepts them by default. It panics on
// the primary.
func (s *Server) RefuseSignOut(refuse bool) {
	if s.primary == nil {
		panic("signouttest: RefuseSignOut on the primary: only a replica may refuse")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseSignOut = refuse
}

// HTTPClient returns an HTTP client that sends a request for Cognito's
// endpoint in a region of the pool, cognito-idp.REGION.amazonaws.com
// (.com.cn in China), to the pool's server in that region, the primary or a
// replica, and fails a request for any other host as unreachable. Give it
// to signout.WithHTTPClient, in place of WithEndpoint, to see each call
// reach the region the client picked.
func (s *Server) HTTPClient() *http.Client { return &http.Client{Transport: router{s.pool}} }

// router is the transport of HTTPClient.
type router struct{ *pool }

func (rt router) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	i := slices.IndexFunc(rt.servers, func(s *Server) bool {
		return req.URL.Host == "cognito-idp."+s.Region+"."+token.Domain(s.Region)
	})
	var to *Server
	if i >= 0 {
		to = rt.servers[i]
	}
	rt.mu.Unlock()
	if to == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errors.New("signouttest: no server of the pool in the region of " + req.URL.Host)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, _ = strings.Cut(to.URL, "://")
	resp, err := to.ts.Client().Transport.RoundTrip(r)
	if resp != nil {
		resp.Request = req // the answer to the request made, not a redirect
	}
	return resp, err
}

// Client returns an SDK client for the server, as httptest's Server.Client
// does: its region and endpoint, fake static credentials that SigV4-sign the
// admin operations, trust in its TLS certificate, and one attempt per call.
func (s *Server) Client() *cip.Client { return s.client }

// Accepts reports whether the server would accept tok now: an access
// token as GetUser does, a refresh token as REFRESH_TOKEN_AUTH does. It
// sends no request and counts none, so a test can look at a token without
// changing what Requests and the quotas see.
func (s *Server) Accepts(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.refresh[tok]; sess != nil {
		return sess.refused("Refresh") == nil
	}
	_, e := s.sessionLocked(tok)
	return e == nil
}

// Requests returns how many requests for op (such as "GlobalSignOut", or
// "JWKS" for the key set) the server has received, throttled and faulted
// ones included; "" counts all.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for o, c := range s.counts {
		if op == "" || o == op {
			n += c
		}
	}
	return n
}

// Connections returns how many connections clients have opened to the server.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// CertificatePEM returns the server's TLS certificate in PEM, for
// signout.WithCABundle. It panics if the server was started without TLS().
func (s *Server) CertificatePEM() []byte {
	if s.ts.TLS == nil {
		panic("signouttest: CertificatePEM on a server started without TLS()")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// operation is how the server handles one Cognito operation.
type operation struct {
	category string // its request rate quota
	admin    bool   // IAM-authorized: SigV4-signed, names the pool
	handle   func(*Server, *input) (any, *apiError)
}

var operations = map[string]operation{
	"GlobalSignOut":          {"UserUpdate", false, (*Server).globalSignOut},
	"AdminUserGlobalSignOut": {"UserUpdate", true, (*Server).adminUserGlobalSignOut},
	"ListUsers":              {"UserList", true, (*Server).listUsers},
	"InitiateAuth":           {"UserToken", false, (*Server).initiateAuth},
	"RevokeToken":            {"UserToken", false, (*Server).revokeToken},
	"GetUser":                {"UserRead", false, (*Server).getUser},
}

// input holds the request members of every operation the server knows.
type input struct {
	AccessToken, ClientSecret, Token, Username, AuthFlow, Filter, PaginationToken string
	ClientID                                                                      string `json:"ClientId"`
	UserPoolID                                                                    string `json:"UserPoolId"`
	AuthParameters                                                                map[string]string
	Limit                                                                         int
	AttributesToGet                                                               []string
}

// apiError is an error answer in Cognito's shape.
type apiError struct {
	status        int
	code, message string
}

// fail makes the error Cognito answers with code (HTTP 400).
func fail(code, message string) *apiError { return &apiError{http.StatusBadRequest, code, message} }

func missing(member string) *apiError {
	return fail("InvalidParameterException", "1 validation error detected: Value null at '"+member+
		"' failed to satisfy constraint: Member must not be null")
}

var userNotFound = fail("UserNotFoundException", "User does not exist.")

// serve answers Cognito's AWS JSON 1.1 protocol, and the pool's JWKS.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Read the whole request first, as Cognito does: a client whose request
	// is answered mid-upload may drop the connection.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	op, isAPI := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	o, known := operations[op]
	jwks := r.Method == http.MethodGet && r.URL.Path == "/"+s.UserPoolID+"/.well-known/jwks.json"
	if jwks {
		op = "JWKS"
	}
	valid := jwks || r.Method == http.MethodPost && isAPI && known
	var f *Fault
	s.mu.Lock()
	if valid {
		s.counts[op]++
	}
	switch {
	case s.down:
		f = &Fault{Mode: Reset}
	case valid:
		f = s.takeFaultLocked(op)
	}
	s.mu.Unlock()
	if f != nil && !s.play(w, r, f) {
		return
	}
	if !valid {
		s.answer(w, r, nil, fail("UnknownOperationException", ""), Fault{})
		return
	}
	if jwks {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.JWKS())
		return
	}
	var in input
	if err != nil || json.Unmarshal(body, &in) != nil {
		s.answer(w, r, nil, fail("SerializationException", "Start of structure or map found where not expected."), Fault{})
		return
	}
	s.mu.Lock()
	out, aerr := s.handleLocked(r, op, o, &in)
	s.mu.Unlock()
	s.answer(w, r, out, aerr, Fault{})
}

func (s *Server) handleLocked(r *http.Request, op string, o operation, in *input) (any, *apiError) {
	if !s.quotas[o.category].take(s.clock()) {
		return nil, fail("TooManyRequestsException", "Rate exceeded")
	}
	if s.refuseSignOut && (op == "GlobalSignOut" || op == "RevokeToken" || op == "AdminUserGlobalSignOut") {
		return nil, fail("OperationNotEnabledException", op+" is not available in the current region.")
	}
	if o.admin { // Cognito checks the signature; the stand-in only that there is one
		switch {
		case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
			return nil, fail("MissingAuthenticationTokenException", "Missing Authentication Token")
		case in.UserPoolID == "":
			return nil, missing("userPoolId")
		case in.UserPoolID != s.UserPoolID:
			return nil, fail("ResourceNotFoundException", "User pool "+in.UserPoolID+" does not exist.")
		}
	}
	return o.handle(s, in)
}

// answer writes every answer: out as JSON, or e in Cognito's error shape
// (made here only), as f, the fault being played if any, reshapes it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, out any, e *apiError, f Fault) {
	status, h := http.StatusOK, w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	if e != nil {
		status, out = e.status, map[string]string{"__type": e.code, "message": e.message}
		h.Set("X-Amzn-Errortype", e.code)
	}
	body, _ := json.Marshal(out)
	if f.Mode == RawReply {
		status, body = f.Status, []byte(f.Body)
		h.Del("Content-Type")
		if f.ContentType != "" {
			h.Set("Content-Type", f.ContentType)
		}
	}
	n := s.seq.Add(1)
	h.Set("X-Amzn-Requestid", cmp.Or(f.RequestID, fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)))
	w.WriteHeader(status)
	if f.BodyDelay > 0 {
		w.(http.Flusher).Flush()
		if !s.wait(r, f.BodyDelay) {
			return
		}
	}
	w.Write(body)
}

// wait blocks for d or until the client gives up, and reports whether the
// full time passed. When the server closes, it drops the connection.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		panic(http.ErrAbortHandler)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
