package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/tap"
	"github.com/cognitogo/signout/signouttest"
)

// fakeSecret is the secret access key the tests give the command; no output
// may show it.
const fakeSecret = "fakeSecretKeyForTests0123456789abcdefghij"

// fakeEnv is the environment of a command under test: fake credentials,
// and no config file, instance role or region of the machine's.
func fakeEnv(dir string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDCLITEST",
		"AWS_SECRET_ACCESS_KEY":       fakeSecret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

func setEnv(t *testing.T) {
	for k, v := range fakeEnv(t.TempDir()) {
		t.Setenv(k, v)
	}
}

// runCmd runs the command in-process and returns its exit code, stdout and
// stderr, checking that neither shows the secret.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	assert.False(t, redact.Contains(stdout.String()+"\n"+stderr.String(), fakeSecret))
	return code, stdout.String(), stderr.String()
}

// decode reads the JSON summary.
func decode(t *testing.T, stdout string) summary {
	t.Helper()
	var s summary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
	return s
}

// files returns the names of the files in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func standIn(t *testing.T, n int, opts ...signouttest.ServerOption) *signouttest.Server {
	t.Helper()
	srv := signouttest.NewServer(opts...)
	t.Cleanup(srv.Close)
	for i := range n {
		srv.AddUser(fmt.Sprintf("user%05d", i), map[string]string{"email": fmt.Sprintf("user%05d@example.com", i)})
	}
	return srv
}

func TestRunSignsOutEveryUser(t *testing.T) {
	setEnv(t)
	srv := standIn(t, 130)
	cp := filepath.Join(t.TempDir(), "sweep.json")
	code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL,
		"--rate", "1000", "--list-rate", "1000", "--resume", cp)
	require.Equal(t, exitDone, code, stderr)
	s := decode(t, stdout)
	assert.Equal(t, summary{UserPoolID: srv.UserPoolID, Complete: true, SignedOut: 130, Listed: 130, Total: 130, Pages: 3,
		Cutoff: s.Cutoff, ElapsedSeconds: s.ElapsedSeconds, RatePerSecond: s.RatePerSecond, Checkpoint: cp, Failures: []failure{}}, s)
	assert.NotEmpty(t, s.Cutoff)
	assert.Equal(t, 130, srv.Requests("AdminUserGlobalSignOut"))
	assert.Contains(t, stderr, "done: 130 users signed out")
	assert.Contains(t, stderr, "130 users handled of 130 (130 signed out, 0 skipped, 0 failed", "a plain progress line, stderr not being a terminal")
	assert.Equal(t, 1, strings.Count(stderr, "signing out every user of "+srv.UserPoolID), "the banner, once")
	assert.Equal(t, []string{"sweep.json"}, files(t, filepath.Dir(cp)), "the checkpoint, and no temporary file")
}

func TestRunPartlyDone(t *testing.T) {
	setEnv(t)
	srv := standIn(t, 100)
	p := tap.New(t, srv.URL)
	p.Before(func(c *tap.Call) *tap.Reply {
		if c.Username == "user00042" {
			return &tap.Reply{Status: 400, Code: "InvalidParameterException", Message: "odd"}
		}
		return nil
	})
	code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", p.URL,
		"--rate", "1000", "--resume", filepath.Join(t.TempDir(), "sweep.json"))
	assert.Equal(t, exitPartly, code)
	s := decode(t, stdout)
	assert.True(t, s.Complete)
	assert.Equal(t, 99, s.SignedOut)
	assert.Equal(t, 1, s.Failed)
	require.Len(t, s.Failures, 1)
	assert.Equal(t, "user00042", s.Failures[0].Username)
	assert.Contains(t, s.Failures[0].Error, "InvalidParameterException: odd")
	assert.Contains(t, stderr, "1 users could not be signed out")
}

