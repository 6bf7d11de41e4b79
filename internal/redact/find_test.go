package redact

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

type node struct {
	next  *node
	label string
	held  any
}

type vault struct {
	inner struct {
		notes map[string][]any
	}
	raw  [24]byte
	load func() string
	ch   chan string
}

func TestFind(t *testing.T) {
	cycle := &node{label: "a"}
	cycle.next = &node{label: "b", next: cycle}

	deep := &vault{}
	deep.inner.notes = map[string][]any{"k": {1, &node{held: errors.New("saw " + token[100:140])}}}

	var arr vault
	copy(arr.raw[:], clientSecret[5:29])

	keyed := map[string]int{"x" + clientSecret: 1}

	locked := &sync.Map{}
	locked.Store("k", token)

	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, ""},
		{"clean value", &node{label: "nothing here", held: []int{1, 2}}, ""},
		{"cycle ends", cycle, ""},
		{"unexported field, map, slice, interface", deep, `(*redact.vault).inner.notes["k"][1].(*redact.node).held.(*errors.errorString).s`},
		{"byte array", arr, "(redact.vault).raw"},
		{"map key, masked in the path", keyed, `(map[string]int)[key "x[REDACTED]"]`},
		{"upper case in a string", fmt.Errorf("wrapped: %w", errors.New(strings.ToUpper(token))), "(*fmt.wrapError).msg"},
		{"state under a lock is not read", locked, ""},
		{"func and chan are not walked", &vault{load: func() string { return token }, ch: make(chan string)}, ""},
		{"request body", mustRequest(t, `{"AccessToken":"`+token+`"}`), "(*http.Request).Body.(io.nopCloserWriterTo).Reader.(*strings.Reader).s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Find(tc.v, token, clientSecret)
			assert.Equal(t, tc.want, got)
			assert.False(t, Contains(got, token) || Contains(got, clientSecret), "the path leaks: %q", got)
		})
	}
}

func mustRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://cognito-idp.us-east-1.amazonaws.com/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
