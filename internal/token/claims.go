package token

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// errClaims is returned for a payload scanClaims cannot read.
var errClaims = errors.New("not valid JSON of the expected types")

// scanClaims fills p from a JSON object in one pass, skipping the values it
// does not need. It reads every valid JSON object exactly as json.Unmarshal
// into a payload would (FuzzScanClaims holds it to that), at a fraction of
// the cost; malformed JSON may get past it, and Cognito then refuses the
// token. Like encoding/json it matches keys case-insensitively, lets the
// last duplicate win, ignores null, and fails on a value of the wrong type.
func scanClaims(b []byte, p *payload) error {
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return errClaims
	}
	s.space()
	if s.eat('}') {
		return s.end()
	}
	var typeErr error
	for {
		s.space()
		key, ok := s.key()
		if !ok {
			return errClaims
		}
		s.space()
		if !s.eat(':') {
			return errClaims
		}
		s.space()
		var err error
		switch {
		case keyIs(key, "iss"):
			err = s.stringInto(&p.Iss)
		case keyIs(key, "token_use"):
			err = s.stringInto(&p.TokenUse)
		case keyIs(key, "scope"):
			err = s.stringInto(&p.Scope)
		case keyIs(key, "exp"):
			err = s.numberInto(&p.Exp)
		default:
			err = s.skip()
		}
		if err == errType {
			typeErr = errClaims // like encoding/json: finish, then fail
		} else if err != nil {
			return err
		}
		s.space()
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			return errClaims
		}
		if err := s.end(); err != nil {
			return err
		}
		return typeErr
	}
}

// errType marks a well-formed value of the wrong JSON type.
var errType = errors.New("wrong type")

type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) end() error {
	s.space()
	if s.i != len(s.b) {
		return errClaims
	}
	return nil
}

// key reads an object key: the raw bytes when plain ASCII, else decoded.
func (s *scanner) key() ([]byte, bool) {
	raw, plain, ok := s.rawStr()
	if !ok || plain {
		return raw, ok
	}
	v, ok := unquote(raw)
	return []byte(v), ok
}

// keyIs matches a key as encoding/json matches a field name: exactly, or
// else case-insensitively.
func keyIs(key []byte, name string) bool {
	return string(key) == name || strings.EqualFold(string(key), name)
}

// str reads a JSON string. The fast path takes plain ASCII as it is; escapes
// and other bytes go through encoding/json, which decodes them exactly.
func (s *scanner) str() (string, bool) {
	raw, plain, ok := s.rawStr()
	if !ok {
		return "", false
	}
	if plain {
		return string(raw), true
	}
	return unquote(raw)
}

// rawStr reads a JSON string and returns what stands between its quotes,
// and whether that is plain ASCII with no escapes.
func (s *scanner) rawStr() (raw []byte, plain, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	plain = true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], plain, true
		case c == '\\':
			plain = false
			s.i += 2
		case c < 0x20:
			return nil, false, false
		default:
			if c >= 0x80 {
				plain = false
			}
			s.i++
		}
	}
	return nil, false, false
}

// unquote decodes the inside of a JSON string with encoding/json.
func unquote(inner []byte) (string, bool) {
	lit := make([]byte, 0, len(inner)+2)
	lit = append(append(append(lit, '"'), inner...), '"')
	var v string
	if json.Unmarshal(lit, &v) != nil {
		return "", false
	}
	return v, true
}

func (s *scanner) stringInto(dst *string) error {
	if s.literal("null") {
		return nil
	}
	if s.i < len(s.b) && s.b[s.i] == '"' {
		v, ok := s.str()
		if !ok {
			return errClaims
		}
		*dst = v
		return nil
	}
	if err := s.skip(); err != nil {
		return err
	}
	return errType
}

func (s *scanner) numberInto(dst **float64) error {
	if s.literal("null") {
		*dst = nil
		return nil
	}
	start := s.i
	for s.i < len(s.b) && strings.IndexByte("0123456789+-.eE", s.b[s.i]) >= 0 {
		s.i++
	}
	if s.i == start {
		if err := s.skip(); err != nil {
			return err
		}
		return errType
	}
	if !validNumber(s.b[start:s.i]) {
		return errClaims
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil {
		return errType // out of range for float64, as encoding/json says
	}
	*dst = &f
	return nil
}

func (s *scanner) literal(word string) bool {
	if strings.HasPrefix(string(s.b[s.i:min(len(s.b), s.i+len(word))]), word) {
		s.i += len(word)
		return true
	}
	return false
}

// skip passes over one value of any type, nested or not.
func (s *scanner) skip() error {
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, _, ok := s.rawStr(); !ok {
				return errClaims
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return nil
			}
			depth--
			s.i++
		case ',':
			if depth == 0 {
				return nil
			}
			s.i++
		default:
			s.i++
		}
	}
	if depth != 0 {
		return errClaims
	}
	return nil
}

// validNumber checks JSON's number grammar, which ParseFloat is looser than.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}
