package token

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reads the two JSON objects of a token, its header and its
// claims, straight into their fields. It exists for speed: with go-jose's
// json, the strict decoder used before, verify's first check of a token
// took 1.36 to 1.41 times a bare RSA check of its signature, against a goal
// of 1.3; with this reader, 1.13 to 1.16 (BENCHMARKS.md). It reads as
// strictly: the input must be one valid JSON object (RFC 8259), member
// names are matched exactly and may not repeat, a known member of the wrong
// type is an error, and null leaves a member unset, as encoding/json does.
// Strings are unescaped as encoding/json unescapes them, invalid UTF-8 and
// lone surrogates becoming U+FFFD. FuzzReader holds it to go-jose's json on
// arbitrary input.

var errSyntax = errors.New("not valid JSON")

// reader walks one JSON text.
type reader struct {
	data []byte
	i    int
}

func (r *reader) space() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end (a
// NUL byte in the input is a syntax error wherever next is asked).
func (r *reader) next() byte {
	r.space()
	if r.i < len(r.data) {
		return r.data[r.i]
	}
	return 0
}

// object reads one JSON object filling the whole input, calling member for
// each member with its name, the reader then standing at its value, which
// member must read. A name seen before is an error. The name is valid
// only during the call: names are compared as bytes, without a copy.
func (r *reader) object(member func(name []byte) error) error {
	if r.next() != '{' {
		return errSyntax
	}
	r.i++
	var seen [24][]byte
	names := seen[:0]
	if r.next() == '}' {
		r.i++
	} else {
		for {
			if r.next() != '"' {
				return errSyntax
			}
			name, err := r.strBytes()
			if err != nil {
				return err
			}
			for _, n := range names {
				if string(n) == string(name) {
					return errors.New("a name given twice")
				}
			}
			names = append(names, name)
			if r.next() != ':' {
				return errSyntax
			}
			r.i++
			r.space()
			if err := member(name); err != nil {
				return err
			}
			c := r.next()
			r.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return errSyntax
			}
		}
	}
	if r.space(); r.i != len(r.data) {
		return errSyntax
	}
	return nil
}