func TestRunUsageErrors(t *testing.T) {
	setEnv(t)
	srv := standIn(t, 5)
	dir := t.TempDir()
	pool := []string{"--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL}
	checkpoint := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	garbage := checkpoint("garbage.json", `{"version": 1`)
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	future := checkpoint("future.json", `{"version":1,"user_pool_id":"`+srv.UserPoolID+`","filter":"","cutoff":"`+later+
		`","saved":"`+later+`","pages":0,"listed_all":false,"done":0,"skipped":0,"failed":0,"pending":[]}`)
	target := checkpoint("target.json", `{}`)
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink(target, link))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no pool", []string{"--endpoint-url", srv.URL}, "--user-pool-id is required"},
		{"unknown flag", append([]string{"--no-such-flag"}, pool...), "flag provided but not defined"},
		{"stray argument", append([]string{"extra"}, pool...), "unexpected argument"},
		{"zero rate", append([]string{"--rate", "0"}, pool...), "--rate must be"},
		{"NaN list rate", append([]string{"--list-rate", "NaN"}, pool...), "--list-rate must be"},
		{"dry run and resume", append([]string{"--dry-run", "--resume", filepath.Join(dir, "x.json")}, pool...), "cannot be combined"},
		{"endpoint without scheme", []string{"--user-pool-id", srv.UserPoolID, "--endpoint-url", "127.0.0.1:9"}, "--endpoint-url must be"},
		{"not a pool id", []string{"--user-pool-id", "my-pool", "--endpoint-url", srv.URL, "--resume", filepath.Join(dir, "y.json")}, "not a user pool id"},
		{"bad filter", append([]string{"--filter", "email = x", "--resume", filepath.Join(dir, "z.json")}, pool...), "not a filter"},
		{"not a checkpoint", append([]string{"--resume", garbage}, pool...), "not a checkpoint"},
		{"a checkpoint from the future", append([]string{"--resume", future}, pool...), "cutoff is in the future"},
		{"a checkpoint that is a link", append([]string{"--resume", link}, pool...), "is a symbolic link"},
		{"a checkpoint that is a directory", append([]string{"--resume", dir}, pool...), "not a regular file"},
		{"a checkpoint in no directory", append([]string{"--resume", filepath.Join(dir, "no", "x.json")}, pool...), "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tc.want)
			assert.Contains(t, stderr, "usage: sign-out-all-users")
			assert.NotContains(t, stderr, "signing out", "no banner before the input is found valid")
			assert.NotContains(t, stderr, "to continue", "no advice to resume")
			if !strings.Contains(tc.name, "pool id") && !strings.Contains(tc.name, "filter") && !strings.Contains(tc.name, "checkpoint") {
				assert.Empty(t, stdout)
			}
		})
	}
	assert.Zero(t, srv.Requests(""), "nothing was sent")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b), "the link's target is untouched")
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is not replaced")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no file was written: %v", entries)

	code, stdout, _ := runCmd(t, "--help")
	assert.Equal(t, exitDone, code)
	assert.Contains(t, stdout, "Exit status: 0 done")
}

func TestRunDefaultCheckpoint(t *testing.T) {
	setEnv(t)
	srv := standIn(t, 10)
	dir := t.TempDir()
	t.Chdir(dir)
	code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL)
	require.Equal(t, exitDone, code, stderr)
	want := "sign-out-all-users-" + srv.UserPoolID + ".json"
	assert.Equal(t, want, decode(t, stdout).Checkpoint)
	assert.FileExists(t, filepath.Join(dir, want))
	assert.Contains(t, stderr, "--resume "+want)

	code, _, stderr = runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL)
	assert.Equal(t, exitUsage, code, "a new run does not overwrite an earlier one's checkpoint")
	assert.Contains(t, stderr, "continue it with --resume "+want)

	code, stdout, _ = runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL, "--resume", want)
	assert.Equal(t, exitDone, code)
	assert.True(t, decode(t, stdout).Resumed)
	assert.Equal(t, 10, srv.Requests("AdminUserGlobalSignOut"), "a complete run resumed sends nothing")
}

func TestRunDryRun(t *testing.T) {
	setEnv(t)
	srv := standIn(t, 250)
	dir := t.TempDir()
	t.Chdir(dir)
	code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL, "--dry-run", "--rate", "10")
	require.Equal(t, exitDone, code, stderr)
	s := decode(t, stdout)
	assert.True(t, s.DryRun)
	assert.Equal(t, 250, s.Listed)
	assert.Equal(t, 250, s.Total)
	assert.Zero(t, s.SignedOut)
	assert.Equal(t, 25.0, s.ETASeconds, "250 users at 10 a second")
	assert.Empty(t, s.Checkpoint)
	assert.Contains(t, stderr, "250 users; signing them out at 10 a second takes at least 25s")
	assert.Zero(t, srv.Requests("AdminUserGlobalSignOut"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "a dry run writes no checkpoint")
}

func TestRunFailures(t *testing.T) {
	srv := standIn(t, 5)
	t.Run("pool not found", func(t *testing.T) {
		setEnv(t)
		cp := filepath.Join(t.TempDir(), "sweep.json")
		code, stdout, stderr := runCmd(t, "--user-pool-id", "us-east-1_Missing1", "--endpoint-url", srv.URL, "--resume", cp)
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, decode(t, stdout).Error, "resource not found")
		assert.Contains(t, stderr, "run the same command with --resume "+cp)
		assert.Equal(t, []string{"sweep.json"}, files(t, filepath.Dir(cp)), "no temporary file is left")
	})
	t.Run("no credentials", func(t *testing.T) {
		setEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL,
			"--resume", filepath.Join(t.TempDir(), "sweep.json"))
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, decode(t, stdout).Error, "no usable AWS credentials")
		assert.Contains(t, stderr, "no usable AWS credentials")
	})
	t.Run("no such profile", func(t *testing.T) {
		setEnv(t)
		code, stdout, stderr := runCmd(t, "--user-pool-id", srv.UserPoolID, "--endpoint-url", srv.URL, "--profile", "nope",
			"--resume", filepath.Join(t.TempDir(), "sweep.json"))
		assert.Equal(t, exitFailure, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "nope")
	})
	assert.Zero(t, srv.Requests("AdminUserGlobalSignOut"))
}
