package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jmespath/go-jmespath"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/profile"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/transport"
)

// version is the command's version, printed by --version.
const version = "0.1.0"

// The aws CLI's socket timeouts; the CLI keeps them so that scripts see the
// same patience, while the library's own defaults suit a request path.
const cliDefaultTimeout = 60 * time.Second

// run is the whole command: it parses argv, signs out, prints the output
// and returns the exit code. It never prints the access token.
func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a, err := parse(argv)
	var ue *usageError
	if errors.As(err, &ue) {
		return failUsage(stderr, ue)
	}
	switch {
	case a.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case a.version:
		fmt.Fprintf(stdout, "global-sign-out/%s Go/%s %s/%s\n", version, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case a.skeleton == "input":
		fmt.Fprint(stdout, "{\n    \"AccessToken\": \"\"\n}\n")
		return exitOK
	}

	tok, err := accessToken(a, stdin)
	if errors.As(err, &ue) {
		return failUsage(stderr, ue)
	}
	if err != nil {
		return fail(stderr, exitError, err.Error(), tok)
	}
	var query *jmespath.JMESPath
	if a.querySet {
		if query, err = jmespath.Compile(a.query); err != nil {
			return fail(stderr, exitError, fmt.Sprintf("bad value for --query %s: %v", a.query, err), tok)
		}
	}
	if a.skeleton == "output" {
		// A sample of the output, which for GlobalSignOut is empty; nothing
		// is sent, as with the aws CLI.
		if err := printOutput(stdout, a, query); err != nil {
			return fail(stderr, exitError, err.Error(), tok)
		}
		return exitOK
	}
	opts, err := options(a, stderr)
	if err != nil {
		return fail(stderr, exitError, err.Error(), tok)
	}
	c, err := signout.New(opts...)
	if err == nil {
		if a.debug {
			// Printed once New has validated every value in it.
			endpoint := a.endpointURL
			if u, err := url.Parse(endpoint); err == nil {
				endpoint = u.Redacted()
			}
			fmt.Fprintln(stderr, redact.String(fmt.Sprintf("global-sign-out: debug: endpoint=%q region=%q profile=%q ca-bundle=%q no-verify-ssl=%v",
				endpoint, a.region, profileName(a), a.caBundle, a.noVerifySSL), tok))
		}
		err = c.SignOut(context.Background(), tok)
	}
	if err != nil {
		return fail(stderr, exitError, describe(err), tok)
	}
	if err := printOutput(stdout, a, query); err != nil {
		return fail(stderr, exitError, err.Error(), tok)
	}
	return exitOK
}

// fail prints msg on stderr, redacted, and returns code.
func fail(stderr io.Writer, code int, msg, tok string) int {
	fmt.Fprintln(stderr, "global-sign-out: "+redact.String(msg, tok))
	return code
}

// failUsage prints the usage line and then e, as the aws CLI does, and
// returns e's code; "error: " marks what the aws CLI's argparse refuses.
func failUsage(stderr io.Writer, e *usageError) int {
	fmt.Fprintln(stderr, usageLine)
	msg := e.msg
	if e.code == exitUsage {
		msg = "error: " + msg
	}
	return fail(stderr, e.code, msg, "")
}

// describe words a library error for this command: a bad option is named
// by its flag, and a failed call by what went wrong and Cognito's details.
func describe(err error) string {
	var se *signout.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	if se.Kind == signout.ErrInvalidOption && se.Op != "" {
		name, ok := flagOf[se.Op]
		if !ok {
			name = se.Op
		}
		return "bad value for " + name + ": " + se.Message
	}
	// The library's text without its "signout: OP: " prefix: the command
	// names itself.
	prefix := "signout: "
	if se.Op != "" {
		prefix += se.Op + ": "
	}
	return strings.TrimPrefix(se.Error(), prefix)
}

// flagOf names the flag or variable behind each library option the command
// sets.
var flagOf = map[string]string{
	"WithEndpoint":         "--endpoint-url",
	"WithRegion":           "--region",
	"WithProfile":          "--profile",
	"WithCABundle":         "--ca-bundle",
	"WithConnectTimeout":   "--cli-connect-timeout",
	"WithReadTimeout":      "--cli-read-timeout",
	"WithRetryMaxAttempts": "AWS_MAX_ATTEMPTS",
}

// accessToken merges --cli-input-json and --access-token; the flag wins.
func accessToken(a *args, stdin io.Reader) (string, error) {
	tok, fromJSON := "", false
	if a.cliInputJSON != "" {
		raw, err := readValue(a.cliInputJSON, stdin)
		if err != nil {
			return "", fmt.Errorf("error parsing parameter 'cli-input-json': %v", err)
		}
		if tok, fromJSON, err = parseInputJSON(raw); err != nil {
			return "", err
		}
	}
	if a.accessTokenSet {
		v, err := readValue(a.accessToken, stdin)
		if err != nil {
			return "", fmt.Errorf("error parsing parameter '--access-token': %v", err)
		}
		return v, nil
	}
	if a.cliInputJSON == "" {
		return "", usagef("the following arguments are required: --access-token")
	}
	if !fromJSON {
		return "", errors.New(`parameter validation failed: missing required parameter in input: "AccessToken"`)
	}
	return tok, nil
}

