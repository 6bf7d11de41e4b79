package alb

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testARN   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"
	otherARN  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef"
	testIss   = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example"
	testKid   = "3f2b7a52-6c1e-4f0e-9d3a-2b8c5e7f1a90"
	otherKid  = "00000000-1111-2222-3333-444444444444"
	testAlice = "9f1c2d3e-0000-4000-8000-000000000001"
)

// keyServer is a load balancer's key endpoint: PEM keys by kid, a count of
// requests, and a handler tests may replace.
type keyServer struct {
	*httptest.Server
	requests atomic.Int32

	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey
	handler http.HandlerFunc // when set, answers instead
}

func newKeyServer(t testing.TB) *keyServer {
	ks := &keyServer{keys: map[string]*ecdsa.PrivateKey{testKid: newECKey()}}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.requests.Add(1)
		ks.mu.Lock()
		h, key := ks.handler, ks.keys[strings.TrimPrefix(r.URL.Path, "/")]
		ks.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		if key == nil {
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		w.Write(publicPEM(&key.PublicKey))
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) key(kid string) *ecdsa.PrivateKey {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.keys[kid]
}

func (ks *keyServer) setHandler(h http.HandlerFunc) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.handler = h
}

func newECKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func publicPEM(pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// sign makes a token of the exact header and payload JSON given, signed
// with key in ES256 over the segments as encoded: padded as load balancers
// send them, or not.
func sign(key *ecdsa.PrivateKey, header, payload string, pad bool) string {
	enc := base64.RawURLEncoding
	if pad {
		enc = base64.URLEncoding
	}
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	digest := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig)
}

func albHeader(kid, signer string, exp int64) string {
	return fmt.Sprintf(`{"typ":"JWT","kid":%q,"alg":"ES256","iss":%q,"client":"client1","signer":%q,"exp":%d}`, kid, testIss, signer, exp)
}

func albPayload(exp int64) string {
	return fmt.Sprintf(`{"sub":%q,"email_verified":"true","email":"alice@example.com","username":"alice","exp":%d,"iss":%q}`, testAlice, exp, testIss)
}

// accessVerifier is a verifier for a pool no test token comes from: the
// tests of Verify never reach it.
func accessVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	v, err := verify.New(verify.WithPool(testIss, "client1"))
	require.NoError(t, err)
	return v
}

func newVerifier(t *testing.T, ks *keyServer, opts ...Option) *Verifier {
	t.Helper()
	v, err := New(accessVerifier(t), append([]Option{WithLoadBalancer(testARN), WithKeyEndpoint(ks.URL)}, opts...)...)
	require.NoError(t, err)
	return v
}

func TestVerifyAcceptsPaddedAndUnpadded(t *testing.T) {
	ks := newKeyServer(t)
	v := newVerifier(t, ks)
	exp := time.Now().Add(time.Minute).Unix()
	for _, pad := range []bool{true, false} {
		tok := sign(ks.key(testKid), albHeader(testKid, testARN, exp), withPadding(albPayload(exp)), pad)
		require.Equal(t, pad, strings.Contains(tok, "=."), "padded: %v", pad)
		c, err := v.Verify(context.Background(), tok)
		require.NoError(t, err, "padded: %v", pad)
		assert.Equal(t, &Claims{Signer: testARN, Issuer: testIss, Client: "client1", Subject: testAlice, Username: "alice",
			Email: "alice@example.com", Expires: time.Unix(exp, 0)}, c)
	}
	assert.EqualValues(t, 1, ks.requests.Load(), "the key is fetched once")
}

