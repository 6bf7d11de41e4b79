// Package token reads a Cognito token locally, before anything is sent: its
// shape, its claims, and whether an access token may still sign a user out.
// It does not verify the signature; Cognito, or package verify, does that.
package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxLen is the longest token accepted. Cognito's tokens are one to a few
// KiB; even an access token listing many groups stays well below this.
const MaxLen = 32 << 10

// AdminScope is the scope GlobalSignOut requires.
const AdminScope = "aws.cognito.signin.user.admin"

// Kind says what is wrong with a token.
type Kind int

// The kinds of problem Parse and Check report.
const (
	Invalid      Kind = iota + 1 // malformed, or not an access token
	Expired                      // past its exp claim by more than the leeway
	MissingScope                 // lacks AdminScope
)

// Error is a problem found in a token. Reason never quotes the token.
type Error struct {
	Kind   Kind
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func invalid(format string, args ...any) *Error {
	return &Error{Kind: Invalid, Reason: fmt.Sprintf(format, args...)}
}

// IsRegion reports whether s is an AWS region name, such as us-east-1 or
// us-gov-west-1: two lower-case letters, one or more dash-separated words of
// lower-case letters, and a dash and one or two digits. It is strict so that
// a crafted token cannot steer a request to another host through the region
// taken from its issuer. Loops rather than regular expressions keep this
// package's start free of their compilation.
func IsRegion(s string) bool {
	first, rest, _ := strings.Cut(s, "-")
	i := strings.LastIndexByte(rest, '-')
	if len(first) != 2 || !all(first, isLower) || i < 0 {
		return false
	}
	words, n := rest[:i], rest[i+1:]
	for w := range strings.SplitSeq(words, "-") {
		if w == "" || !all(w, isLower) {
			return false
		}
	}
	return len(n) >= 1 && len(n) <= 2 && all(n, isDigit)
}

// PoolRegion returns the region of a user pool id, its region, an
// underscore and 1 to 40 letters or digits; false when id is not one.
func PoolRegion(id string) (string, bool) {
	region, suffix, _ := strings.Cut(id, "_")
	if !IsRegion(region) || len(suffix) < 1 || len(suffix) > 40 || !all(suffix, isAlnum) {
		return "", false
	}
	return region, true
}

// issuerPool returns the region and pool id of a user pool's issuer, as in
// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCd (or
// .amazonaws.com.cn), where both name the same region; false otherwise.
func issuerPool(iss string) (region, pool string, ok bool) {
	rest, ok := strings.CutPrefix(iss, "https://cognito-idp.")
	if !ok {
		return "", "", false
	}
	host, pool, _ := strings.Cut(rest, "/")
	region, ok = strings.CutSuffix(host, ".amazonaws.com.cn")
	if !ok {
		region, ok = strings.CutSuffix(host, ".amazonaws.com")
	}
	if r, poolOK := PoolRegion(pool); !ok || !poolOK || r != region {
		return "", "", false
	}
	return region, pool, true
}

func all(s string, is func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !is(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isDigit(c) || 'A' <= c && c <= 'Z' }

// Claims are the parts of a token the library uses.
type Claims struct {
	Issuer     string
	Region     string // from Issuer; empty when Issuer is not a Cognito user pool
	UserPoolID string // from Issuer
	Subject    string
	OriginJTI  string
	TokenUse   string
	Scope      string    // space-separated, as in the token
	Expiry     time.Time // zero when the token has no exp claim
}

// payload holds the claims Parse reads. A claim of the wrong JSON type makes
// Unmarshal fail, never a panic.
type payload struct {
	Iss       string   `json:"iss"`
	Sub       string   `json:"sub"`
	OriginJTI string   `json:"origin_jti"`
	TokenUse  string   `json:"token_use"`
	Scope     string   `json:"scope"`
	Exp       *float64 `json:"exp"`
}

type header struct {
	Alg string `json:"alg"`
}

// CheckShape reports whether tok can be a token at all: not empty, not longer
// than MaxLen, and only base64url characters, dots and padding. It is all the
// library checks of a refresh token, which is encrypted.
func CheckShape(tok string) error {
	if strings.TrimSpace(tok) == "" {
		return invalid("token is empty")
	}
	if len(tok) > MaxLen {
		return invalid("token is %d bytes, longer than the %d allowed", len(tok), MaxLen)
	}
	for i := 0; i < len(tok); i++ {
		if !tokenBytes[tok[i]] {
			return invalid("token has a character outside base64url at byte %d", i)
		}
	}
	return nil
}

// tokenBytes marks the bytes a token may hold: base64url, '.' and padding.
var tokenBytes = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=") {
		t[c] = true
	}
	return t
}()

// Parse decodes a signed JWT's header and claims. It fails with an *Error of
// kind Invalid when tok fails CheckShape, is not three segments, is unsigned,
// or does not decode to JSON objects with claims of the expected types.
func Parse(tok string) (*Claims, error) {
	if err := CheckShape(tok); err != nil {
		return nil, err
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalid("token needs 3 dot-separated segments, found %d", len(parts))
	}
	if parts[2] == "" {
		return nil, invalid("token is unsigned")
	}
	var h header
	if err := decode(parts[0], &h); err != nil {
		return nil, invalid("token header: %v", err)
	}
	if h.Alg == "" || strings.EqualFold(h.Alg, "none") {
		return nil, invalid("token header names no signing algorithm")
	}
	var p payload
	if err := decode(parts[1], &p); err != nil {
		return nil, invalid("token claims: %v", err)
	}
	c := &Claims{
		Issuer:    p.Iss,
		Subject:   p.Sub,
		OriginJTI: p.OriginJTI,
		TokenUse:  p.TokenUse,
		Scope:     p.Scope,
	}
	if region, pool, ok := issuerPool(p.Iss); ok {
		c.Region, c.UserPoolID = region, pool
	}
	if p.Exp != nil {
		exp := *p.Exp
		if math.IsNaN(exp) || exp < 0 || exp > 1<<40 {
			return nil, invalid("token exp claim is out of range")
		}
		c.Expiry = time.Unix(int64(exp), 0)
	}
	return c, nil
}

// decode reads one base64url segment holding a JSON object into v.
func decode(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("not base64url")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("not a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("not valid JSON of the expected types")
	}
	return nil
}

// CheckAccess reports whether c may be sent to GlobalSignOut at time now: an
// access token with AdminScope and an exp no more than leeway in the past.
// The leeway keeps clock skew from skipping a sign-out Cognito would accept.
func (c *Claims) CheckAccess(now time.Time, leeway time.Duration) error {
	switch {
	case c.TokenUse == "":
		return invalid("token has no token_use claim; want an access token")
	case c.TokenUse != "access":
		return invalid("token_use is %q; want an access token", c.TokenUse)
	case c.Expiry.IsZero():
		return invalid("access token has no exp claim")
	case now.Sub(c.Expiry) > leeway:
		return &Error{Kind: Expired, Reason: "access token expired at " + c.Expiry.UTC().Format(time.RFC3339)}
	case !hasWord(c.Scope, AdminScope):
		return &Error{Kind: MissingScope, Reason: "access token lacks the " + AdminScope + " scope"}
	}
	return nil
}

// hasWord reports whether the space-separated list s holds word.
func hasWord(s, word string) bool {
	for w := range strings.FieldsSeq(s) {
		if w == word {
			return true
		}
	}
	return false
}
