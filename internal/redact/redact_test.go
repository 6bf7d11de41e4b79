package redact

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
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

// A Cognito-sized access token (its signature is 342 characters) and a
// client secret with the '+' and '/' that an URL-encoded echo changes.
var (
	token        = jwt + "." + strings.Repeat("Zm9vYmFyLWJhei1xdXV4", 18)[:342]
	clientSecret = "1example23456789abcdefghijklmnop+qrstuvwxyz/ABCDEFGH"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestStringFragmentsAndEncodings(t *testing.T) {
	sig := token[strings.LastIndex(token, ".")+1:]
	tests := []struct {
		name   string
		secret string
		echo   string // what the server echoed, between "<" and ">"
		want   string // its replacement
	}{
		{"last 40 characters", token, token[len(token)-40:], Mask},
		{"most of the signature", token, sig[:len(sig)-5], Mask},
		{"60-character middle slice", token, token[200:260], Mask},
		{"16-character run", clientSecret, clientSecret[10:26], Mask},
		{"15-character run is kept", clientSecret, clientSecret[10:25], clientSecret[10:25]},
		{"upper case", token, strings.ToUpper(token), Mask},
		{"lower case", clientSecret, strings.ToLower(clientSecret), Mask},
		{"standard base64", token, b64(token), Mask},
		{"URL base64 without padding", clientSecret, base64.RawURLEncoding.EncodeToString([]byte(clientSecret)), Mask},
		{"base64 of a fragment", token, b64(token[100:160]), Mask},
		{"base64 of a fragment at another offset", token, b64(token[101:161]), Mask},
		{"hex", token, hex.EncodeToString([]byte(token)), Mask},
		{"upper-case hex of a fragment", clientSecret, strings.ToUpper(hex.EncodeToString([]byte(clientSecret[20:40]))), Mask},
		{"query escaped", clientSecret, url.QueryEscape(clientSecret), Mask},
		{"path escaped", clientSecret, url.PathEscape(clientSecret), Mask},
		{"query escaped fragment", clientSecret, url.QueryEscape(clientSecret[24:50]), Mask},
		{"short secret whole", "s3cr3t-x", "S3CR3T-X", Mask},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "echo <" + tc.echo + "> end"
			got := String(in, tc.secret)
			assert.Equal(t, "echo <"+tc.want+"> end", got)
			assert.Equal(t, tc.want == Mask, Contains(in, tc.secret), "Contains agrees with String on the input")
			assert.False(t, Contains(got, tc.secret), "nothing left for Contains to find: %q", got)
		})
	}
}

func TestStringKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"Access Token has been revoked",
		`{"__type":"NotAuthorizedException","message":"Refresh Token has been revoked"}`,
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi",
		"Post \"https://cognito-idp.eu-west-1.amazonaws.com/\": dial tcp 10.0.0.1:443: i/o timeout",
		"request id 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
	} {
		assert.Equal(t, s, String(s, token, clientSecret))
	}
}

func TestStringLongSecret(t *testing.T) {
	// A 32 KiB secret, two 64-character slices of it, in 1 MiB of text.
	secret := randomSecret(32 << 10)
	filler := strings.Repeat(". ", 1<<18)
	in := filler + secret[1000:1064] + filler + hex.EncodeToString([]byte(secret[30000:30064])) + filler
	got := String(in, secret)
	assert.Equal(t, filler+Mask+filler+Mask+filler, got)
}

// randomSecret returns n characters of base64url, the same for every run.
func randomSecret(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	r := rand.New(rand.NewChaCha8([32]byte{}))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func BenchmarkStringLongSecret(b *testing.B) {
	secret := randomSecret(32 << 10)
	msg := `{"__type":"NotAuthorizedException","message":"Invalid token ` + secret[500:600] + `"}`
	for b.Loop() {
		String(msg, secret)
	}
}

func BenchmarkStringToken(b *testing.B) {
	msg := `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`
	for b.Loop() {
		String(msg, token)
	}
}

func TestContains(t *testing.T) {
	assert.True(t, Contains("x"+jwt+"y", jwt))
	assert.True(t, Contains("sig c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU", jwt))
	assert.False(t, Contains("nothing here", jwt))
	assert.False(t, Contains("anything", ""))
	assert.False(t, Contains("x marks", "x"), "too short to be a token")
}

// echoForm returns fragment as a server might echo it, in one of several
// forms picked by form.
func echoForm(fragment string, form uint8) string {
	asciiCase := func(s string, upper bool) string {
		b := []byte(s)
		for i, c := range b {
			switch {
			case upper && 'a' <= c && c <= 'z':
				b[i] = c - 'a' + 'A'
			case !upper && 'A' <= c && c <= 'Z':
				b[i] = c - 'A' + 'a'
			}
		}
		return string(b)
	}
	switch form % 9 {
	case 1:
		return asciiCase(fragment, true)
	case 2:
		return asciiCase(fragment, false)
	case 3:
		return base64.StdEncoding.EncodeToString([]byte(fragment))
	case 4:
		return base64.RawURLEncoding.EncodeToString([]byte(fragment))
	case 5:
		return hex.EncodeToString([]byte(fragment))
	case 6:
		return strings.ToUpper(hex.EncodeToString([]byte(fragment)))
	case 7:
		return url.QueryEscape(fragment)
	case 8:
		return url.PathEscape(fragment)
	}
	return fragment
}

func FuzzString(f *testing.F) {
	f.Add("NotAuthorizedException: "+jwt, jwt, uint16(0), uint16(0), uint8(0))
	f.Add(`{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`, token, uint16(300), uint16(40), uint8(3))
	f.Add("eyJeyJeyJ...", "a.b.c", uint16(0), uint16(0), uint8(0))
	f.Add("client_secret=", clientSecret, uint16(20), uint16(12), uint8(7))
	f.Fuzz(func(t *testing.T, s, secret string, at, n uint16, form uint8) {
		if strings.ContainsAny(secret, "[]") || Contains(Mask, secret) {
			t.Skip("a secret spelled with the mask's letters can be rebuilt across it; tokens never are")
		}
		if got := String(s, secret); Contains(got, secret) {
			t.Fatalf("String(%q) kept the secret: %q", s, got)
		}
		if len(secret) < minRun {
			return
		}
		// Any slice of minRun bytes or more, in any form, is masked
		// wherever it is put.
		i := int(at) % (len(secret) - minRun + 1)
		j := i + minRun + int(n)%(len(secret)-i-minRun+1)
		echo := echoForm(secret[i:j], form)
		in := s + echo + s
		if !Contains(in, secret) {
			t.Fatalf("Contains missed %q (form %d of secret[%d:%d])", echo, form%9, i, j)
		}
		if got := String(in, secret); strings.Contains(got, echo) || Contains(got, secret) {
			t.Fatalf("String kept %q (form %d of secret[%d:%d]): %q", echo, form%9, i, j, got)
		}
	})
}
