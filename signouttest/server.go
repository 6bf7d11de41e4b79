package signouttest

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/transport"
)

// Server is an in-process stand-in for one Cognito user pool and its app
// client on a loopback port. Start one with NewServer and Close it.
type Server struct {
	URL string // the endpoint, such as http://127.0.0.1:40123, for signout.WithEndpoint
	// Region, UserPoolID and ClientID name the pool and its app client.
	Region, UserPoolID, ClientID string
	ClientSecret                 string // the app client's secret with Confidential(), or ""
	Issuer                       string // the tokens' iss: https://cognito-idp.REGION.amazonaws.com/POOL

	ts                *httptest.Server
	client            *cip.Client
	done              chan struct{}
	closeOnce         sync.Once
	conns, seq        atomic.Int64
	tls, noRevocation bool
	quotaScale        float64
	clock             func() time.Time // read by the quotas; tests stop it

	mu      sync.Mutex
	counts  map[string]int // requests by operation
	faults  []*faultRule
	quotas  map[string]*bucket  // by category
	keys    []signingKey        // oldest first; the last one signs
	users   map[string]*user    // live users by name
	order   []*user             // every user ever made, in ListUsers' order
	refresh map[string]*session // by refresh token
	access  map[string]*session // by access token jti
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

// NewServer starts a stand-in on a loopback port; the caller must Close it.
// Like httptest.NewServer, it panics if it cannot listen.
func NewServer(opts ...ServerOption) *Server {
	s := &Server{Region: "us-east-1", ClientID: strings.ToLower(rand.Text()), clock: time.Now,
		done: make(chan struct{}), counts: map[string]int{}, keys: []signingKey{{rand.Text(), firstKey()}},
		users: map[string]*user{}, refresh: map[string]*session{}, access: map[string]*session{}}
	for _, o := range opts {
		o(s)
	}
	s.UserPoolID = s.Region + "_" + rand.Text()[:9]
	s.Issuer = "https://cognito-idp." + s.Region + ".amazonaws.com/" + s.UserPoolID
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
	// Through the library's Doer, which gives net/http its own copy of each
	// request body: smithy-go's, closed as soon as a call returns, made
	// net/http tear the connection down under the answer being read.
	s.client = cip.New(cip.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL), HTTPClient: transport.NewDoer(s.ts.Client(), 0, nil),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIGNOUTTEST", "fake", ""), RetryMaxAttempts: 1})
	return s
}

// Close stops the server, drops the requests held by faults, and closes
// Client's idle connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
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
	} else if r.Method != http.MethodPost || !isAPI || !known {
		s.answer(w, r, nil, fail("UnknownOperationException", ""), Fault{})
		return
	}
	s.mu.Lock()
	s.counts[op]++
	f := s.takeFaultLocked(op)
	s.mu.Unlock()
	if f != nil && !s.play(w, r, f) {
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
	out, aerr := s.handleLocked(r, o, &in)
	s.mu.Unlock()
	s.answer(w, r, out, aerr, Fault{})
}

func (s *Server) handleLocked(r *http.Request, o operation, in *input) (any, *apiError) {
	if !s.quotas[o.category].take(s.clock()) {
		return nil, fail("TooManyRequestsException", "Rate exceeded")
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
