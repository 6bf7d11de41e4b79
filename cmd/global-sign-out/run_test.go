package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
	}
	goleak.VerifyTestMain(testenv.Main(m))
}

// jwtShape matches the start of any JWT or JWE. It looks for the shape, not
// "eyJ" alone, which a random request id from moto may hold.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)

// isolate keeps the machine's AWS settings out of a test.
func isolate(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CA_BUNDLE": "", "AWS_DEFAULT_OUTPUT": "",
		"AWS_MAX_ATTEMPTS": "", "AWS_RETRY_MODE": "",
	} {
		t.Setenv(k, v)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(stdin string, argv ...string) result {
	var out, errb bytes.Buffer
	code := run(argv, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestRun(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ep := []string{"--endpoint-url", srv.URL}
	fresh := func() string { return srv.SignIn("alice").AccessToken }
	tokenFile := func() string {
		p := filepath.Join(dir, "token")
		require.NoError(t, os.WriteFile(p, []byte(fresh()+"\n"), 0o600))
		return "file://" + p
	}

	tests := []struct {
		name     string
		argv     func() []string
		stdin    func() string
		code     int
		stdout   string
		stderr   string // substring; "" means stderr must be empty
		requests int    // GlobalSignOut requests the case sends
	}{
		{name: "signs out", argv: func() []string { return append(ep, "--access-token", fresh()) }, requests: 1},
		{name: "equals form", argv: func() []string { return append(ep, "--access-token="+fresh()) }, requests: 1},
		{name: "token from file", argv: func() []string { return append(ep, "--access-token", tokenFile()) }, requests: 1},
		{name: "token from stdin", argv: func() []string { return append(ep, "--access-token", "file:///dev/stdin") },
			stdin: func() string { return fresh() + "\n" }, requests: 1},
		{name: "revoked", argv: func() []string {
			tok := fresh()
			runCLI("", append(ep, "--access-token", tok)...)
			return append(ep, "--access-token", tok)
		}, code: 255, stderr: "global-sign-out: token has been revoked (NotAuthorizedException", requests: 2},
		{name: "expired refused locally", argv: func() []string {
			return append(ep, "--access-token", srv.SignIn("bob", signouttest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}).AccessToken)
		}, code: 255, stderr: "global-sign-out: token has expired"},
		{name: "wrong scope refused locally", argv: func() []string {
			return append(ep, "--access-token", srv.SignIn("bob", signouttest.Claims{"scope": "openid"}).AccessToken)
		}, code: 255, stderr: "lacks the aws.cognito.signin.user.admin scope"},
		{name: "not a token", argv: func() []string { return append(ep, "--access-token", "not-a-token") }, code: 255, stderr: "global-sign-out: invalid token"},
		{name: "skeleton", argv: func() []string { return []string{"--generate-cli-skeleton"} }, stdout: "{\n    \"AccessToken\": \"\"\n}\n"},
		{name: "skeleton input", argv: func() []string { return []string{"--generate-cli-skeleton", "input"} }, stdout: "{\n    \"AccessToken\": \"\"\n}\n"},
		{name: "skeleton output sends nothing", argv: func() []string {
			return append(ep, "--access-token", fresh(), "--generate-cli-skeleton", "output", "--query", "length(@)")
		}, stdout: "0\n"},
		{name: "input json", argv: func() []string { return append(ep, "--cli-input-json", `{"AccessToken":"`+fresh()+`"}`) }, requests: 1},
		{name: "flag beats input json", argv: func() []string {
			return append(ep, "--cli-input-json", `{"AccessToken":"bogus"}`, "--access-token", fresh())
		}, requests: 1},
		{name: "input json unknown key", argv: func() []string { return append(ep, "--cli-input-json", `{"AccessToken":"x","Bogus":1}`) }, code: 255, stderr: `unknown parameter in input: "Bogus"`},
		{name: "input json malformed", argv: func() []string { return append(ep, "--cli-input-json", `{"AccessToken":`) }, code: 255, stderr: "invalid JSON"},
		{name: "input json not object", argv: func() []string { return append(ep, "--cli-input-json", `[1]`) }, code: 255, stderr: "invalid JSON"},
		{name: "input json null", argv: func() []string { return append(ep, "--cli-input-json", `null`, "--access-token", fresh()) }, code: 255, stderr: "invalid JSON"},
		{name: "input json trailing data", argv: func() []string { return append(ep, "--cli-input-json", `{} {}`) }, code: 255, stderr: "invalid JSON"},
		{name: "input json without token", argv: func() []string { return append(ep, "--cli-input-json", `{}`) }, code: 255, stderr: `missing required parameter in input: "AccessToken"`},
		{name: "input json wrong type", argv: func() []string { return append(ep, "--cli-input-json", `{"AccessToken":5}`) }, code: 255, stderr: "invalid type"},
		{name: "input json from file", argv: func() []string {
			p := filepath.Join(dir, "in.json")
			require.NoError(t, os.WriteFile(p, []byte(`{"AccessToken":"`+fresh()+`"}`), 0o600))
			return append(ep, "--cli-input-json", "file://"+p)
		}, requests: 1},
		{name: "query null", argv: func() []string { return append(ep, "--access-token", fresh(), "--query", "x") }, stdout: "null\n", requests: 1},
		{name: "query text", argv: func() []string { return append(ep, "--access-token", fresh(), "--query", "x", "--output", "text") }, stdout: "None\n", requests: 1},
		{name: "query table empty", argv: func() []string { return append(ep, "--access-token", fresh(), "--query", "@", "--output", "table") }, requests: 1},
		{name: "bad query sends nothing", argv: func() []string { return append(ep, "--access-token", fresh(), "--query", "x[") }, code: 255, stderr: "bad value for --query"},
		{name: "endpoint without scheme", argv: func() []string { return []string{"--endpoint-url", "127.0.0.1:5000", "--access-token", fresh()} }, code: 255, stderr: "bad value for --endpoint-url: no http:// or https:// scheme"},
		{name: "unknown profile", argv: func() []string { return append(ep, "--access-token", fresh(), "--profile", "nope") }, code: 255, stderr: "bad value for --profile: no such profile"},
		{name: "missing ca bundle sends nothing", argv: func() []string {
			return append(ep, "--access-token", fresh(), "--ca-bundle", filepath.Join(dir, "none.pem"))
		}, code: 255, stderr: "--ca-bundle"},
		{name: "bad read timeout", argv: func() []string { return append(ep, "--access-token", fresh(), "--cli-read-timeout", "abc") }, code: 255, stderr: "--cli-read-timeout"},
		{name: "negative connect timeout", argv: func() []string { return append(ep, "--access-token", fresh(), "--cli-connect-timeout", "-1") }, code: 255, stderr: "--cli-connect-timeout"},
		{name: "no-op flags accepted", argv: func() []string {
			return append(ep, "--access-token", fresh(), "--no-paginate", "--no-sign-request", "--color", "off", "--cli-read-timeout", "0", "--cli-connect-timeout", "0", "--region", "us-east-1")
		}, requests: 1},
		{name: "version", argv: func() []string { return []string{"--version"} }, stdout: "global-sign-out/" + version},
		{name: "help", argv: func() []string { return []string{"--help"} }, stdout: "usage: global-sign-out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests("GlobalSignOut")
			argv := tc.argv()
			stdin := ""
			if tc.stdin != nil {
				stdin = tc.stdin()
			}
			r := runCLI(stdin, argv...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			if strings.HasPrefix(tc.stdout, "global-sign-out/") || strings.HasPrefix(tc.stdout, "usage:") {
				assert.True(t, strings.HasPrefix(r.stdout, tc.stdout), r.stdout)
			} else {
				assert.Equal(t, tc.stdout, r.stdout)
			}
			if tc.stderr == "" {
				assert.Empty(t, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tc.stderr)
				assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			}
			assert.NotRegexp(t, jwtShape, r.stdout+r.stderr, "no token in output")
			assert.Equal(t, tc.requests, srv.Requests("GlobalSignOut")-before)
		})
	}
}

// TestRunUsageErrors: a command line the parser refuses prints the usage
// line and one message, in the aws CLI's words, and sends nothing.
func TestRunUsageErrors(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	ep := []string{"--endpoint-url", srv.URL}
	const usage = "usage: global-sign-out --access-token <value> [options]\n"
	tests := []struct {
		name   string
		argv   []string
		code   int
		stderr string
	}{
		{"no arguments", nil, 2, "global-sign-out: error: the following arguments are required: --access-token\n"},
		{"missing token", ep, 2, "global-sign-out: error: the following arguments are required: --access-token\n"},
		{"skeleton output needs token", []string{"--generate-cli-skeleton", "output"}, 2, "global-sign-out: error: the following arguments are required: --access-token\n"},
		{"flag without value", append(ep, "--access-token"), 2, "global-sign-out: error: argument --access-token: expected one argument\n"},
		{"flag with value", append(ep, "--access-token", tok, "--debug=yes"), 2, "global-sign-out: error: argument --debug: ignored explicit argument 'yes'\n"},
		{"unknown option", append(ep, "--access-token", tok, "--bogus"), 255, "global-sign-out: Unknown options: --bogus\n"},
		{"mistyped token flag never echoes the token", append(ep, "--acess-token", tok), 255, "global-sign-out: Unknown options: --acess-token, [REDACTED]\n"},
		{"bad output", append(ep, "--access-token", tok, "--output", "yaml"), 2,
			"global-sign-out: error: argument --output: Invalid choice, valid choices are:\n\njson | text\ntable\n"},
		{"a token as a choice is not echoed", append(ep, "--access-token", "x", "--output", tok), 2,
			"global-sign-out: error: argument --output: Invalid choice, valid choices are:\n\njson | text\ntable\n"},
		{"bad color", append(ep, "--access-token", tok, "--color", "pink"), 2,
			"global-sign-out: error: argument --color: Invalid choice, valid choices are:\n\non | off\nauto\n"},
		{"bad skeleton", []string{"--generate-cli-skeleton", "bogus"}, 2,
			"global-sign-out: error: argument --generate-cli-skeleton: Invalid choice, valid choices are:\n\ninput | output\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI("", tc.argv...)
			assert.Equal(t, result{tc.code, "", usage + tc.stderr}, r)
			assert.Zero(t, srv.Requests(""), "refused before anything was sent")
		})
	}
}

// TestRunDebugNeverPrintsToken is the CLI's canary: with --debug on, a
// token goes through success and each kind of failure, with servers that
// echo it, and never reaches stdout or stderr.
func TestRunDebugNeverPrintsToken(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "slow down " + tok, Times: 1})
	r := runCLI("", "--endpoint-url", srv.URL, "--access-token", tok, "--debug")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, `msg="signout: attempt"`)
	assert.Contains(t, r.stderr, "attempt=1")
	assert.Contains(t, r.stderr, "attempt=2")
	assert.False(t, redact.Contains(r.stderr, tok))

	for _, f := range []signouttest.Fault{
		{}, // no fault: the token is revoked by now
		{Mode: signouttest.ErrorReply, Code: "NotAuthorizedException", Message: tok},
		{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "echo " + tok},
		{Mode: signouttest.RawReply, Status: 502, Body: "<html>" + tok + "</html>"},
		{Mode: signouttest.RawReply, Status: 200, Body: `{"x":"` + tok},
		{Mode: signouttest.Reset},
	} {
		remove := func() {}
		if f != (signouttest.Fault{}) {
			remove = srv.InjectFault("GlobalSignOut", f)
		}
		r := runCLI("", "--endpoint-url", srv.URL, "--access-token", tok, "--debug", "--cli-read-timeout", "1")
		remove()
		assert.Equal(t, 255, r.code)
		assert.False(t, redact.Contains(r.stdout+r.stderr, tok), "fault %v", f.Mode)
	}
}

