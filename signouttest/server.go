package signouttest

import (
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
)

// Server is an in-process stand-in for one Cognito user pool with one app
// client, served on a loopback port. Start one with NewServer and Close it.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:40123; pass it to
	// signout.WithEndpoint.
	URL string
	// Region, UserPoolID and ClientID name the pool and its app client.
	Region, UserPoolID, ClientID string
	// ClientSecret is the app client's secret when the server was started
	// with Confidential(), and "" otherwise; RevokeToken checks it.
	ClientSecret string
	// Issuer is the tokens' iss claim: https://cognito-idp.REGION.amazonaws.com/POOL.
	Issuer string

	ts         *httptest.Server
	client     *cip.Client
	done       chan struct{}
	closeOnce  sync.Once
	conns      atomic.Int64
	seq        atomic.Int64
	revocation bool             // the app client has token revocation enabled
	clock      func() time.Time // read by the quotas; tests stop it

	mu      sync.Mutex
	counts  map[string]int // requests by operation
	faults  []*faultRule
	quotas  map[string]*bucket // by category
	keys    []signingKey       // oldest first; the last one signs
	users   map[string]*user   // live users by name
	order   []*user            // every user ever made, in ListUsers' order
	refresh map[string]*session
	access  map[string]*session // by the access token's jti
}

// ServerOption configures NewServer.
type ServerOption func(*config)

type config struct {
	region                          string
	tls, confidential, noRevocation bool
	quotaScale                      float64
}

// Region sets the pool's region; the default is us-east-1.
func Region(name string) ServerOption { return func(c *config) { c.region = name } }

// TLS serves HTTPS with a self-signed certificate; see Server.CertificatePEM.
func TLS() ServerOption { return func(c *config) { c.tls = true } }

// Confidential gives the app client a secret (Server.ClientSecret), which
// RevokeToken then requires.
func Confidential() ServerOption { return func(c *config) { c.confidential = true } }

// RevocationDisabled turns token revocation off for the app client, as
// EnableTokenRevocation=false does in Cognito: RevokeToken answers
// UnsupportedOperationException and tokens carry no origin_jti claim.
func RevocationDisabled() ServerOption { return func(c *config) { c.noRevocation = true } }

// NewServer starts a stand-in on a loopback port. The caller must Close it,
// for example with t.Cleanup(srv.Close). Like httptest.NewServer it panics
// if it cannot listen.
func NewServer(opts ...ServerOption) *Server {
	cfg := config{region: "us-east-1"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		Region:     cfg.region,
		UserPoolID: cfg.region + "_" + randomID(9),
		ClientID:   strings.ToLower(randomID(26)),
		revocation: !cfg.noRevocation,
		clock:      time.Now,
		done:       make(chan struct{}),
		counts:     map[string]int{},
		quotas:     newQuotas(cfg.quotaScale),
		keys:       []signingKey{{kid: randomID(12), key: firstKey()}},
		users:      map[string]*user{},
		refresh:    map[string]*session{},
		access:     map[string]*session{},
	}
	if cfg.confidential {
		s.ClientSecret = strings.ToLower(randomID(40))
	}
	s.Issuer = "https://cognito-idp." + cfg.region + ".amazonaws.com/" + s.UserPoolID
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
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
	s.client = cip.New(cip.Options{
		Region:           s.Region,
		BaseEndpoint:     aws.String(s.URL),
		HTTPClient:       s.ts.Client(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSIGNOUTTEST", "signouttest-fake-secret", ""),
		RetryMaxAttempts: 1,
	})
	return s
}

// Close stops the server, ends requests held by Hang or Slow faults, and
// closes the idle connections of Client.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
}

// Client returns an SDK client aimed at the server, like httptest's
// Server.Client: the server's region and endpoint, fake static credentials
// (so that admin operations are SigV4-signed), trust in the server's
// certificate when it serves TLS, and one attempt per call so that a test
// sees every answer. Build a variant with
// cognitoidentityprovider.New(srv.Client().Options(), ...).
func (s *Server) Client() *cip.Client { return s.client }

// Requests returns how many requests for op (such as "GlobalSignOut") the
// server has received, throttled and faulted ones included; "" counts every
// operation.
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

