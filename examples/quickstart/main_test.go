package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(nil, &out, &errb), errb.String())
	lines := out.String()
	before, after, ok := strings.Cut(lines, "SignOut(alice): signed out everywhere")
	require.True(t, ok, lines)
	assert.Contains(t, before, "alice your API:      accepted")
	assert.Contains(t, before, "alice access token:  accepted")
	assert.Contains(t, before, "alice refresh token: accepted")
	assert.Contains(t, after, "alice access token:  refused (NotAuthorizedException: Access Token has been revoked)")
	assert.Contains(t, after, "alice refresh token: refused (NotAuthorizedException: Refresh Token has been revoked)")
	assert.Contains(t, after, "alice your API:      refused (signout: Verify: token has been revoked")
	assert.Contains(t, after, "bob   your API:      accepted")
	assert.Contains(t, after, "bob   access token:  accepted")
	assert.Contains(t, after, "errors.Is(err, signout.ErrTokenRevoked) = true")
	assert.NotContains(t, lines, "eyJ", "no token is printed")
	assert.Empty(t, errb.String())
}

func TestSignOutWithFlags(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(tok+"\n"), 0o600))

	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"-access-token", "file://" + file, "-endpoint", srv.URL}, &out, &errb), errb.String())
	assert.Equal(t, "Signed out everywhere.\n", out.String())

	out.Reset()
	assert.Equal(t, 1, run([]string{"-access-token", tok, "-endpoint", srv.URL}, &out, &errb))
	assert.Contains(t, errb.String(), "token has been revoked")
	assert.False(t, redact.Contains(errb.String(), tok))
	assert.Equal(t, 2, run([]string{"-bogus"}, &out, &errb))
}