// TestRunMisplacedSecrets: a token or password given to the wrong flag, or
// split by a stray space, is never printed, not even by --debug, which
// prints the settings only once New has validated them.
func TestRunMisplacedSecrets(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tok := srv.SignIn("alice").AccessToken
	head, sig := tok[:strings.LastIndexByte(tok, '.')], tok[strings.LastIndexByte(tok, '.')+1:]
	const password = "hunter2-correct-horse-battery"
	for i, argv := range [][]string{
		{"--region", tok},
		{"--region", sig},
		{"--profile", tok},
		{"--profile", sig},
		{"--ca-bundle", sig},
		{"--endpoint-url", "http://admin:" + password + "@" + strings.TrimPrefix(srv.URL, "http://")},
		{"--acess-token", head, sig},
		{"--acess-token=" + head, sig},
	} {
		flag, _, _ := strings.Cut(argv[0], "=")
		t.Run(fmt.Sprintf("%d %s", i, flag), func(t *testing.T) {
			r := runCLI("", append([]string{"--debug", "--access-token", tok, "--endpoint-url", srv.URL}, argv...)...)
			assert.Equal(t, 255, r.code, r.stderr)
			for _, secret := range []string{tok, sig, password} {
				assert.False(t, redact.Contains(r.stdout+r.stderr, secret), "printed: %s", r.stderr)
			}
			assert.Zero(t, srv.Requests(""), "refused before anything was sent")
		})
	}
}