// CertificatePEM returns the TLS server's certificate in PEM, for
// signout.WithCABundle. It panics if the server was not started with TLS().
func (s *Server) CertificatePEM() []byte {
	if s.ts.TLS == nil {
		panic("signouttest: CertificatePEM on a server started without TLS()")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// operation is how the server handles one Cognito operation.
type operation struct {
	category string // its request rate quota, or "" for none
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
	AccessToken, ClientSecret, Token, Username string
	ClientID                                   string `json:"ClientId"`
	UserPoolID                                 string `json:"UserPoolId"`
	AuthFlow                                   string
	AuthParameters                             map[string]string
	Filter, PaginationToken                    string
	Limit                                      int
	AttributesToGet                            []string
}

// apiError is an answer in Cognito's error shape; answer writes it.
type apiError struct {
	status        int
	code, message string
}

func notAuthorized(message string) *apiError {
	return &apiError{400, "NotAuthorizedException", message}
}

func invalidParameter(message string) *apiError {
	return &apiError{400, "InvalidParameterException", message}
}

func missing(member string) *apiError {
	return invalidParameter("1 validation error detected: Value null at '" + member + "' failed to satisfy constraint: Member must not be null")
}

var userNotFound = &apiError{400, "UserNotFoundException", "User does not exist."}

const targetPrefix = "AWSCognitoIdentityProviderService."

// serve answers Cognito's AWS JSON 1.1 protocol, and the pool's JWKS.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/"+s.UserPoolID+"/.well-known/jwks.json" {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.JWKS())
		return
	}
	// Read the whole request first, as Cognito does: a client whose request
	// is answered mid-upload may drop the connection.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	op, isAPI := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	o, known := operations[op]
	if r.Method != http.MethodPost || !isAPI || !known {
		s.answer(w, r, (&apiError{400, "UnknownOperationException", ""}).reply())
		return
	}
	s.mu.Lock()
	s.counts[op]++
	f := s.takeFaultLocked(op)
	s.mu.Unlock()
	if f != nil && !s.play(w, r, f) {
		return
	}
	var in input
	if err != nil || json.Unmarshal(body, &in) != nil {
		s.answer(w, r, (&apiError{400, "SerializationException", "Start of structure or map found where not expected."}).reply())
		return
	}
	s.mu.Lock()
	out, aerr := s.handleLocked(r, o, &in)
	s.mu.Unlock()
	if aerr != nil {
		s.answer(w, r, aerr.reply())
		return
	}
	s.answer(w, r, okReply(out))
}

func (s *Server) handleLocked(r *http.Request, o operation, in *input) (any, *apiError) {
	if !s.quotas[o.category].take(s.clock()) {
		return nil, &apiError{400, "TooManyRequestsException", "Rate exceeded"}
	}
	if o.admin {
		// Cognito checks the signature; the stand-in checks only that there is one.
		switch {
		case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
			return nil, &apiError{400, "MissingAuthenticationTokenException", "Missing Authentication Token"}
		case in.UserPoolID == "":
			return nil, missing("userPoolId")
		case in.UserPoolID != s.UserPoolID:
			return nil, &apiError{400, "ResourceNotFoundException", "User pool " + in.UserPoolID + " does not exist."}
		}
	}
	return o.handle(s, in)
}

// reply is one answer. Every answer the server writes is a reply, and
// apiError.reply is the one place Cognito's error JSON is made.
type reply struct {
	status      int
	code        string // Cognito's error code, also sent as X-Amzn-Errortype
	contentType string
	body        []byte
	requestID   string // "" for a fresh one
	bodyDelay   time.Duration
}

func okReply(out any) reply {
	b, _ := json.Marshal(out)
	return reply{status: http.StatusOK, contentType: "application/x-amz-json-1.1", body: b}
}

func (e *apiError) reply() reply {
	b, _ := json.Marshal(map[string]string{"__type": e.code, "message": e.message})
	return reply{status: e.status, code: e.code, contentType: "application/x-amz-json-1.1", body: b}
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, rp reply) {
	if rp.contentType != "" {
		w.Header().Set("Content-Type", rp.contentType)
	}
	if rp.code != "" {
		w.Header().Set("X-Amzn-Errortype", rp.code)
	}
	if rp.requestID == "" {
		n := s.seq.Add(1)
		rp.requestID = fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
	}
	w.Header().Set("X-Amzn-Requestid", rp.requestID)
	w.WriteHeader(rp.status)
	if rp.bodyDelay > 0 {
		w.(http.Flusher).Flush()
		if !s.wait(r, rp.bodyDelay) {
			return
		}
	}
	w.Write(rp.body)
}

// wait blocks for d (forever when d < 0) or until the client gives up, and
// reports whether the full time passed. When the server closes, it drops
// the connection, as a server going away does.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		panic(http.ErrAbortHandler)
	}
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
