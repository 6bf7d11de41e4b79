// Package redact keeps secrets (tokens, client secrets) out of what leaves
// the library: String masks them in text bound for an error string, a log
// line or a program's output; Error makes a copy of an SDK error chain with
// no secret and nothing live in it; Find is the tests' proof that a value
// holds no secret anywhere.
package redact

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces every secret that String removes.
const Mask = "[REDACTED]"

// minRun is the length of the shortest run copied from a secret, or from
// one of its encodings, that String masks: long enough that ordinary text
// never matches a random token by chance, short enough that a slice of a
// token too short to matter is all that can survive.
const minRun = 16

// minSecret is the shortest secret masked at all. A shorter one is no
// token, and masking it would garble unrelated text: a secret "x" would
// mask every letter x.
const minSecret = 8

// jwtLike matches anything shaped like a JWS or JWE compact token, or a run of
// one: every JWT header is base64url JSON and so begins with "eyJ".
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{6,}(\.[A-Za-z0-9_\-]*)*`)

// String returns s with Mask in place of every JWT-shaped run and of every
// run of 16 or more characters copied from one of secrets, whether in the
// secret's own letters or in any letter case, standard or URL base64, hex,
// or URL query or path escaping. A secret shorter than 16 characters is
// masked where it occurs whole, in the same forms; one shorter than 8 is
// ignored. String returns s itself when there is nothing to mask.
//
// Its cost is linear in the length of s and of the secrets: it is meant
// for error and log paths, not for every request.
func String(s string, secrets ...string) string {
	return newMatcher(secrets).redact(s)
}

// redact is String with the secrets' matcher built.
func (m *matcher) redact(s string) string {
	spans := m.spans(s)
	if strings.Contains(s, "eyJ") {
		for _, loc := range jwtLike.FindAllStringIndex(s, -1) {
			spans = append(spans, span{loc[0], loc[1]})
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var out strings.Builder
	last := 0
	for _, sp := range merge(spans) {
		out.WriteString(s[last:sp.start])
		out.WriteString(Mask)
		last = sp.end
	}
	out.WriteString(s[last:])
	return out.String()
}

// Contains reports whether String would mask anything of secret in s. It is
// the check tests use to prove that nothing leaked.
func Contains(s, secret string) bool {
	return newMatcher([]string{secret}).contains(s)
}

// span is the half-open range [start, end) of bytes of a text.
type span struct{ start, end int }

// merge joins the overlapping or touching spans of sorted.
func merge(sorted []span) []span {
	out := sorted[:1]
	for _, sp := range sorted[1:] {
		if last := &out[len(out)-1]; sp.start <= last.end {
			last.end = max(last.end, sp.end)
		} else {
			out = append(out, sp)
		}
	}
	return out
}

// matcher finds text copied from a set of secrets. It holds every window
// of minRun bytes (or the whole, for a shorter form) of every form of every
// secret, letter case folded, keyed by the windows' length; a text matches
// where one of its windows is in the set.
type matcher struct {
	windows map[int]map[string]struct{}
}

func newMatcher(secrets []string) *matcher {
	var all []string
	for _, secret := range secrets {
		if len(secret) < minSecret {
			continue
		}
		for _, form := range forms(secret) {
			if len(form) >= minSecret && !slices.Contains(all, form) {
				all = append(all, form)
			}
		}
	}
	sizes := map[int]int{}
	for _, form := range all {
		n := min(minRun, len(form))
		sizes[n] += len(form) - n + 1
	}
	m := &matcher{windows: make(map[int]map[string]struct{}, len(sizes))}
	for n, size := range sizes {
		m.windows[n] = make(map[string]struct{}, size)
	}
	for _, form := range all {
		form = fold(form)
		n := min(minRun, len(form))
		for i := 0; i+n <= len(form); i++ {
			m.windows[n][form[i:i+n]] = struct{}{}
		}
	}
	return m
}

// forms returns secret as a server may echo it: as it is, hex encoded, URL
// escaped for a query and for a path, and base64 encoded from each of its
// first three bytes (the encoding of any slice of it then lines up with one
// of them). Matching folds letter case, which covers upper and lower case,
// and the two base64 alphabets together; padding is in no window that a
// run without it needs.
func forms(secret string) []string {
	b := []byte(secret)
	out := []string{secret, hex.EncodeToString(b), url.QueryEscape(secret), url.PathEscape(secret)}
	for i := range min(3, len(b)) {
		out = append(out, base64.StdEncoding.EncodeToString(b[i:]))
	}
	return out
}

// spans returns the merged spans of s that match, in order.
func (m *matcher) spans(s string) []span {
	var out []span
	if len(m.windows) == 0 {
		return nil
	}
	f := fold(s)
	for n, set := range m.windows {
		for i := 0; i+n <= len(f); i++ {
			if _, ok := set[f[i:i+n]]; ok {
				out = append(out, span{i, i + n})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	return merge(out)
}

// contains reports whether any window of s matches.
func (m *matcher) contains(s string) bool {
	if len(m.windows) == 0 {
		return false
	}
	f := fold(s)
	for n, set := range m.windows {
		for i := 0; i+n <= len(f); i++ {
			if _, ok := set[f[i:i+n]]; ok {
				return true
			}
		}
	}
	return false
}

// fold returns s with ASCII letters in lower case and the standard base64
// alphabet's '+' and '/' as the URL alphabet's '-' and '_', byte for byte,
// so that offsets in it are offsets in s.
func fold(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '+':
			b[i] = '-'
		case c == '/':
			b[i] = '_'
		}
	}
	return string(b)
}
