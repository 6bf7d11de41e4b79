package redact

import (
	"reflect"
	"strconv"
)

// Find returns the path to the first place in v, or in anything reachable
// from it, that holds one of secrets as Contains would find it, such as
// `(*smithy.OperationError).Err.(*http.ResponseError).RequestID`, or ""
// when there is none; the path's map keys are masked. It is the tests' proof that a returned value (an error
// above all) holds no secret, however it is printed or unwrapped.
//
// Find walks by reflection what a dumper such as go-spew would print:
// pointers, interfaces, struct fields (unexported ones too), slices,
// arrays, and map keys and values, each value once (cycles end). It reads
// strings and byte slices and arrays. It cannot look inside a func (such
// as an *http.Request's GetBody) or a channel, and it does not read inside
// a struct guarded by a lock or atomics (a connection, a transport's pool,
// a context), which other goroutines may be changing: a value that must
// hold no secret must hold none of these either, as Error's copies don't.
// The rest of v must not change while Find runs.
func Find(v any, secrets ...string) string {
	m := newMatcher(secrets)
	w := &walker{
		stop:    func(rv reflect.Value) bool { t, ok := text(rv); return ok && m.contains(t) },
		secrets: secrets,
	}
	rv := reflect.ValueOf(v)
	path, ok := w.walk(rv)
	if !ok {
		return ""
	}
	return "(" + rv.Type().String() + ")" + path
}

// walker looks for a value for which stop is true, through everything a
// value reaches.
type walker struct {
	stop    func(reflect.Value) bool // a found value is not walked into
	secrets []string                 // masked in the map keys of a path
	seen    map[visit]bool
}

// visit is a pointer, map or slice already walked.
type visit struct {
	ptr uintptr
	typ reflect.Type
	len int
}

// walk reports whether stop is true of v or of anything it reaches, and
// the path from v to there: ".Field", "[3]", `["key"]`, ".(*pkg.Type)" for
// what an interface holds.
func (w *walker) walk(v reflect.Value) (string, bool) {
	if !v.IsValid() {
		return "", false
	}
	if w.stop(v) {
		return "", true
	}
	if v.Kind() == reflect.Struct && guarded(v.Type()) {
		return "", false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || w.once(v) {
			return "", false
		}
		return w.walk(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		e := v.Elem()
		p, ok := w.walk(e)
		return ".(" + e.Type().String() + ")" + p, ok
	case reflect.Struct:
		for i := range v.NumField() {
			if p, ok := w.walk(v.Field(i)); ok {
				return "." + v.Type().Field(i).Name + p, true
			}
		}
	case reflect.Slice:
		if v.IsNil() || w.once(v) {
			return "", false
		}
		fallthrough
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // text; stop has seen it
		}
		for i := range v.Len() {
			if p, ok := w.walk(v.Index(i)); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
	case reflect.Map:
		if v.IsNil() || w.once(v) {
			return "", false
		}
		for it := v.MapRange(); it.Next(); {
			if p, ok := w.walk(it.Key()); ok {
				return "[key " + w.key(it.Key()) + "]" + p, true
			}
			if p, ok := w.walk(it.Value()); ok {
				return "[" + w.key(it.Key()) + "]" + p, true
			}
		}
	}
	return "", false
}

// once reports whether v, a pointer, map or slice, was walked before, and
// marks it walked.
func (w *walker) once(v reflect.Value) bool {
	k := visit{ptr: v.Pointer(), typ: v.Type()}
	if v.Kind() == reflect.Slice {
		k.len = v.Len()
	}
	if w.seen == nil {
		w.seen = map[visit]bool{}
	}
	if w.seen[k] {
		return true
	}
	w.seen[k] = true
	return false
}

// guarded reports whether t, a struct, has a field from sync or
// sync/atomic: its state is shared with other goroutines.
func guarded(t reflect.Type) bool {
	for i := range t.NumField() {
		switch t.Field(i).Type.PkgPath() {
		case "sync", "sync/atomic":
			return true
		}
	}
	return false
}

// key spells a map key for a path, with its secrets masked.
func (w *walker) key(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return strconv.Quote(String(k.String(), w.secrets...))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10)
	}
	return k.Type().String()
}

// text returns the text v holds when it is a string or a byte slice or
// array. It works on values reached through unexported fields too.
func text(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			return "", false
		}
		if v.Kind() == reflect.Slice || v.CanAddr() {
			return string(v.Bytes()), true
		}
		b := make([]byte, v.Len())
		for i := range b {
			b[i] = byte(v.Index(i).Uint())
		}
		return string(b), true
	}
	return "", false
}
