package bench

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// joseClaims is what each candidate decodes: the claims a Cognito verifier
// checks, so the comparison covers the whole parse, not the signature alone.
type joseClaims struct {
	Iss       string `json:"iss"`
	Sub       string `json:"sub"`
	TokenUse  string `json:"token_use"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	OriginJTI string `json:"origin_jti"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	AuthTime  int64  `json:"auth_time"`
}

// BenchmarkJOSE compares the two candidate JOSE libraries on the job the
// verifier gives them: read the kid from the header, check the RS256
// signature with that key, decode the claims.
func BenchmarkJOSE(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	tok := mintForBench(b, key, "kid-1")
	pub := &key.PublicKey

	b.Run("lib=go-jose-v4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sig, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				b.Fatal(err)
			}
			if sig.Signatures[0].Header.KeyID != "kid-1" {
				b.Fatal("kid")
			}
			payload, err := sig.Verify(pub)
			if err != nil {
				b.Fatal(err)
			}
			var c joseClaims
			if err := json.Unmarshal(payload, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=jwx-v3-verify", func(b *testing.B) {
		set := jwk.NewSet()
		k, err := jwk.Import(pub)
		if err != nil {
			b.Fatal(err)
		}
		k.Set(jwk.KeyIDKey, "kid-1")
		k.Set(jwk.AlgorithmKey, jwa.RS256())
		set.AddKey(k)
		buf := []byte(tok)
		b.ReportAllocs()
		for b.Loop() {
			payload, err := jws.Verify(buf, jws.WithKeySet(set, jws.WithRequireKid(true)))
			if err != nil {
				b.Fatal(err)
			}
			var c joseClaims
			if err := json.Unmarshal(payload, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=jwx-v3-fast", func(b *testing.B) {
		buf := []byte(tok)
		b.ReportAllocs()
		for b.Loop() {
			hdr, _, _, err := jwsbb.SplitCompact(buf)
			if err != nil {
				b.Fatal(err)
			}
			kid, err := jwsbb.HeaderGetString(jwsbb.HeaderParseCompact(hdr), "kid")
			if err != nil || kid != "kid-1" {
				b.Fatal("kid", err)
			}
			payload, err := jws.VerifyCompactFast(pub, buf, jwa.RS256())
			if err != nil {
				b.Fatal(err)
			}
			var c joseClaims
			if err := json.Unmarshal(payload, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mintForBench(tb testing.TB, key *rsa.PrivateKey, kid string) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().Unix()
	payload, _ := json.Marshal(map[string]any{
		"sub": "8f1e0a8c-3b5d-4c7e-9a1b-2c3d4e5f6a7b", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI",
		"client_id": "1example23456789abcdefghij", "origin_jti": "0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
		"event_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "token_use": "access",
		"scope": "openid email aws.cognito.signin.user.admin", "auth_time": now, "iat": now, "exp": now + 3600,
		"jti": "3d4e5f6a-7b8c-4d9e-0f1a-2b3c4d5e6f7a", "username": "alice",
	})
	obj, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
