// Package token inspects a Cognito access token locally, before any request
// is sent: its shape, its claims, its expiry and its scope. It does not verify
// the signature; Cognito does that when it receives the token.
package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxLen is the longest token accepted. Cognito access tokens are one to a few
// KiB; even one listing many groups stays well below this.
const MaxLen = 32 << 10

// AdminScope is the scope GlobalSignOut requires.
const AdminScope = "aws.cognito.signin.user.admin"

// Kind says what is wrong with a token.
type Kind int

// The kinds of problem Check and Parse report.
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

// Claims are the parts of an access token the library uses.
type Claims struct {
	Issuer     string
	Region     string // from Issuer; empty when Issuer is not a Cognito user pool
	UserPoolID string // from Issuer
	TokenUse   string
	Scope      string    // space-separated, as in the token
	Expiry     time.Time // zero when the token has no exp claim
}

// payload holds the claims Parse reads; a claim of the wrong JSON type is an
// error, never a panic.
type payload struct {
	Iss      string   `json:"iss"`
	TokenUse string   `json:"token_use"`
	Scope    string   `json:"scope"`
	Exp      *float64 `json:"exp"`
}

type header struct {
	Alg string `json:"alg"`
}

// issuerPrefix and issuerHost frame a user pool issuer, such as
// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCd.
const (
	issuerPrefix = "https://cognito-idp."
	issuerHost   = ".amazonaws.com"
)

// parseIssuer returns the region and pool id of a user pool issuer, or
// empty strings. The region is strict so that a crafted token cannot steer
// the request to another host.
func parseIssuer(iss string) (region, pool string) {
	rest, ok := strings.CutPrefix(iss, issuerPrefix)
	if !ok {
		return "", ""
	}
	region, rest, ok = strings.Cut(rest, issuerHost)
	if !ok || !isRegion(region) {
		return "", ""
	}
	rest = strings.TrimPrefix(rest, ".cn")
	pool, ok = strings.CutPrefix(rest, "/")
	if !ok {
		return "", ""
	}
	poolRegion, id, ok := strings.Cut(pool, "_")
	if !ok || poolRegion != region || id == "" || !isAlnum(id) {
		return "", ""
	}
	return region, pool
}

// isRegion accepts names such as us-east-1 and us-gov-west-1: two letters,
// one or more lowercase words, and a number of one or two digits.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	last := parts[len(parts)-1]
	if len(last) < 1 || len(last) > 2 {
		return false
	}
	for _, c := range []byte(last) {
		if c < '0' || c > '9' {
			return false
		}
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if c < 'a' || c > 'z' {
				return false
			}
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Parse decodes tok's header and claims. It fails with an *Error of kind
// Invalid when tok is empty, too long, holds characters outside base64url, is
// not three segments, or does not decode to JSON objects.
func Parse(tok string) (*Claims, error) {
	if strings.TrimSpace(tok) == "" {
		return nil, invalid("access token is empty")
	}
	if len(tok) > MaxLen {
		return nil, invalid("access token is %d bytes, longer than the %d allowed", len(tok), MaxLen)
	}
	for i := 0; i < len(tok); i++ {
		if !tokenBytes[tok[i]] {
			return nil, invalid("access token has a character outside base64url at byte %d", i)
		}
	}
	h, rest, _ := strings.Cut(tok, ".")
	p, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") {
		return nil, invalid("access token needs 3 dot-separated segments, found %d", strings.Count(tok, ".")+1)
	}
	if sig == "" {
		return nil, invalid("access token is unsigned")
	}
	var hdr header
	if err := decodeSegment(h, &hdr); err != nil {
		return nil, invalid("access token header: %v", err)
	}
	if hdr.Alg == "" || strings.EqualFold(hdr.Alg, "none") {
		return nil, invalid("access token header names no signing algorithm")
	}
	var pl payload
	if err := decodePayload(p, &pl); err != nil {
		return nil, invalid("access token claims: %v", err)
	}
	c := &Claims{
		Issuer:   pl.Iss,
		TokenUse: pl.TokenUse,
		Scope:    pl.Scope,
	}
	c.Region, c.UserPoolID = parseIssuer(pl.Iss)
	if pl.Exp != nil {
		exp := *pl.Exp
		if math.IsNaN(exp) || exp < 0 || exp > 1<<40 {
			return nil, invalid("access token exp claim is out of range")
		}
		c.Expiry = time.Unix(int64(exp), 0)
	}
	return c, nil
}

// Check reports whether c may be sent to GlobalSignOut at time now: it must
// be an access token with AdminScope and an exp no more than leeway in the
// past. Leeway keeps clock skew from skipping a sign-out Cognito would accept.
func Check(c *Claims, now time.Time, leeway time.Duration) error {
	if c.TokenUse != "access" {
		if c.TokenUse == "" {
			return invalid("token has no token_use claim; want an access token")
		}
		return invalid("token_use is %q; want an access token", c.TokenUse)
	}
	if c.Expiry.IsZero() {
		return invalid("access token has no exp claim")
	}
	if now.Sub(c.Expiry) > leeway {
		return &Error{Kind: Expired, Reason: fmt.Sprintf("access token expired at %s", c.Expiry.UTC().Format(time.RFC3339))}
	}
	if !hasWord(c.Scope, AdminScope) {
		return &Error{Kind: MissingScope, Reason: "access token lacks the " + AdminScope + " scope"}
	}
	return nil
}

// hasWord reports whether the space-separated list s holds word, without
// splitting it.
func hasWord(s, word string) bool {
	for len(s) > 0 {
		i := strings.Index(s, word)
		if i < 0 {
			return false
		}
		end := i + len(word)
		if (i == 0 || s[i-1] == ' ') && (end == len(s) || s[end] == ' ') {
			return true
		}
		s = s[end:]
	}
	return false
}

// tokenBytes marks the bytes a token may hold: base64url, '.' and padding.
var tokenBytes = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=") {
		t[c] = true
	}
	return t
}()

// decodePayload decodes the claims segment with scanClaims, into a stack
// buffer when the segment is of ordinary size.
func decodePayload(seg string, p *payload) error {
	seg = strings.TrimRight(seg, "=")
	var buf [2048]byte
	dst := buf[:]
	if n := base64.RawURLEncoding.DecodedLen(len(seg)); n > len(buf) {
		dst = make([]byte, n)
	}
	n, err := base64.RawURLEncoding.Decode(dst, []byte(seg))
	if err != nil {
		return fmt.Errorf("not base64url")
	}
	return scanClaims(dst[:n], p)
}

func decodeSegment(seg string, v any) error {
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

// CheckOpaque checks a token the library does not parse, such as a refresh
// token (an encrypted JWE): it must be non-empty, base64url with dots, and
// not absurdly long. Its *Error is of kind Invalid.
func CheckOpaque(tok string) error {
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
