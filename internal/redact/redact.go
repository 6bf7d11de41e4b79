// Package redact removes secrets from text before the text reaches an error
// string, a log line or a program's output.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces every secret that String removes.
const Mask = "[REDACTED]"

// minPart is the shortest dot-separated part of a secret that is masked on its
// own: long enough to be token material, short enough to catch a signature
// echoed without its header.
const minPart = 16

// minSecret is the shortest secret masked wherever it occurs. A shorter one
// is no token (every real token is JWT-shaped and far longer), and masking
// it would garble unrelated text: a token "x" would mask every letter x.
const minSecret = 8

// jwtLike matches anything shaped like a JWS or JWE compact token, or a run of
// one: every JWT header is base64url JSON and so begins with "eyJ".
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{6,}(\.[A-Za-z0-9_\-]*)*`)

// String returns s with every JWT-shaped run, every occurrence of each
// secret of minSecret bytes or more and every long dot-separated part of a
// secret replaced by Mask. It returns s itself when there is nothing to mask.
func String(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) < minSecret {
			continue
		}
		s = strings.ReplaceAll(s, secret, Mask)
		if strings.Contains(secret, ".") {
			for part := range strings.SplitSeq(secret, ".") {
				if len(part) >= minPart {
					s = strings.ReplaceAll(s, part, Mask)
				}
			}
		}
	}
	if strings.Contains(s, "eyJ") {
		s = jwtLike.ReplaceAllString(s, Mask)
	}
	return s
}

// Contains reports whether s holds secret, or any part of it that String
// would mask. It is the check tests use to prove that nothing leaked.
func Contains(s, secret string) bool {
	if len(secret) < minSecret {
		return false
	}
	if strings.Contains(s, secret) {
		return true
	}
	for part := range strings.SplitSeq(secret, ".") {
		if len(part) >= minPart && strings.Contains(s, part) {
			return true
		}
	}
	return false
}
