package verify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cognitogo/signout"
)

// FuzzVerify feeds arbitrary tokens to the parse path. Whatever the input,
// Verify must not panic, must fail with one of the library's kinds, and must
// not quote the input in its error.
func FuzzVerify(f *testing.F) {
	p := newTestPool(f)
	clk := newClock()
	valid := p.mint(f, p.claims(clk.Now()))
	parts := strings.Split(valid, ".")
	f.Add(valid)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".e30." + parts[2])
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJIUzI1NiIsImtpZCI6ImtpZC1hIn0." + parts[1] + "." + parts[2])
	f.Add("..")
	f.Add(`{"payload":"e30","signatures":[]}`)
	v, err := New(WithPool(p.issuer, p.client), WithEndpoint(p.srv.URL), WithCacheSize(16))
	if err != nil {
		f.Fatal(err)
	}
	v.now = clk.Now
	kinds := []error{signout.ErrInvalidToken, signout.ErrTokenExpired, signout.ErrMissingScope, signout.ErrTokenRevoked}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err == nil {
			if c == nil || c.Issuer != p.issuer || c.ClientID != p.client {
				t.Fatalf("accepted a token with claims %+v", c)
			}
			return
		}
		var se *signout.Error
		if !errors.As(err, &se) {
			t.Fatalf("error %T is not *signout.Error", err)
		}
		known := false
		for _, k := range kinds {
			known = known || se.Kind == k
		}
		if !known {
			t.Fatalf("unexpected kind %v", se.Kind)
		}
		if len(token) >= 8 && strings.Contains(err.Error(), token) {
			t.Fatal("error quotes the token")
		}
	})
}
