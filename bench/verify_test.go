package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redistest"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/redisstore"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/verify"
)

const (
	poolID = "us-east-1_BenchPool"
	issuer = "https://cognito-idp.us-east-1.amazonaws.com/" + poolID
	client = "benchclient0123456789abcd"
	// distinct is how many different tokens the first-verification cases
	// cycle through before they start a fresh verifier.
	distinct = 2048
)

// benchPool is a user pool's signing key, its JWKS endpoint with a count of
// fetches, and tokens minted once for every benchmark.
type benchPool struct {
	key     *rsa.PrivateKey
	srv     *httptest.Server
	fetches atomic.Int64
	tokens  []string // distinct ID tokens
}

var pool = sync.OnceValue(func() *benchPool {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	p := &benchPool{key: key}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "kid-1", Algorithm: "RS256", Use: "sig"}}})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "kid-1"))
	if err != nil {
		panic(err)
	}
	now := time.Now().Unix()
	for i := range distinct {
		// An ID token: go-oidc checks its aud as the verifier checks it.
		payload, _ := json.Marshal(map[string]any{
			"sub": fmt.Sprintf("8f1e0a8c-3b5d-4c7e-9a1b-%012d", i), "iss": issuer, "aud": client,
			"origin_jti": fmt.Sprintf("0b7c8d9e-1f2a-4b3c-8d4e-%012d", i), "event_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
			"token_use": "id", "auth_time": now, "iat": now, "exp": now + 3600, "jti": fmt.Sprintf("3d4e5f6a-7b8c-4d9e-0f1a-%012d", i),
			"cognito:username": fmt.Sprintf("user-%d", i), "email": "user@example.com", "email_verified": true,
		})
		obj, err := signer.Sign(payload)
		if err != nil {
			panic(err)
		}
		tok, _ := obj.CompactSerialize()
		p.tokens = append(p.tokens, tok)
	}
	return p
})

func (p *benchPool) jwksURL() string { return p.srv.URL + "/" + poolID + "/.well-known/jwks.json" }

// verifier is what a benchmark times: Verify of one token.
type verifier func(ctx context.Context, token string) error

func signoutVerifier(b *testing.B, p *benchPool, store verify.RevocationStore) verifier {
	v, err := verify.New(verify.WithPool(issuer, client), verify.WithEndpoint(p.srv.URL), verify.WithTokenUse("id"),
		verify.WithRevocationStore(store), verify.WithCacheSize(distinct+1))
	if err != nil {
		b.Fatal(err)
	}
	return func(ctx context.Context, token string) error {
		_, err := v.Verify(ctx, token)
		return err
	}
}

func oidcVerifier(b *testing.B, p *benchPool) verifier {
	ctx := oidc.ClientContext(context.Background(), p.srv.Client())
	v := oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(ctx, p.jwksURL()), &oidc.Config{ClientID: client})
	return func(ctx context.Context, token string) error {
		_, err := v.Verify(ctx, token)
		return err
	}
}

// floorVerifier is the floor a verifier cannot beat: the token's RS256
// signature checked with crypto/rsa (its signature decoded, its signing
// input hashed, RSA-2048 PKCS#1 v1.5), and nothing else.
func floorVerifier(p *benchPool) verifier {
	pub := &p.key.PublicKey
	b64 := base64.RawURLEncoding.Strict()
	return func(_ context.Context, token string) error {
		dot := strings.LastIndexByte(token, '.')
		var buf [256]byte
		n, err := b64.Decode(buf[:], []byte(token[dot+1:]))
		if err != nil {
			return err
		}
		h := sha256.Sum256([]byte(token[:dot]))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], buf[:n])
	}
}

// memoryStore holds revocations of other users, so that the check looks
// through populated maps.
func memoryStore() *revocation.Store {
	s := revocation.New()
	for i := range 1000 {
		s.Revoke(context.Background(), signout.Revocation{UserPoolID: poolID, Subject: fmt.Sprint("other-", i), At: time.Now()})
	}
	return s
}

func redisStore(b *testing.B) *redisstore.Store {
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
	b.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(context.Background(), rdb)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := range 1000 {
		s.Revoke(context.Background(), signout.Revocation{UserPoolID: poolID, Subject: fmt.Sprint("other-", i), At: time.Now()})
	}
	return s
}

