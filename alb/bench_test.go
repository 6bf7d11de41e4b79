package alb

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"
	"time"
)

// BenchmarkFirstVerification compares Verify of a load balancer's token,
// whose key is known, with its floor: a bare ES256 verification of the
// same token with crypto/ecdsa (SHA-256 of the signed text and
// ecdsa.Verify, with r and s decoded beforehand). The Verifier keeps no
// verified tokens: every verification is a first one.
//
//	go test -run '^$' -bench FirstVerification -benchmem -count 6 ./alb/ | tee new.txt
//	benchstat -col /of new.txt
func BenchmarkFirstVerification(b *testing.B) {
	ks := newKeyServer(b)
	v, err := New(accessVerifier(b), WithLoadBalancer(testARN), WithKeyEndpoint(ks.URL))
	if err != nil {
		b.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	tok := sign(ks.key(testKid), albHeader(testKid, testARN, exp), albPayload(exp), true)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("of=floor", func(b *testing.B) {
		i := strings.LastIndexByte(tok, '.')
		sig, err := decodeSegment(tok[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		pub := &ks.key(testKid).PublicKey
		b.ReportAllocs()
		for b.Loop() {
			digest := sha256.Sum256([]byte(tok[:i]))
			if !ecdsa.Verify(pub, digest[:], r, s) {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("of=verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