// null reports whether the value is null, and reads it if so.
func (r *reader) null() bool {
	if len(r.data)-r.i >= 4 && string(r.data[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// string reads a string value into *s; null leaves *s as it is.
func (r *reader) string(s *string) error {
	if r.null() {
		return nil
	}
	if r.i >= len(r.data) || r.data[r.i] != '"' {
		return errType
	}
	v, err := r.str()
	*s = v
	return err
}

var errType = errors.New("a claim of the wrong type")

// number is an integer claim; set is false when it is not given or null.
type number struct {
	v   int64
	set bool
}

// int reads an integer value into *n; null leaves it unset.
func (r *reader) int(n *number) error {
	if r.null() {
		*n = number{}
		return nil
	}
	start := r.i
	if err := r.number(); err != nil {
		if start == r.i {
			return errType // not a number at all
		}
		return err
	}
	v, err := strconv.ParseInt(string(r.data[start:r.i]), 10, 64)
	if err != nil {
		return errType // a fraction, an exponent, or out of range
	}
	*n = number{v, true}
	return nil
}

// strings reads an array of strings into *list; null leaves it nil.
func (r *reader) strings(list *[]string) error {
	if r.null() {
		*list = nil
		return nil
	}
	if r.i >= len(r.data) || r.data[r.i] != '[' {
		return errType
	}
	r.i++
	l := []string{}
	if r.next() == ']' {
		r.i++
		*list = l
		return nil
	}
	for {
		r.space()
		var s string
		if r.null() {
			s = "" // encoding/json leaves a null element zero
		} else {
			if r.next() != '"' {
				if err := r.skip(); err != nil {
					return err
				}
				return errType
			}
			var err error
			if s, err = r.str(); err != nil {
				return err
			}
		}
		l = append(l, s)
		c := r.next()
		r.i++
		if c == ']' {
			*list = l
			return nil
		}
		if c != ',' {
			return errSyntax
		}
	}
}

// skip reads any one value, checking its syntax.
func (r *reader) skip() error {
	switch c := r.next(); {
	case c == '"':
		_, err := r.strBytes()
		return err
	case c == '{':
		r.i++
		if r.next() == '}' {
			r.i++
			return nil
		}
		for {
			if r.next() != '"' {
				return errSyntax
			}
			if _, err := r.strBytes(); err != nil {
				return err
			}
			if r.next() != ':' {
				return errSyntax
			}
			r.i++
			if err := r.skip(); err != nil {
				return err
			}
			c := r.next()
			r.i++
			if c == '}' {
				return nil
			}
			if c != ',' {
				return errSyntax
			}
		}
	case c == '[':
		r.i++
		if r.next() == ']' {
			r.i++
			return nil
		}
		for {
			if err := r.skip(); err != nil {
				return err
			}
			c := r.next()
			r.i++
			if c == ']' {
				return nil
			}
			if c != ',' {
				return errSyntax
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(r.data)-r.i >= len(lit) && string(r.data[r.i:r.i+len(lit)]) == lit {
				r.i += len(lit)
				return nil
			}
		}
		return errSyntax
	}
}

// number reads a number as RFC 8259 spells it.
func (r *reader) number() error {
	d := r.data
	if r.i < len(d) && d[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(d) && d[r.i] == '0':
		r.i++
	case r.i < len(d) && d[r.i] >= '1' && d[r.i] <= '9':
		r.digits()
	default:
		return errSyntax
	}
	if r.i < len(d) && d[r.i] == '.' {
		r.i++
		if !r.digits() {
			return errSyntax
		}
	}
	if r.i < len(d) && (d[r.i] == 'e' || d[r.i] == 'E') {
		r.i++
		if r.i < len(d) && (d[r.i] == '+' || d[r.i] == '-') {
			r.i++
		}
		if !r.digits() {
			return errSyntax
		}
	}
	return nil
}

func (r *reader) digits() bool {
	start := r.i
	for r.i < len(r.data) && r.data[r.i] >= '0' && r.data[r.i] <= '9' {
		r.i++
	}
	return r.i > start
}

// str reads a string, the reader standing at its opening quote, and
// returns it unescaped.
func (r *reader) str() (string, error) {
	b, err := r.strBytes()
	return string(b), err
}

// strBytes is str returning bytes, which alias the input when the string
// holds no escape and no byte outside ASCII.
func (r *reader) strBytes() ([]byte, error) {
	r.i++
	start := r.i
	for r.i < len(r.data) {
		c := r.data[r.i]
		switch {
		case c == '"':
			r.i++
			return r.data[start : r.i-1], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return r.slowStr(start)
		}
		r.i++
	}
	return nil, errSyntax
}

// slowStr reads the rest of a string that holds escapes or non-ASCII.
func (r *reader) slowStr(start int) ([]byte, error) {
	buf := make([]byte, 0, r.i-start+16)
	buf = append(buf, r.data[start:r.i]...)
	d := r.data
	for r.i < len(d) {
		c := d[r.i]
		switch {
		case c == '"':
			r.i++
			return buf, nil
		case c < 0x20:
			return nil, errSyntax
		case c == '\\':
			if r.i+1 >= len(d) {
				return nil, errSyntax
			}
			r.i += 2
			switch e := d[r.i-1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				u, ok := r.hex4()
				if !ok {
					return nil, errSyntax
				}
				rn := rune(u)
				if utf16.IsSurrogate(rn) {
					rn = utf8.RuneError
					// A high surrogate followed by \uDC00-\uDFFF is one
					// rune; anything else leaves U+FFFD for the first.
					if r.i+1 < len(d) && d[r.i] == '\\' && d[r.i+1] == 'u' {
						save := r.i
						r.i += 2
						u2, ok := r.hex4()
						if !ok {
							return nil, errSyntax
						}
						if dec := utf16.DecodeRune(rune(u), rune(u2)); dec != utf8.RuneError {
							rn = dec
						} else {
							r.i = save
						}
					}
				}
				buf = utf8.AppendRune(buf, rn)
			default:
				return nil, errSyntax
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			r.i++
		default:
			rn, size := utf8.DecodeRune(d[r.i:])
			r.i += size
			buf = utf8.AppendRune(buf, rn)
		}
	}
	return nil, errSyntax
}

func (r *reader) hex4() (int, bool) {
	if r.i+4 > len(r.data) {
		return 0, false
	}
	v := 0
	for _, c := range r.data[r.i : r.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | int(c)
	}
	r.i += 4
	return v, true
}
