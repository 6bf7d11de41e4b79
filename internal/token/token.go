// Package token inspects a Cognito access token locally, before any request
// is sent: its shape, its claims, its expiry and its scope. It does not verify
// the signature; Cognito does that when it receives the token.
package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
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
	Scopes     []string
	ClientID   string
	Username   string
	Expiry     time.Time // zero when the token has no exp claim
}

// payload is decoded with typed fields so that a claim of the wrong JSON type
// is an error, never a panic.
type payload struct {
	Iss      string   `json:"iss"`
	TokenUse string   `json:"token_use"`
	Scope    string   `json:"scope"`
	ClientID string   `json:"client_id"`
	Username string   `json:"username"`
	Exp      *float64 `json:"exp"`
}

type header struct {
	Alg string `json:"alg"`
}

// issuerRE matches a user pool issuer, such as
// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCd. The region is
// strict so that a crafted token cannot steer the request to another host.
var issuerRE = regexp.MustCompile(`^https://cognito-idp\.([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})\.amazonaws\.com(?:\.cn)?/([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}_[0-9A-Za-z]+)$`)

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
		if !isTokenByte(tok[i]) {
			return nil, invalid("access token has a character outside base64url at byte %d", i)
		}
	}
	h, rest, _ := strings.Cut(tok, ".")
	p, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") {
		return nil, invalid("access token has %d segments, want 3", strings.Count(tok, ".")+1)
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
	if err := decodeSegment(p, &pl); err != nil {
		return nil, invalid("access token claims: %v", err)
	}
	c := &Claims{
		Issuer:   pl.Iss,
		TokenUse: pl.TokenUse,
		Scopes:   strings.Fields(pl.Scope),
		ClientID: pl.ClientID,
		Username: pl.Username,
	}
	if m := issuerRE.FindStringSubmatch(pl.Iss); m != nil {
		c.Region, c.UserPoolID = m[1], m[2]
	}
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
	if !slices.Contains(c.Scopes, AdminScope) {
		return &Error{Kind: MissingScope, Reason: "access token lacks the " + AdminScope + " scope"}
	}
	return nil
}

func isTokenByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.' || b == '='
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
