package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const jwt = "eyJraWQiOiJkdW1teSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiIxMjM0NTY3ODkwIiwidG9rZW5fdXNlIjoiYWNjZXNzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"nothing to mask", "Access Token has been revoked", []string{jwt}, "Access Token has been revoked"},
		{"echoed token", "NotAuthorizedException: " + jwt, []string{jwt}, "NotAuthorizedException: " + Mask},
		{"jwt shaped without secret", "bad token " + jwt + " here", nil, "bad token " + Mask + " here"},
		{"opaque secret", "refresh 3f2a-opaque-token rejected", []string{"3f2a-opaque-token"}, "refresh " + Mask + " rejected"},
		{"signature alone", "sig c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU echoed", []string{jwt}, "sig " + Mask + " echoed"},
		{"header fragment", "truncated eyJraWQiOiJkdW1t", nil, "truncated " + Mask},
		{"empty secret ignored", "keep me", []string{""}, "keep me"},
		{"short secret ignored", "/nonexistent.pem", []string{"x"}, "/nonexistent.pem"},
		{"hostnames kept", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", nil, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"},
		{"json echo", `{"message":"` + jwt + `"}`, []string{jwt}, `{"message":"` + Mask + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := String(tc.in, tc.secrets...)
			assert.Equal(t, tc.want, got)
			for _, s := range tc.secrets {
				assert.False(t, Contains(got, s), "secret survived: %q", got)
			}
		})
	}
}

func TestContains(t *testing.T) {
	assert.True(t, Contains("x"+jwt+"y", jwt))
	assert.True(t, Contains("sig c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU", jwt))
	assert.False(t, Contains("nothing here", jwt))
	assert.False(t, Contains("anything", ""))
	assert.False(t, Contains("x marks", "x"), "too short to be a token")
}

func FuzzString(f *testing.F) {
	f.Add("NotAuthorizedException: "+jwt, jwt)
	f.Add(`{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`, jwt)
	f.Add("eyJeyJeyJ...", "a.b.c")
	f.Fuzz(func(t *testing.T, s, secret string) {
		if strings.ContainsAny(secret, "[]") {
			t.Skip("a secret spelled with the mask's brackets can be rebuilt across it; tokens never are")
		}
		got := String(s, secret)
		if Contains(got, secret) && !Contains(Mask, secret) {
			t.Fatalf("String(%q) kept the secret: %q", s, got)
		}
	})
}
