package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/internal/moto"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
)

// asCommandEnv, set to "1", makes this test binary the command (see
// TestMain), so that the end-to-end tests run it without building it.
const asCommandEnv = "SIGNOUT_TEST_AS_COMMAND"

// command returns this test binary's path and env with what makes it the
// command.
func command(t *testing.T, env []string) (string, []string) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	return self, append(env[:len(env):len(env)], asCommandEnv+"=1")
}

// execCLI runs a command with a bounded time and returns its result.
func execCLI(t *testing.T, env []string, name string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

func testEnv(t *testing.T) []string {
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=" + moto.Region,
	}
}

func TestEndToEndOnMoto(t *testing.T) {
	url := moto.Start(t)
	pool := moto.NewPool(t, moto.Admin(t, url))
	bin, env := command(t, testEnv(t))
	ep := []string{"--endpoint-url", url}

	alice, bob := pool.SignIn(t, "alice"), pool.SignIn(t, "bob")
	r := execCLI(t, env, bin, append(ep, "--access-token", alice.Access)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, r.stderr)

	var api smithy.APIError
	require.ErrorAs(t, pool.GetUser(alice.Access), &api, "alice's access token is refused")
	require.ErrorAs(t, pool.Refresh(alice.Refresh), &api, "alice's refresh token is refused")
	assert.NoError(t, pool.GetUser(bob.Access), "bob is still signed in")

	r = execCLI(t, env, bin, append(ep, "--access-token", alice.Access, "--debug")...)
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "not authorized (NotAuthorizedException")
	assert.False(t, redact.Contains(r.stdout+r.stderr, alice.Access), "moto echoes the token; we never print it")
	assert.NotRegexp(t, jwtShape, r.stdout+r.stderr)

	r = execCLI(t, env, bin, "--generate-cli-skeleton")
	assert.Equal(t, result{0, "{\n    \"AccessToken\": \"\"\n}\n", ""}, r)

	carol := pool.SignIn(t, "carol")
	r = execCLI(t, env, bin, append(ep, "--cli-input-json", `{"AccessToken":"`+carol.Access+`"}`)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.ErrorAs(t, pool.GetUser(carol.Access), &api, "carol signed out through --cli-input-json")
}

// TestSameAsAWSCLI runs the aws CLI and this command side by side on one
// moto and compares exit codes and standard output, and for a command line
// either refuses, the message on standard error. Each aws run takes about
// half a second of CPU, so without SIGNOUT_LONG=1 only the first five
// cases run: the three outputs of a sign-out, Cognito's refusal and a
// usage error. The cases run at once: each waits on moto and on two
// programs starting.
func TestSameAsAWSCLI(t *testing.T) {
	aws := testenv.AWSCLI.Find(t)
	url := moto.Start(t)
	pool := moto.NewPool(t, moto.Admin(t, url))
	env := testEnv(t)
	bin, ourEnv := command(t, env)
	var n atomic.Int32
	fresh := func(t *testing.T) string { return pool.SignIn(t, "user"+strings.Repeat("x", int(n.Add(1)))).Access }

	cases := []struct {
		name  string
		argv  func(t *testing.T) []string
		usage bool // a usage error: compare the messages too
	}{
		{"success", func(t *testing.T) []string { return []string{"--endpoint-url", url, "--access-token", fresh(t)} }, false},
		{"query", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", fresh(t), "--query", "length(@)", "--output", "text"}
		}, false},
		{"table", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", fresh(t), "--query", "{a:`1`}", "--output", "table"}
		}, false},
		{"revoked", func(t *testing.T) []string {
			tok := fresh(t)
			pool.SignOutForTest(t, tok)
			return []string{"--endpoint-url", url, "--access-token", tok}
		}, false},
		{"no arguments", func(t *testing.T) []string { return nil }, true},
		{"missing token", func(t *testing.T) []string { return []string{"--endpoint-url", url} }, true},
		{"flag without value", func(t *testing.T) []string { return []string{"--endpoint-url", url, "--access-token"} }, true},
		{"flag with value", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", "x", "--debug=yes"}
		}, true},
		{"bad output", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", "x", "--output", "yaml"}
		}, true},
		{"bad color", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", "x", "--color", "pink"}
		}, true},
		{"bad skeleton", func(t *testing.T) []string { return []string{"--generate-cli-skeleton", "bogus"} }, true},
		{"unknown option", func(t *testing.T) []string { return []string{"--endpoint-url", url, "--access-token", "x", "--bogus"} }, true},
		{"skeleton", func(t *testing.T) []string { return []string{"--generate-cli-skeleton"} }, false},
		{"input json unknown key", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--cli-input-json", `{"AccessToken":"x","Bogus":1}`}
		}, false},
		{"input json malformed", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--cli-input-json", `{"AccessToken":`}
		}, false},
		{"endpoint without scheme", func(t *testing.T) []string { return []string{"--endpoint-url", "127.0.0.1:1", "--access-token", "x"} }, false},
		{"unknown profile", func(t *testing.T) []string {
			return []string{"--endpoint-url", url, "--access-token", "x", "--profile", "nope"}
		}, false},
	}
	for _, tc := range cases[:testenv.Scale(5, len(cases))] {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			theirs := execCLI(t, env, aws, append([]string{"cognito-idp", "global-sign-out"}, tc.argv(t)...)...)
			ours := execCLI(t, ourEnv, bin, tc.argv(t)...)
			assert.Equal(t, theirs.code, ours.code, "exit code; aws said %q, we said %q", theirs.stderr, ours.stderr)
			assert.Equal(t, theirs.stdout, ours.stdout, "stdout")
			assert.NotRegexp(t, jwtShape, ours.stderr)
			if tc.usage {
				assert.True(t, strings.HasPrefix(theirs.stderr, "usage: "), "aws: %q", theirs.stderr)
				assert.True(t, strings.HasPrefix(ours.stderr, "usage: "), "ours: %q", ours.stderr)
				want := usageMessage(theirs.stderr, "aws")
				require.NotEmpty(t, want, "no message found in the aws CLI's %q", theirs.stderr)
				assert.Equal(t, want, usageMessage(ours.stderr, "global-sign-out"), "ours: %q", ours.stderr)
			}
		})
	}
}

// usageMessage is the message a usage error printed after its usage text,
// without the program's name, and with its words joined by single spaces:
// the aws CLI pads its columns of valid choices.
func usageMessage(stderr, prog string) string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prog+": ") || strings.HasPrefix(l, "Unknown options: ") {
			msg := strings.TrimPrefix(strings.Join(lines[i:], "\n"), prog+": ")
			return strings.Join(strings.Fields(msg), " ")
		}
	}
	return ""
}