// TestRunFileIsBounded: file:// reads at most a MiB, so a mistaken path
// such as /dev/zero fails at once instead of filling memory.
func TestRunFileIsBounded(t *testing.T) {
	isolate(t)
	for _, flag := range []string{"--access-token", "--cli-input-json"} {
		r := runCLI("", flag, "file:///dev/zero", "--region", "us-east-1")
		assert.Equal(t, 255, r.code)
		assert.Contains(t, r.stderr, "larger than 1048576 bytes")
	}
}

func TestRunRetryEnvironment(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"})
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	r := runCLI("", "--endpoint-url", srv.URL, "--access-token", srv.SignIn("alice").AccessToken)
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "request throttled")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))

	t.Setenv("AWS_MAX_ATTEMPTS", "zero")
	r = runCLI("", "--endpoint-url", srv.URL, "--access-token", srv.SignIn("alice").AccessToken)
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "AWS_MAX_ATTEMPTS")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	t.Setenv("AWS_RETRY_MODE", "sometimes")
	r = runCLI("", "--endpoint-url", srv.URL, "--access-token", srv.SignIn("alice").AccessToken)
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "AWS_RETRY_MODE")
}

func TestRunProfile(t *testing.T) {
	isolate(t)
	srv := signouttest.NewServer(signouttest.Region("eu-west-3"))
	t.Cleanup(srv.Close)
	cfg := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = eu-west-3\nendpoint_url = "+srv.URL+"\n\n[profile other]\nendpoint_url = http://127.0.0.1:1\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)

	r := runCLI("", "--access-token", srv.SignIn("alice").AccessToken)
	require.Equal(t, 0, r.code, "the default profile's endpoint is used: %s", r.stderr)
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))

	t.Setenv("AWS_PROFILE", "other")
	r = runCLI("", "--access-token", srv.SignIn("alice").AccessToken, "--cli-connect-timeout", "1")
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "network error", "AWS_PROFILE picked the other profile")
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want args
	}{
		{"last wins", []string{"--region", "a", "--region", "b"}, args{region: "b"}},
		{"equals", []string{"--region=eu-west-1"}, args{region: "eu-west-1"}},
		{"skeleton default", []string{"--generate-cli-skeleton", "--debug"}, args{skeleton: "input", debug: true}},
		{"skeleton value", []string{"--generate-cli-skeleton", "output"}, args{skeleton: "output"}},
		{"token kept exactly", []string{"--access-token", "a=b"}, args{accessToken: "a=b", accessTokenSet: true}},
		{"help word", []string{"help"}, args{help: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.argv)
			require.NoError(t, err)
			assert.Equal(t, tc.want, *got)
		})
	}
}
