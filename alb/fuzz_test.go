package alb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
)

// FuzzVerify feeds Verify mutations of load balancer tokens, padded and
// not, with the key known and no fetch allowed: it must not panic, must
// return claims or a typed error that holds no part of the token, and must
// accept a token only when its signed text is one the key signed.
func FuzzVerify(f *testing.F) {
	key := newECKey()
	exp := time.Now().Add(time.Hour).Unix()
	signed := map[string]bool{}
	for _, pad := range []bool{true, false} {
		tok := sign(key, albHeader(testKid, testARN, exp), withPadding(albPayload(exp)), pad)
		signed[tok[:strings.LastIndexByte(tok, '.')]] = true
		f.Add(tok)
	}
	f.Add(sign(key, albHeader(otherKid, testARN, exp), albPayload(exp), true))
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")
	f.Add("..")
	v, err := New(accessVerifier(f), WithLoadBalancer(testARN), WithKeyEndpoint("http://127.0.0.1:1"))
	if err != nil {
		f.Fatal(err)
	}
	v.keys = newKeys(v.keys.client, rate.NewLimiter(0, 0)) // no fetch
	v.keys.mu.Lock()
	v.keys.storeLocked(keyID{"http://127.0.0.1:1", testKid}, &key.PublicKey)
	v.keys.mu.Unlock()
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if err == nil {
			if c == nil {
				t.Fatal("nil claims without an error")
			}
			if i := strings.LastIndexByte(tok, '.'); !signed[tok[:i]] {
				t.Fatalf("accepted a text the key never signed: %q", tok)
			}
			return
		}
		var se *signout.Error
		if !errors.As(err, &se) || se.Kind == nil {
			t.Fatalf("untyped error %v", err)
		}
		for _, part := range strings.Split(tok, ".") {
			if len(part) >= 16 && strings.Contains(err.Error(), part) {
				t.Fatalf("error %q holds the token", err)
			}
		}
	})
}