func TestVerifyRefuses(t *testing.T) {
	ks := newKeyServer(t)
	v := newVerifier(t, ks)
	key := ks.key(testKid)
	now := time.Now()
	exp := now.Add(time.Minute).Unix()
	past := now.Add(-time.Minute).Unix()
	good := sign(key, albHeader(testKid, testARN, exp), withPadding(albPayload(exp)), true)
	h, p, s := split(good)
	require.True(t, strings.HasSuffix(p, "="), "the payload is padded")
	hRaw, pRaw := strings.TrimRight(h, "="), strings.TrimRight(p, "=")
	alg := func(a string) string {
		return sign(key, strings.Replace(albHeader(testKid, testARN, exp), "ES256", a, 1), albPayload(exp), true)
	}
	derSig := func() string {
		digest := sha256.Sum256([]byte(h + "." + p))
		der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		require.NoError(t, err)
		return h + "." + p + "." + base64.URLEncoding.EncodeToString(der)
	}
	tests := []struct {
		name    string
		token   string
		kind    error
		fetches int32 // key requests the token may cause
	}{
		{"empty", "", signout.ErrInvalidToken, 0},
		{"oversized", strings.Repeat("a", maxDataSize+1), signout.ErrInvalidToken, 0},
		{"two segments", h + "." + p, signout.ErrInvalidToken, 0},
		{"four segments", good + ".x", signout.ErrInvalidToken, 0},
		{"RS256", alg("RS256"), signout.ErrInvalidToken, 0},
		{"HS256", alg("HS256"), signout.ErrInvalidToken, 0},
		{"none", alg("none"), signout.ErrInvalidToken, 0},
		{"ES384", alg("ES384"), signout.ErrInvalidToken, 0},
		{"es256 in lower case", alg("es256"), signout.ErrInvalidToken, 0},
		{"another load balancer", sign(key, albHeader(testKid, otherARN, exp), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"signer differing in case", sign(key, albHeader(testKid, strings.ToUpper(testARN), exp), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"kid not a UUID", sign(key, albHeader("../../evil", testARN, exp), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"no kid", sign(key, strings.Replace(albHeader(testKid, testARN, exp), `"kid"`, `"x-kid"`, 1), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"crit", sign(key, strings.Replace(albHeader(testKid, testARN, exp), `{`, `{"crit":["b64"],"b64":false,`, 1), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"header name twice", sign(key, strings.Replace(albHeader(testKid, testARN, exp), `{`, `{"signer":"x",`, 1), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"signer in another case", sign(key, strings.Replace(albHeader(testKid, otherARN, exp), `}`, fmt.Sprintf(`,"Signer":%q}`, testARN), 1), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"exp a string", sign(key, strings.Replace(albHeader(testKid, testARN, exp), fmt.Sprint(exp), `"`+fmt.Sprint(exp)+`"`, 1), albPayload(exp), true), signout.ErrInvalidToken, 0},
		{"claim name twice", sign(key, albHeader(testKid, testARN, exp), strings.Replace(albPayload(exp), `{`, `{"sub":"mallory",`, 1), true), signout.ErrInvalidToken, 0},
		{"header not JSON", base64.URLEncoding.EncodeToString([]byte("nope")) + "." + p + "." + s, signout.ErrInvalidToken, 0},
		{"CR in header", h[:4] + "\r\n" + h[4:] + "." + p + "." + s, signout.ErrInvalidToken, 0},
		{"standard base64 alphabet", h + "." + p[:1] + "/" + p[2:] + "." + "+" + s[1:], signout.ErrInvalidToken, 0},
		{"non-canonical last character", h + "." + p + "." + strings.TrimSuffix(s, "==")[:85] + "B==", signout.ErrInvalidToken, 0},
		{"wrong padding", h + "=." + p + "." + s, signout.ErrInvalidToken, 0},
		{"DER signature", derSig(), signout.ErrInvalidToken, 0},
		{"padding stripped: the signed text changes", hRaw + "." + pRaw + "." + s, signout.ErrInvalidToken, 1},
		{"unknown kid", sign(key, albHeader(otherKid, testARN, exp), albPayload(exp), true), signout.ErrInvalidToken, 1},
		{"signed by another key", sign(newECKey(), albHeader(testKid, testARN, exp), albPayload(exp), true), signout.ErrInvalidToken, 1},
		{"payload swapped", h + "." + base64.URLEncoding.EncodeToString([]byte(strings.Replace(albPayload(exp), "alice", "admin", 1))) + "." + s, signout.ErrInvalidToken, 1},
		{"no exp", sign(key, strings.Replace(albHeader(testKid, testARN, exp), `"exp"`, `"x-exp"`, 1), albPayload(exp), true), signout.ErrInvalidToken, 1},
		{"expired", sign(key, albHeader(testKid, testARN, past), albPayload(exp), true), signout.ErrTokenExpired, 1},
		{"expired in the payload", sign(key, albHeader(testKid, testARN, exp), albPayload(past), true), signout.ErrTokenExpired, 1},
		{"no sub", sign(key, albHeader(testKid, testARN, exp), strings.Replace(albPayload(exp), `"sub"`, `"SUB"`, 1), true), signout.ErrInvalidToken, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ks.requests.Store(0)
			v.keys = newKeys(v.keys.client, rate.NewLimiter(rate.Inf, 1)) // forget the key: count what each token makes fetch
			c, err := v.Verify(context.Background(), tc.token)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, tc.kind)
			assert.ErrorIs(t, err, signout.ErrNotAuthorized)
			assert.Equal(t, tc.fetches, ks.requests.Load(), "key requests")
			if tc.token != "" {
				assertNoToken(t, err, tc.token)
			}
		})
	}
}

// assertNoToken checks that no part of token is in err, however printed.
func assertNoToken(t *testing.T, err error, token string) {
	t.Helper()
	for _, f := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(f, err)
		for _, part := range strings.Split(token, ".") {
			if len(part) >= 16 {
				assert.NotContains(t, out, part[:16], f)
			}
		}
	}
}

// withPadding adds spaces after the JSON of s until its base64 needs padding.
func withPadding(s string) string {
	for len(s)%3 == 0 {
		s += " "
	}
	return s
}

func split(tok string) (h, p, s string) {
	parts := strings.Split(tok, ".")
	return parts[0], parts[1], parts[2]
}

func TestVerifyLeeway(t *testing.T) {
	ks := newKeyServer(t)
	exp := time.Now().Add(-20 * time.Second).Unix()
	tok := sign(ks.key(testKid), albHeader(testKid, testARN, exp), albPayload(exp), true)
	_, err := newVerifier(t, ks).Verify(context.Background(), tok)
	assert.NoError(t, err, "within the default 30 s")
	_, err = newVerifier(t, ks, WithLeeway(10*time.Second)).Verify(context.Background(), tok)
	assert.ErrorIs(t, err, signout.ErrTokenExpired)
}

func TestVerifyStandInTokens(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	lb := signouttest.NewALB(srv, http.NotFoundHandler())
	t.Cleanup(lb.Close)
	v, err := New(accessVerifier(t), WithLoadBalancer(lb.ARN), WithKeyEndpoint(lb.KeyURL))
	require.NoError(t, err)
	tokens := srv.SignIn("alice")
	h := lb.Headers(tokens)
	require.Contains(t, h.Get("X-Amzn-Oidc-Data"), "=.", "the stand-in pads as load balancers do")
	c, err := v.Verify(context.Background(), h.Get("X-Amzn-Oidc-Data"))
	require.NoError(t, err)
	assert.Equal(t, "alice", c.Username)
	assert.Equal(t, h.Get("X-Amzn-Oidc-Identity"), c.Subject)
	assert.Equal(t, srv.Issuer, c.Issuer)
	assert.Equal(t, srv.ClientID, c.Client)
	assert.Equal(t, lb.ARN, c.Signer)

	lb.RotateKey()
	_, err = v.Verify(context.Background(), lb.Headers(tokens).Get("X-Amzn-Oidc-Data"))
	require.NoError(t, err, "a new kid is fetched")
	_, err = v.Verify(context.Background(), h.Get("X-Amzn-Oidc-Data"))
	require.NoError(t, err, "the old kid is still known")
	assert.Equal(t, 2, lb.KeyRequests())
}

func TestNewRefusesInvalidOptions(t *testing.T) {
	access := accessVerifier(t)
	tests := []struct {
		name   string
		access *verify.Verifier
		opts   []Option
		op     string
	}{
		{"no load balancer", access, nil, "WithLoadBalancer"},
		{"nil access verifier", nil, []Option{WithLoadBalancer(testARN)}, "New"},
		{"not an ARN", access, []Option{WithLoadBalancer("my-alb")}, "WithLoadBalancer"},
		{"a network load balancer", access, []Option{WithLoadBalancer(strings.Replace(testARN, "/app/", "/net/", 1))}, "WithLoadBalancer"},
		{"a target group", access, []Option{WithLoadBalancer("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/50dc6c495c0c9188")}, "WithLoadBalancer"},
		{"no documented key endpoint", access, []Option{WithLoadBalancer(strings.Replace(strings.Replace(testARN, "arn:aws:", "arn:aws-cn:", 1), "us-east-1", "cn-north-1", 1))}, "WithKeyEndpoint"},
		{"key endpoint not a URL", access, []Option{WithLoadBalancer(testARN), WithKeyEndpoint("public-keys.example")}, "WithKeyEndpoint"},
		{"key endpoint with a query", access, []Option{WithLoadBalancer(testARN), WithKeyEndpoint("https://keys.example/?x=1")}, "WithKeyEndpoint"},
		{"nil HTTP client", access, []Option{WithLoadBalancer(testARN), WithHTTPClient(nil)}, "WithHTTPClient"},
		{"negative leeway", access, []Option{WithLoadBalancer(testARN), WithLeeway(-time.Second)}, "WithLeeway"},
		{"leeway over 5 minutes", access, []Option{WithLoadBalancer(testARN), WithLeeway(6 * time.Minute)}, "WithLeeway"},
		{"zero fetch interval", access, []Option{WithLoadBalancer(testARN), WithFetchInterval(0)}, "WithFetchInterval"},
		{"bad cookie name", access, []Option{WithLoadBalancer(testARN), WithSessionCookie("a b")}, "WithSessionCookie"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.access, tc.opts...)
			assert.Nil(t, v)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			var se *signout.Error
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.op, se.Op)
		})
	}
}

func TestKeyEndpointByPartition(t *testing.T) {
	for arn, want := range map[string]string{
		testARN: "https://public-keys.auth.elb.us-east-1.amazonaws.com",
		"arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:loadbalancer/app/a/50dc6c495c0c9188":       "https://public-keys.auth.elb.ap-southeast-2.amazonaws.com",
		"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/50dc6c495c0c9188": "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1",
		"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/50dc6c495c0c9188":        "",
		"arn:aws-iso:elasticloadbalancing:us-iso-east-1:123456789012:loadbalancer/app/a/50dc6c495c0c9188":    "",
		"arn:aws:elasticloadbalancing:il-central-1:123456789012:loadbalancer/app/my-alb-1/0123456789abcdef":  "https://public-keys.auth.elb.il-central-1.amazonaws.com",
	} {
		require.Regexp(t, arnPattern, arn)
		assert.Equal(t, want, keyEndpoint(arn), arn)
	}
}
