package alb

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/json"
	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/verify"
)

// op is the Op of the errors of this package.
const op = "VerifyALB"

// Claims are what a load balancer's token says of the signed-in user, read
// from its header (Signer, Issuer, Client, Expires) and its payload, the
// user pool's userInfo answer (Subject, Username, Email).
type Claims struct {
	Signer   string    // signer: the load balancer's ARN
	Issuer   string    // iss: the user pool's issuer URL
	Client   string    // client: the app client the load balancer signs users in with
	Subject  string    // sub: the user's id
	Username string    // username
	Email    string    // email; empty unless the load balancer's scopes include email
	Expires  time.Time // exp

	// Access holds the claims of the Cognito access token the load
	// balancer forwarded, verified by the access token verifier given to
	// New. VerifyRequest and the middleware set it; Verify leaves it nil.
	Access *verify.Claims
}

// header is the token's JOSE header; payload its claims. json is go-jose's
// encoding/json: names match case-sensitively, and a name given twice is
// refused, so that a token has one meaning.
type header struct {
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	Signer string   `json:"signer"`
	Iss    string   `json:"iss"`
	Client string   `json:"client"`
	Exp    int64    `json:"exp"`
	Crit   []string `json:"crit"`
}

type payload struct {
	Sub      string `json:"sub"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Exp      *int64 `json:"exp"`
}

// Verifier checks the requests an Application Load Balancer forwards after
// signing a user in with Cognito. It is safe for concurrent use; make one
// per process with New.
type Verifier struct {
	access        *verify.Verifier
	signers       map[string]string // key endpoint by load balancer ARN
	keys          *keys
	leeway        time.Duration
	sessionCookie string
	now           func() time.Time
}

// New returns a Verifier for the load balancers given with
// WithLoadBalancer, which checks the Cognito access tokens they forward
// with access, a *verify.Verifier for the load balancer's user pool and app
// client that shares the application's revocation store
// (verify.WithRevocationStore). New fetches nothing: a key is fetched when
// the first token signed with it arrives. It returns an *signout.Error
// matching signout.ErrInvalidOption, whose Op names the option, when an
// option is invalid, no load balancer is given, or access is nil.
func New(access *verify.Verifier, opts ...Option) (*Verifier, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.err != nil:
		return nil, o.err
	case access == nil:
		return nil, &signout.Error{Op: "New", Kind: signout.ErrInvalidOption, Message: "nil *verify.Verifier: the forwarded access token must be verified"}
	case len(o.arns) == 0:
		return nil, &signout.Error{Op: "WithLoadBalancer", Kind: signout.ErrInvalidOption, Message: "no load balancer: New needs WithLoadBalancer"}
	}
	v := &Verifier{access: access, signers: map[string]string{}, leeway: o.leeway, sessionCookie: o.sessionCookie, now: time.Now}
	for _, arn := range o.arns {
		endpoint := o.keyEndpoint
		if endpoint == "" {
			endpoint = keyEndpoint(arn)
		}
		if endpoint == "" {
			return nil, &signout.Error{Op: "WithKeyEndpoint", Kind: signout.ErrInvalidOption,
				Message: "no documented key endpoint for the partition of " + arn + ": name one with WithKeyEndpoint"}
		}
		v.signers[arn] = endpoint
	}
	client := defaultHTTPClient()
	if o.httpClient != nil {
		c := *o.httpClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v.keys = newKeys(client, rate.NewLimiter(rate.Every(o.fetchInterval), fetchBurst))
	return v, nil
}

// Verify checks data, the value of an x-amzn-oidc-data header, and returns
// its claims. The token must be signed with ES256 (anything else is
// refused before a key is looked up) by a load balancer given with
// WithLoadBalancer, named by its signer header, with the key its kid names
// at that load balancer's key endpoint; its exp (in the header, and in the
// payload when there) must not have passed, give or take the leeway. Its
// segments may be base64url with padding, as load balancers send them, or
// without; in either form they must be canonical.
//
// Verify checks the load balancer's token only. Use VerifyRequest, or the
// middleware, to also check the Cognito access token forwarded with it,
// which is what a sign-out revokes.
//
// Errors are *signout.Error values that never hold the token:
// signout.ErrTokenExpired, or signout.ErrInvalidToken for anything else
// wrong with the token (both match signout.ErrNotAuthorized);
// signout.ErrNetwork, ErrTimeout or ErrService when the key could not be
// fetched, ErrThrottled when key fetches are being limited
// (WithFetchInterval); context.Canceled when ctx ended during a fetch.
func (v *Verifier) Verify(ctx context.Context, data string) (*Claims, error) {
	if data == "" {
		return nil, invalid("no token")
	}
	if len(data) > maxDataSize {
		return nil, invalid("token is longer than 32 KiB")
	}
	h, rest, ok1 := strings.Cut(data, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, invalid("token is not three dot-separated segments")
	}
	var hd header
	if err := decodeJSON(h, &hd); err != nil {
		return nil, invalid("token header: " + err.Error())
	}
	switch {
	case hd.Alg != "ES256":
		return nil, invalid("token is not signed with ES256")
	case hd.Crit != nil:
		return nil, invalid("token header has a crit parameter")
	case !isUUID(hd.Kid):
		return nil, invalid("token header names no key (kid) of the load balancers' form")
	}
	endpoint, ok := v.signers[hd.Signer]
	if !ok {
		return nil, invalid("token is signed by a load balancer that is not accepted")
	}
	sig, err := decodeSegment(s)
	if err != nil || len(sig) != 64 {
		return nil, invalid("token signature is not 64 bytes of canonical base64url")
	}
	var pl payload
	if err := decodeJSON(p, &pl); err != nil {
		return nil, invalid("token claims: " + err.Error())
	}
	key, err := v.keys.get(ctx, keyID{endpoint, hd.Kid})
	if errors.Is(err, errUnknownKey) {
		return nil, invalid("token is signed with a key the load balancer's key endpoint does not have")
	}
	if err != nil {
		return nil, err
	}
	// The signature covers the first two segments as sent, padding
	// included.
	digest := sha256.Sum256([]byte(data[:len(h)+1+len(p)]))
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, digest[:], r, ss) {
		return nil, invalid("token signature does not verify")
	}
	now := v.now()
	switch {
	case hd.Exp == 0:
		return nil, invalid("token header has no exp")
	case now.After(time.Unix(hd.Exp, 0).Add(v.leeway)), pl.Exp != nil && now.After(time.Unix(*pl.Exp, 0).Add(v.leeway)):
		return nil, &signout.Error{Op: op, Kind: signout.ErrTokenExpired, Message: "token has expired"}
	case pl.Sub == "":
		return nil, invalid("token has no sub")
	}
	return &Claims{Signer: hd.Signer, Issuer: hd.Iss, Client: hd.Client, Subject: pl.Sub, Username: pl.Username,
		Email: pl.Email, Expires: time.Unix(hd.Exp, 0)}, nil
}

// The request headers a load balancer sets after signing a user in.
const (
	headerData     = "X-Amzn-Oidc-Data"
	headerAccess   = "X-Amzn-Oidc-Accesstoken"
	headerIdentity = "X-Amzn-Oidc-Identity"
)

// VerifyRequest checks a request an Application Load Balancer forwarded:
// the token in its x-amzn-oidc-data header with Verify, then the Cognito
// access token in its x-amzn-oidc-accesstoken header with the access token
// verifier given to New (signature, pool, app client, expiry, and the
// revocation store: a session signed out is refused here while the load
// balancer's own session cookie is still valid), and that both, and the
// x-amzn-oidc-identity header, name the same user of the same pool and app
// client. Each header must appear once (x-amzn-oidc-identity at most once).
// It returns the claims with Access set, or the first error, an
// *signout.Error as from Verify (signout.ErrTokenRevoked too).
func (v *Verifier) VerifyRequest(r *http.Request) (*Claims, error) {
	data, err := single(r, headerData)
	if err != nil {
		return nil, err
	}
	access, err := single(r, headerAccess)
	if err != nil {
		return nil, err
	}
	identity := r.Header.Values(headerIdentity)
	if len(identity) > 1 {
		return nil, invalid("more than one " + headerIdentity + " header")
	}
	c, err := v.Verify(r.Context(), data)
	if err != nil {
		return nil, err
	}
	ac, err := v.access.Verify(r.Context(), access)
	if err != nil {
		return nil, err
	}
	switch {
	case ac.Subject != c.Subject || len(identity) == 1 && identity[0] != c.Subject:
		return nil, invalid("the load balancer's token and the access token name different users")
	case ac.Issuer != c.Issuer || ac.ClientID != c.Client:
		return nil, invalid("the access token is not of the load balancer's user pool and app client")
	}
	c.Access = ac
	return c, nil
}

// single returns the one value of a request header.
func single(r *http.Request, name string) (string, error) {
	switch vs := r.Header.Values(name); len(vs) {
	case 0:
		return "", invalid("no " + name + " header: the request did not come through a load balancer that signed the user in")
	case 1:
		return vs[0], nil
	}
	return "", invalid("more than one " + name + " header")
}

// decodeJSON decodes one segment holding a JSON object into v.
func decodeJSON(seg string, v any) error {
	raw, err := decodeSegment(seg)
	if err != nil {
		return errors.New("not canonical base64url")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errors.New("not valid JSON of the expected types, or a name given twice")
	}
	return nil
}

// Load balancers pad their base64url segments, which JWS (RFC 7515) omits;
// both forms are read, each only in its canonical spelling (no unused bits
// set, the right count of '='), so that a token has one spelling in each.
var (
	padded   = base64.URLEncoding.Strict()
	unpadded = base64.RawURLEncoding.Strict()
)

func decodeSegment(seg string) ([]byte, error) {
	// DecodeString skips CR and LF: refuse them, as it refuses anything
	// else outside the alphabet.
	if strings.ContainsAny(seg, "\r\n") {
		return nil, errors.New("line break in segment")
	}
	if strings.HasSuffix(seg, "=") {
		return padded.DecodeString(seg)
	}
	return unpadded.DecodeString(seg)
}

// isUUID reports whether kid has the form of a load balancer's key id,
// such as 12345678-1234-1234-1234-123456789012. No other kid is fetched: a
// kid goes into the key endpoint's URL path.
func isUUID(kid string) bool {
	if len(kid) != 36 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func invalid(msg string) error {
	return &signout.Error{Op: op, Kind: signout.ErrInvalidToken, Message: msg}
}
