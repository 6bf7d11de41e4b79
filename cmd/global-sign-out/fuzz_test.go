package main

import (
	"strings"
	"testing"
)

const fuzzSecret = "eyJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOnRydWV9.c2lnbmF0dXJlc2lnbmF0dXJl"

// FuzzParseInputJSON feeds --cli-input-json arbitrary text: it never
// panics, accepts only an object whose one key is AccessToken, and never
// quotes a token back in its error.
func FuzzParseInputJSON(f *testing.F) {
	for _, s := range []string{
		`{"AccessToken":"abc"}`, `{"AccessToken":null}`, `{}`, `[1]`, `{"AccessToken":5}`,
		`{"AccessToken":"a","Bogus":1}`, `{"` + fuzzSecret + `":1}`, `{"AccessToken":"x"} trailing`, `{"AccessToken":`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, found, err := parseInputJSON(raw)
		if err != nil {
			if strings.Contains(raw, fuzzSecret) && strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("error quotes the token: %v", err)
			}
			if tok != "" || found {
				t.Fatalf("error with a token")
			}
			return
		}
		if !found && tok != "" {
			t.Fatalf("token without found")
		}
		if !strings.HasPrefix(strings.TrimSpace(raw), "{") {
			t.Fatalf("accepted a non-object: %q", raw)
		}
	})
}