// BenchmarkVerify compares, on the same RS256 ID token, the floor (its
// signature checked with crypto/rsa alone), go-oidc's
// IDTokenVerifier.Verify, and verify.Verifier.Verify with a revocation check
// against the in-memory store or the Redis store. token=first verifies a
// token the verifier has not seen; token=repeated verifies one token again
// and again, as a client calling an API does (the floor and go-oidc cache
// nothing).
func BenchmarkVerify(b *testing.B) {
	p := pool()
	ctx := context.Background()
	type variant struct {
		name string
		make func(b *testing.B) verifier
	}
	variants := []variant{
		{"floor", func(b *testing.B) verifier { return floorVerifier(p) }},
		{"go-oidc", func(b *testing.B) verifier { return oidcVerifier(b, p) }},
		{"signout+memory", func(b *testing.B) verifier { return signoutVerifier(b, p, memoryStore()) }},
	}
	if _, err := exec.LookPath("redis-server"); err == nil || os.Getenv(testenv.Redis.RequireEnv) != "" {
		rs := redisStore(b)
		variants = append(variants, variant{"signout+redis", func(b *testing.B) verifier { return signoutVerifier(b, p, rs) }})
	} else {
		b.Log("redis-server is not on PATH: the signout+redis cases are left out")
	}
	for _, vr := range variants {
		b.Run("token=first/verifier="+vr.name, func(b *testing.B) {
			v := vr.make(b)
			if err := v(ctx, p.tokens[0]); err != nil { // fetches the JWKS
				b.Fatal(err)
			}
			next := 1
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if next == distinct {
					// Every token has been seen: start a verifier that has
					// seen none, with its JWKS fetched, off the clock.
					b.StopTimer()
					v = vr.make(b)
					if err := v(ctx, p.tokens[0]); err != nil {
						b.Fatal(err)
					}
					next = 1
					b.StartTimer()
				}
				if err := v(ctx, p.tokens[next]); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
		b.Run("token=repeated/verifier="+vr.name, func(b *testing.B) {
			v := vr.make(b)
			tok := p.tokens[0]
			if err := v(ctx, tok); err != nil {
				b.Fatal(err)
			}
			before := p.fetches.Load()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := v(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(p.fetches.Load()-before), "jwks-fetches")
		})
	}
}

// BenchmarkVerifyPaired times the first verification of each token by the
// floor, go-oidc and verify.Verifier in turn, token after token in one
// process, and verify.Verifier's check of a token it has seen, and reports
// each one's median time and the ratios of the medians (a sample includes
// two readings of the clock, some 50 ns). On a shared machine whose load changes by the second, times
// taken side by side compare better than runs taken apart; the medians
// leave out the samples a preemption stretched.
func BenchmarkVerifyPaired(b *testing.B) {
	p := pool()
	ctx := context.Background()
	makers := []struct {
		name string
		make func() verifier
	}{
		{"floor", func() verifier { return floorVerifier(p) }},
		{"go-oidc", func() verifier { return oidcVerifier(b, p) }},
		{"signout", func() verifier { return signoutVerifier(b, p, memoryStore()) }},
	}
	vs := make([]verifier, len(makers))
	fresh := func() {
		for i, m := range makers {
			vs[i] = m.make()
			if err := vs[i](ctx, p.tokens[0]); err != nil { // fetches the JWKS
				b.Fatal(err)
			}
		}
	}
	fresh()
	samples := make([][]time.Duration, len(vs))
	var repeated []time.Duration // signout on tokens[0], which it has seen
	next := 1
	b.ResetTimer()
	for i := range b.N {
		if next == distinct {
			b.StopTimer()
			fresh()
			next = 1
			b.StartTimer()
		}
		for k := range vs {
			j := (i + k) % len(vs) // each goes first in turn
			start := time.Now()
			err := vs[j](ctx, p.tokens[next])
			samples[j] = append(samples[j], time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		err := vs[2](ctx, p.tokens[0])
		repeated = append(repeated, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		next++
	}
	b.StopTimer()
	med := make([]float64, len(vs))
	for j, s := range samples {
		slices.Sort(s)
		med[j] = float64(s[len(s)/2].Nanoseconds())
		b.ReportMetric(med[j], makers[j].name+"-median-ns")
	}
	slices.Sort(repeated)
	b.ReportMetric(float64(repeated[len(repeated)/2].Nanoseconds()), "signout-repeated-median-ns")
	b.ReportMetric(med[2]/med[0], "signout/floor")
	b.ReportMetric(med[2]/med[1], "signout/go-oidc")
	b.ReportMetric(med[1]/med[0], "go-oidc/floor")
}