// parseInputJSON reads --cli-input-json: an object whose only key is
// AccessToken, a string. It never quotes the input back.
func parseInputJSON(raw string) (tok string, found bool, err error) {
	var in map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&in); err != nil || in == nil || dec.More() {
		return "", false, errors.New("error parsing parameter 'cli-input-json': invalid JSON: want an object such as {\"AccessToken\": \"...\"}")
	}
	for k := range in {
		if k != "AccessToken" {
			return "", false, fmt.Errorf("parameter validation failed: unknown parameter in input: %q, must be one of: AccessToken", redact.String(k))
		}
	}
	v, ok := in["AccessToken"]
	if !ok || string(v) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(v, &tok); err != nil {
		return "", false, errors.New("parameter validation failed: invalid type for parameter AccessToken: want a string")
	}
	return tok, true, nil
}

// maxFile bounds what file:// reads: far above any token or input JSON,
// far below what a mistaken path such as file:///dev/zero would pour in.
const maxFile = 1 << 20

// readValue resolves file://PATH as the aws CLI does; file:///dev/stdin
// reads standard input. A trailing newline is dropped, unlike the aws CLI,
// which sends it and so has the token refused.
func readValue(v string, stdin io.Reader) (string, error) {
	path, ok := strings.CutPrefix(v, "file://")
	if !ok {
		return v, nil
	}
	r := stdin
	if path != "/dev/stdin" || stdin == nil {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("unable to load paramfile %s: %v", v, errors.Unwrap(err))
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("unable to load paramfile %s: %v", v, err)
	case len(b) > maxFile:
		return "", fmt.Errorf("unable to load paramfile %s: larger than %d bytes", v, maxFile)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// options maps the command line onto library options. With --no-verify-ssl
// the command builds its own transport, which the library does not offer.
func options(a *args, stderr io.Writer) ([]signout.Option, error) {
	var opts []signout.Option
	timeouts := transport.Config{ConnectTimeout: cliDefaultTimeout}
	readTimeout := cliDefaultTimeout
	for _, t := range []struct {
		flag, value string
		d           *time.Duration
	}{
		{"--cli-read-timeout", a.readTimeout, &readTimeout},
		{"--cli-connect-timeout", a.connectTimeout, &timeouts.ConnectTimeout},
	} {
		if t.value == "" {
			continue
		}
		n, err := strconv.Atoi(t.value)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad value for %s %q: want a whole number of seconds, 0 for no limit", t.flag, t.value)
		}
		*t.d = time.Duration(n) * time.Second
	}
	opts = append(opts, signout.WithTimeout(0))
	if a.noVerifySSL {
		timeouts.InsecureSkipVerify = true
		tr, err := transport.New(timeouts)
		if err != nil {
			return nil, err
		}
		// The library bounds reads only through its own transport.
		opts = append(opts, signout.WithHTTPClient(&http.Client{Transport: tr, Timeout: readTimeout}))
	} else {
		opts = append(opts, signout.WithConnectTimeout(timeouts.ConnectTimeout), signout.WithReadTimeout(readTimeout))
		if a.caBundle != "" {
			pem, err := os.ReadFile(a.caBundle)
			if err != nil {
				return nil, fmt.Errorf("bad value for --ca-bundle: %v", errors.Unwrap(err))
			}
			opts = append(opts, signout.WithCABundle(pem))
		}
	}
	if a.endpointURL != "" {
		opts = append(opts, signout.WithEndpoint(strings.TrimSuffix(a.endpointURL, "/")))
	}
	if a.region != "" {
		opts = append(opts, signout.WithRegion(a.region))
	}
	if prof := profileName(a); prof != "" {
		opts = append(opts, signout.WithProfile(prof))
	}
	retry, err := retryOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, retry...)
	if a.debug {
		opts = append(opts, signout.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	return opts, nil
}

// profileName is --profile, else AWS_PROFILE or AWS_DEFAULT_PROFILE, else
// "default" when the shared config has it (as the aws CLI reads it).
func profileName(a *args) string {
	if a.profile != "" {
		return a.profile
	}
	for _, env := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := os.Getenv(env); p != "" {
			return p
		}
	}
	if _, err := profile.Load("default"); err != nil {
		return "" // no default profile: nothing to read
	}
	return "default"
}

// retryOptions honours AWS_MAX_ATTEMPTS and AWS_RETRY_MODE as the aws CLI does.
func retryOptions() ([]signout.Option, error) {
	var opts []signout.Option
	if v := os.Getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad value for AWS_MAX_ATTEMPTS %q: want a whole number, 1 or more", v)
		}
		opts = append(opts, signout.WithRetryMaxAttempts(n))
	}
	switch v := os.Getenv("AWS_RETRY_MODE"); v {
	case "", "standard", "legacy":
	case "adaptive":
		opts = append(opts, signout.WithAWSConfig(aws.Config{RetryMode: aws.RetryModeAdaptive}))
	default:
		return nil, fmt.Errorf("bad value for AWS_RETRY_MODE %q: want standard, legacy or adaptive", v)
	}
	return opts, nil
}

// printOutput prints GlobalSignOut's output, which is empty, after --query,
// in the chosen format, as the aws CLI does: an empty object prints nothing.
func printOutput(stdout io.Writer, a *args, query *jmespath.JMESPath) error {
	var doc any = map[string]any{}
	if query != nil {
		var err error
		if doc, err = query.Search(doc); err != nil {
			return fmt.Errorf("bad value for --query %s: %v", a.query, err)
		}
	}
	format := a.output
	if format == "" {
		format = os.Getenv("AWS_DEFAULT_OUTPUT")
	}
	var buf bytes.Buffer
	switch format {
	case "text":
		writeText(&buf, doc)
	case "table":
		writeTable(&buf, doc)
	default:
		writeJSON(&buf, doc)
	}
	_, err := stdout.Write(buf.Bytes())
	return err
}
