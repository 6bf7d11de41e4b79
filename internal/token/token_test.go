package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var now = time.Unix(1_800_000_000, 0)

func seg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenWith(claims map[string]any) string {
	return seg(map[string]any{"alg": "RS256", "kid": "k1"}) + "." + seg(claims) + ".c2ln"
}

// rawToken is a token whose claims are exactly payload.
func rawToken(payload string) string {
	return seg(map[string]any{"alg": "RS256", "kid": "k1"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

// rawHeader is a good token under exactly header.
func rawHeader(header string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + seg(goodClaims()) + ".c2ln"
}

// nonCanonical spells tok's claims with unused bits set in their last
// character, where a lax decoder reads the same bytes.
func nonCanonical(tok string) string {
	parts := strings.Split(tok, ".")
	p := parts[1]
	if len(p)%4 == 0 {
		panic("claims segment needs unused bits")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, p[len(p)-1])
	parts[1] = p[:len(p)-1] + string(alphabet[i|1])
	if parts[1] == p {
		parts[1] = p[:len(p)-1] + string(alphabet[i+1])
	}
	return strings.Join(parts, ".")
}

func goodClaims() map[string]any {
	return map[string]any{
		"iss":        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
		"token_use":  "access",
		"scope":      "openid aws.cognito.signin.user.admin",
		"client_id":  "client1",
		"username":   "alice",
		"sub":        "8c5d3a0e-4b7f-4d71-9a0c-2b1e3f4d5c6b",
		"origin_jti": "5f3e2f43-b0b5-4a4f-9c64-0c1b9bfc2b6e",
		"exp":        now.Add(time.Hour).Unix(),
	}
}

func with(key string, v any) string {
	c := goodClaims()
	if v == nil {
		delete(c, key)
	} else {
		c[key] = v
	}
	return tokenWith(c)
}

func TestParseAndCheck(t *testing.T) {
	tests := []struct {
		name string
		tok  string
		kind Kind // 0: accepted
	}{
		{"valid", tokenWith(goodClaims()), 0},
		{"empty", "", Invalid},
		{"blank", "  \t", Invalid},
		{"two segments", "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ", Invalid},
		{"four segments", tokenWith(goodClaims()) + ".x", Invalid},
		{"unsigned", strings.TrimSuffix(tokenWith(goodClaims()), "c2ln"), Invalid},
		{"alg none", seg(map[string]any{"alg": "none"}) + "." + seg(goodClaims()) + ".c2ln", Invalid},
		{"newline", tokenWith(goodClaims()) + "\n", Invalid},
		{"control char", "eyJh\x00.b.c", Invalid},
		{"space inside", "eyJh bGc.b.c", Invalid},
		{"non ascii", "eyJh\u00e9.b.c", Invalid},
		{"not base64", "eyJ!.b.c", Invalid},
		{"payload not json", seg(map[string]any{"alg": "RS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte("hello")) + ".c2ln", Invalid},
		{"payload json array", seg(map[string]any{"alg": "RS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c2ln", Invalid},
		{"absurd length", strings.Repeat("a", MaxLen+1), Invalid},
		{"id token", with("token_use", "id"), Invalid},
		{"no token_use", with("token_use", nil), Invalid},
		{"exp as string", with("exp", "soon"), Invalid},
		{"exp huge", with("exp", 1e300), Invalid},
		{"scope as number", with("scope", 7), Invalid},
		{"no exp", with("exp", nil), Invalid},
		{"expired beyond leeway", with("exp", now.Add(-10*time.Minute).Unix()), Expired},
		{"expired within leeway", with("exp", now.Add(-30*time.Second).Unix()), 0},
		{"no admin scope", with("scope", "openid email"), MissingScope},
		{"no scope", with("scope", nil), MissingScope},
		{"scope as a longer word", with("scope", AdminScope+".extra openid"), MissingScope},
		{"scope as a prefix", with("scope", "x"+AdminScope), MissingScope},
		{"scope first", with("scope", AdminScope+" openid"), 0},
		{"scope after a near miss", with("scope", AdminScope+"x "+AdminScope), 0},
		{"padded segments", tokenWith(goodClaims()) + "==", Invalid},
		{"CR LF inside", strings.Replace(tokenWith(goodClaims()), ".", ".\r\n", 1), Invalid},
		{"signature canonical", strings.TrimSuffix(tokenWith(goodClaims()), "c2ln") + "c2k", 0},
		{"signature not canonical", strings.TrimSuffix(tokenWith(goodClaims()), "c2ln") + "c2l", Invalid},
		{"claims not canonical", nonCanonical(tokenWith(goodClaims())), Invalid},
		{"token_use twice", rawToken(`{"token_use":"id","scope":"aws.cognito.signin.user.admin","exp":1900000000,"token_use":"access"}`), Invalid},
		{"exp twice", rawToken(`{"token_use":"access","scope":"aws.cognito.signin.user.admin","exp":1,"exp":1900000000}`), Invalid},
		{"Token_Use does not stand for token_use", rawToken(`{"token_use":"id","scope":"aws.cognito.signin.user.admin","exp":1900000000,"Token_Use":"access"}`), Invalid},
		{"EXP does not stand for exp", rawToken(`{"token_use":"access","scope":"aws.cognito.signin.user.admin","exp":1,"EXP":1900000000}`), Expired},
		{"SCOPE does not stand for scope", rawToken(`{"token_use":"access","scope":"openid","exp":1900000000,"SCOPE":"aws.cognito.signin.user.admin"}`), MissingScope},
		{"exp not an integer", with("exp", 1.5), Invalid},
		{"header kid twice", rawHeader(`{"alg":"RS256","kid":"a","kid":"b"}`), Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.tok)
			if err == nil {
				err = c.CheckAccess(now, time.Minute)
			}
			if tc.kind == 0 {
				require.NoError(t, err)
				return
			}
			var te *Error
			require.True(t, errors.As(err, &te), "want *Error, got %v", err)
			assert.Equal(t, tc.kind, te.Kind, te.Reason)
			if len(tc.tok) > 8 {
				assert.NotContains(t, te.Reason, tc.tok)
			}
		})
	}
}

func TestParseClaims(t *testing.T) {
	c, err := Parse(tokenWith(goodClaims()))
	require.NoError(t, err)
	assert.Equal(t, Issuer{Region: "eu-west-1", PoolID: "eu-west-1_AbC123"}, c.Pool)
	assert.Equal(t, "client1", c.ClientID)
	assert.Equal(t, "alice", c.Username)
	assert.Equal(t, "openid "+AdminScope, c.Scope)
	assert.Equal(t, now.Add(time.Hour).Unix(), c.Expiry.Unix())
	assert.Equal(t, "8c5d3a0e-4b7f-4d71-9a0c-2b1e3f4d5c6b", c.Subject)
	assert.Equal(t, "5f3e2f43-b0b5-4a4f-9c64-0c1b9bfc2b6e", c.OriginJTI)
}

func TestCheckShape(t *testing.T) {
	for _, tok := range []string{"", " ", "a b", "a\nb", "é", "a=", strings.Repeat("a", MaxLen+1)} {
		var te *Error
		require.ErrorAs(t, CheckShape(tok), &te, "%q", tok)
		assert.Equal(t, Invalid, te.Kind)
	}
	assert.NoError(t, CheckShape("eyJjdHkiOiJKV1QifQ.a-b_c.d.e.f"))
}

func TestRegionAndPoolRules(t *testing.T) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "eu-isoe-west-1"} {
		assert.True(t, IsRegion(s), s)
		r, ok := PoolRegion(s + "_AbC123")
		assert.True(t, ok, s)
		assert.Equal(t, s, r)
	}
	for _, s := range []string{"", "local", "US-EAST-1", "us-east-123", "us-east-1.evil", "us-east-1/x", "useast1", "us--1", "u-east-1", "us-east-"} {
		assert.False(t, IsRegion(s), s)
		_, ok := PoolRegion(s + "_AbC123")
		assert.False(t, ok, s)
	}
	// Cognito's API pattern for a pool id: [\w-]+_[0-9a-zA-Z]+, at most 55.
	for _, id := range []string{"us-east-1_AbC123", "local_pool1", "us-east-1_a_b", "a_b", "x-y_0"} {
		assert.True(t, IsPoolID(id), id)
	}
	for _, id := range []string{"", "us-east-1_", "_abc", "us-east-1", "us-east-1_a-b", "us-east-1_a.b", "us.east_1", "us-east-1_a/b",
		"us-east-1_" + strings.Repeat("a", 46)} {
		assert.False(t, IsPoolID(id), id)
	}
}

func TestParseIssuer(t *testing.T) {
	for iss, want := range map[string]Issuer{
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC":           {Region: "us-east-1", PoolID: "us-east-1_AbC"},
		"https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC":    {Region: "us-east-1", PoolID: "us-east-1_AbC", Updated: true},
		"https://cognito-idp.us-west-2.amazonaws.com/us-east-1_AbC":           {Region: "us-west-2", PoolID: "us-east-1_AbC"},
		"https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x9":       {Region: "cn-north-1", PoolID: "cn-north-1_x9"},
		"https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x": {Region: "cn-north-1", PoolID: "cn-north-1_x", Updated: true},
		"https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Q":     {Region: "us-gov-west-1", PoolID: "us-gov-west-1_Q"},
	} {
		got, ok := ParseIssuer(iss)
		require.True(t, ok, iss)
		assert.Equal(t, want, got, iss)
		assert.Equal(t, iss, got.String(), "String gives the URL back")
		c, err := Parse(with("iss", iss))
		require.NoError(t, err)
		assert.Equal(t, want, c.Pool, iss)
	}
	for _, iss := range []string{
		"https://cognito-idp.evil.example/x.amazonaws.com/us-east-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com.evil.example/us-east-1_a",
		"https://cognito-idp.us-east-1#.amazonaws.com/us-east-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com:443/us-east-1_a",
		"https://user@cognito-idp.us-east-1.amazonaws.com/us-east-1_a",
		"https://accounts.example.com",
		"http://cognito-idp.us-east-1.amazonaws.com/us-east-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a/b",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a?x",
		"https://cognito-idp.US-EAST-1.amazonaws.com/US-EAST-1_a",
		"https://cognito-idp.us-east-123.amazonaws.com/us-east-123_a",
		"https://cognito-idp.cn-north-1.amazonaws.com/cn-north-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com.cn/us-east-1_a",
		"https://issuer-cognito-idp.issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_a",
		"https://x.issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_a",
		"",
	} {
		_, ok := ParseIssuer(iss)
		assert.False(t, ok, iss)
		c, err := Parse(with("iss", iss))
		require.NoError(t, err, iss)
		assert.Zero(t, c.Pool, iss)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tokenWith(goodClaims()))
	f.Add(with("exp", "x"))
	f.Add(with("iss", "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC"))
	f.Add(rawToken(`{"token_use":"access","token_use":"id"}`))
	f.Add("eyJ.eyJ.x")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Parse(tok)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Kind != Invalid {
				t.Fatalf("Parse error is not an Invalid *Error: %v", err)
			}
			if len(tok) > 3 && strings.Contains(te.Reason, tok) {
				t.Fatalf("reason quotes the token")
			}
			return
		}
		if c.SigningInput+"."+base64.RawURLEncoding.EncodeToString(c.Signature) != tok {
			t.Fatalf("a parsed token has one spelling: %q", tok)
		}
		if err := c.CheckAccess(now, time.Minute); err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Check error is not *Error: %v", err)
			}
		}
		if c.Pool != (Issuer{}) && c.Pool.String() != c.Issuer {
			t.Fatalf("pool %+v from issuer %q", c.Pool, c.Issuer)
		}
		if strings.ContainsAny(c.Pool.Region+c.Pool.PoolID, "/.:@#?") {
			t.Fatalf("issuer %+v could steer the host", c.Pool)
		}
	})
}

// FuzzRegionRules: IsRegion and IsPoolID, loops rather than patterns
// compiled at every start, accept exactly what the patterns accept: the
// region rule, and Cognito's API pattern for a pool id.
func FuzzRegionRules(f *testing.F) {
	regionRE := regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$`)
	poolRE := regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	for _, s := range []string{
		"us-east-1", "us-gov-west-1", "eu-isoe-west-12", "us-east-123", "us--east-1", "us-east-", "u-east-1", "usa-east-1",
		"us-1", "us-east-1_AbC", "us-east-1_", "us-east-1_a_b", "_a", "a_", "a-_b", "us-east-1_" + strings.Repeat("Z", 45),
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "us-east-1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assert.Equal(t, regionRE.MatchString(s), IsRegion(s), "IsRegion(%q)", s)
		assert.Equal(t, poolRE.MatchString(s) && len(s) <= 55, IsPoolID(s), "IsPoolID(%q)", s)
		if i, ok := ParseIssuer(s); ok {
			assert.Equal(t, s, i.String(), "an issuer has one spelling")
		}
	})
}
