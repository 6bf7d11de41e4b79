// Package token reads Cognito tokens locally, before anything is sent or
// trusted: their shape, their header and claims, and the issuer URL of a
// user pool in both of its forms. It reads strictly: a token is only
// base64url and two dots in canonical encoding, and claim names are
// case-sensitive and appear once (RFC 7519), so that one token has one
// meaning. It does not verify the signature; Cognito, or package verify,
// does that.
package token

import (
	"encoding/base64"
	"fmt"
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

// The kinds of problem Parse and CheckAccess report.
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

// Token is a compact JWS, read but not verified.
type Token struct {
	Alg  string   // the header's alg
	Kid  string   // the header's kid
	Crit []string // the header's crit: extensions the signer says must be understood
	// SigningInput is the part the signature covers: header.payload.
	SigningInput string
	Signature    []byte
	// Payload is the claims' JSON, for claims beyond Claims.
	Payload []byte
	Claims
}

// Claims are the claims of a Cognito token that the module reads. A claim
// of the wrong JSON type makes Parse fail; a missing one is zero.
type Claims struct {
	Issuer   string // iss, as in the token
	Pool     Issuer // iss read as a user pool's issuer; zero when it is not one
	Subject  string // sub
	TokenUse string // token_use: "access" or "id"
	// ClientID is the app client: client_id of an access token, aud of an
	// ID token.
	ClientID string
	// Username is username of an access token, cognito:username of an ID
	// token.
	Username  string
	Scope     string   // scope: space-separated; empty in ID tokens
	Groups    []string // cognito:groups
	OriginJTI string   // origin_jti: the session, kept across refreshes
	JTI       string   // jti: this token
	AuthTime  time.Time
	IssuedAt  time.Time
	NotBefore time.Time // zero without nbf
	Expiry    time.Time // zero without exp
}

// payload is the JSON of the claims.
type payload struct {
	Iss             string
	Sub             string
	TokenUse        string
	ClientID        string
	Aud             string
	Username        string
	CognitoUsername string
	Scope           string
	Groups          []string
	OriginJTI       string
	JTI             string
	AuthTime        number
	Iat             number
	Nbf             number
	Exp             number
}

// readClaims reads the claims' JSON into p.
func readClaims(data []byte, p *payload) error {
	r := reader{data: data}
	return r.object(func(name []byte) error {
		switch string(name) {
		case "iss":
			return r.string(&p.Iss)
		case "sub":
			return r.string(&p.Sub)
		case "token_use":
			return r.string(&p.TokenUse)
		case "client_id":
			return r.string(&p.ClientID)
		case "aud":
			return r.string(&p.Aud)
		case "username":
			return r.string(&p.Username)
		case "cognito:username":
			return r.string(&p.CognitoUsername)
		case "scope":
			return r.string(&p.Scope)
		case "cognito:groups":
			return r.strings(&p.Groups)
		case "origin_jti":
			return r.string(&p.OriginJTI)
		case "jti":
			return r.string(&p.JTI)
		case "auth_time":
			return r.int(&p.AuthTime)
		case "iat":
			return r.int(&p.Iat)
		case "nbf":
			return r.int(&p.Nbf)
		case "exp":
			return r.int(&p.Exp)
		}
		return r.skip()
	})
}

type header struct {
	Alg  string
	Kid  string
	Crit []string
}

// readHeader reads the header's JSON into h.
func readHeader(data []byte, h *header) error {
	r := reader{data: data}
	return r.object(func(name []byte) error {
		switch string(name) {
		case "alg":
			return r.string(&h.Alg)
		case "kid":
			return r.string(&h.Kid)
		case "crit":
			return r.strings(&h.Crit)
		}
		return r.skip()
	})
}

// CheckShape reports whether tok can be a token at all: not empty, not longer
// than MaxLen, and only base64url characters and dots. It is all the module
// checks of a refresh token, which is encrypted.
func CheckShape(tok string) error {
	if tok == "" {
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

// tokenBytes marks the bytes a token may hold: base64url and '.'.
var tokenBytes = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") {
		t[c] = true
	}
	return t
}()

// b64 decodes base64url without padding, refusing non-canonical encodings
// (unused bits set), so that a token has one spelling.
var b64 = base64.RawURLEncoding.Strict()

// Parse reads a compact JWS: three canonical base64url segments whose first
// two are JSON objects, with an alg other than none and a signature. It
// fails with an *Error of kind Invalid otherwise, or when a claim has the
// wrong type, or a claim or header name appears twice.
func Parse(tok string) (*Token, error) {
	if err := CheckShape(tok); err != nil {
		return nil, err
	}
	h, rest, ok1 := strings.Cut(tok, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, invalid("token needs 3 dot-separated segments, found %d", strings.Count(tok, ".")+1)
	}
	if s == "" {
		return nil, invalid("token is unsigned")
	}
	var hd header
	if _, err := decode(h, func(b []byte) error { return readHeader(b, &hd) }); err != nil {
		return nil, invalid("token header: %v", err)
	}
	if hd.Alg == "" || strings.EqualFold(hd.Alg, "none") {
		return nil, invalid("token header names no signing algorithm")
	}
	var pl payload
	raw, err := decode(p, func(b []byte) error { return readClaims(b, &pl) })
	if err != nil {
		return nil, invalid("token claims: %v", err)
	}
	sig, err := b64.DecodeString(s)
	if err != nil {
		return nil, invalid("token signature is not canonical base64url")
	}
	t := &Token{Alg: hd.Alg, Kid: hd.Kid, Crit: hd.Crit, SigningInput: tok[:len(h)+1+len(p)], Signature: sig, Payload: raw}
	c := &t.Claims
	*c = Claims{Issuer: pl.Iss, Subject: pl.Sub, TokenUse: pl.TokenUse, Scope: pl.Scope, Groups: pl.Groups,
		OriginJTI: pl.OriginJTI, JTI: pl.JTI, ClientID: pl.ClientID, Username: pl.Username}
	if pl.TokenUse == "id" {
		c.ClientID, c.Username = pl.Aud, pl.CognitoUsername
	}
	c.Pool, _ = ParseIssuer(pl.Iss)
	for _, f := range []struct {
		name string
		n    number
		t    *time.Time
	}{{"auth_time", pl.AuthTime, &c.AuthTime}, {"iat", pl.Iat, &c.IssuedAt}, {"nbf", pl.Nbf, &c.NotBefore}, {"exp", pl.Exp, &c.Expiry}} {
		if !f.n.set {
			continue
		}
		if f.n.v < 0 || f.n.v > 1<<40 {
			return nil, invalid("token %s claim is out of range", f.name)
		}
		*f.t = time.Unix(f.n.v, 0)
	}
	return t, nil
}

// decode reads one base64url segment holding a JSON object with read,
// and returns the JSON.
func decode(seg string, read func([]byte) error) ([]byte, error) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("not canonical base64url")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	if err := read(raw); err != nil {
		return nil, fmt.Errorf("not valid JSON of the expected types, or a name given twice")
	}
	return raw, nil
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
	case !HasWord(c.Scope, AdminScope):
		return &Error{Kind: MissingScope, Reason: "access token lacks the " + AdminScope + " scope"}
	}
	return nil
}

// HasWord reports whether the space-separated list s holds word.
func HasWord(s, word string) bool {
	for w := range strings.FieldsSeq(s) {
		if w == word {
			return true
		}
	}
	return false
}
