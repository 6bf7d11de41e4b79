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
		{"padded segments", tokenWith(goodClaims()) + "==", 0},
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
	assert.Equal(t, "eu-west-1", c.Region)
	assert.Equal(t, "eu-west-1_AbC123", c.UserPoolID)
	assert.Equal(t, "openid "+AdminScope, c.Scope)
	assert.Equal(t, now.Add(time.Hour).Unix(), c.Expiry.Unix())
	assert.Equal(t, "8c5d3a0e-4b7f-4d71-9a0c-2b1e3f4d5c6b", c.Subject)
	assert.Equal(t, "5f3e2f43-b0b5-4a4f-9c64-0c1b9bfc2b6e", c.OriginJTI)
}

func TestCheckShape(t *testing.T) {
	for _, tok := range []string{"", " ", "a b", "a\nb", "é", strings.Repeat("a", MaxLen+1)} {
		var te *Error
		require.ErrorAs(t, CheckShape(tok), &te, "%q", tok)
		assert.Equal(t, Invalid, te.Kind)
	}
	assert.NoError(t, CheckShape("eyJjdHkiOiJKV1QifQ.a-b_c.d.e=="))
}

func TestRegionAndPoolRules(t *testing.T) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "eu-isoe-west-1"} {
		assert.True(t, IsRegion(s), s)
		r, ok := PoolRegion(s + "_AbC123")
		assert.True(t, ok, s)
		assert.Equal(t, s, r)
	}
	for _, s := range []string{"", "local", "US-EAST-1", "us-east-123", "us-east-1.evil", "us-east-1/x", "useast1"} {
		assert.False(t, IsRegion(s), s)
		_, ok := PoolRegion(s + "_AbC123")
		assert.False(t, ok, s)
	}
	for _, id := range []string{"us-east-1_", "us-east-1", "us-east-1_a-b", "us-east-1_a_b", "us-east-1_" + strings.Repeat("a", 41)} {
		_, ok := PoolRegion(id)
		assert.False(t, ok, id)
	}
}

func TestParseRegionIsStrict(t *testing.T) {
	for _, iss := range []string{
		"https://cognito-idp.evil.example/x.amazonaws.com/us-east-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com.evil.example/us-east-1_a",
		"https://cognito-idp.us-east-1#.amazonaws.com/us-east-1_a",
		"https://accounts.example.com",
		"https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_abc",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a/b",
		"https://cognito-idp.US-EAST-1.amazonaws.com/US-EAST-1_a",
		"https://cognito-idp.us-east-123.amazonaws.com/us-east-123_a",
		"",
	} {
		c, err := Parse(with("iss", iss))
		require.NoError(t, err, iss)
		assert.Empty(t, c.Region, iss)
	}
	for iss, want := range map[string]string{
		"https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x9":     "cn-north-1",
		"https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Q":   "us-gov-west-1",
		"https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Z": "ap-southeast-3",
	} {
		c, err := Parse(with("iss", iss))
		require.NoError(t, err)
		assert.Equal(t, want, c.Region, iss)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tokenWith(goodClaims()))
	f.Add(with("exp", "x"))
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
		if err := c.CheckAccess(now, time.Minute); err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Check error is not *Error: %v", err)
			}
		}
		if c.Region != "" && c.Issuer != "https://cognito-idp."+c.Region+".amazonaws.com/"+c.UserPoolID &&
			c.Issuer != "https://cognito-idp."+c.Region+".amazonaws.com.cn/"+c.UserPoolID {
			t.Fatalf("region %q from issuer %q", c.Region, c.Issuer)
		}
		if strings.ContainsAny(c.Region, "/.:@#?") {
			t.Fatalf("region %q could steer the host", c.Region)
		}
	})
}

// FuzzRegionRules: IsRegion, PoolRegion and the issuer's region and pool
// accept exactly what the patterns they replaced accepted.
func FuzzRegionRules(f *testing.F) {
	const region = `[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}`
	regionRE := regexp.MustCompile(`^` + region + `$`)
	poolRE := regexp.MustCompile(`^(` + region + `)_[0-9A-Za-z]{1,40}$`)
	issuerRE := regexp.MustCompile(`^https://cognito-idp\.(` + region + `)\.amazonaws\.com(?:\.cn)?/(` + region + `_[0-9A-Za-z]{1,40})$`)
	for _, s := range []string{
		"us-east-1", "us-gov-west-1", "eu-isoe-west-12", "us-east-123", "us--east-1", "us-east-", "u-east-1", "usa-east-1",
		"us-1", "us-east-1_AbC", "us-east-1_", "us-east-1_a_b", "us-east-1_" + strings.Repeat("Z", 40), "us-east-1_" + strings.Repeat("Z", 41),
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x",
		"https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC", "https://cognito-idp.us-east-1.amazonaws.com.cn.amazonaws.com/us-east-1_a",
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a/b", "https://cognito-idp.us-east-1.amazonaws.com/", "us-east-1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assert.Equal(t, regionRE.MatchString(s), IsRegion(s), "IsRegion(%q)", s)
		var want string
		if m := poolRE.FindStringSubmatch(s); m != nil {
			want = m[1]
		}
		got, ok := PoolRegion(s)
		assert.Equal(t, want, got, "PoolRegion(%q)", s)
		assert.Equal(t, want != "", ok, "PoolRegion(%q)", s)
		var wantRegion, wantPool string
		if m := issuerRE.FindStringSubmatch(s); m != nil && strings.HasPrefix(m[2], m[1]+"_") {
			wantRegion, wantPool = m[1], m[2]
		}
		region, pool, ok := issuerPool(s)
		assert.Equal(t, [3]any{wantRegion, wantPool, wantRegion != ""}, [3]any{region, pool, ok}, "issuerPool(%q)", s)
	})
}
