package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cognitogo/signout/internal/redact"
)

// Exit codes, as the aws CLI uses them.
const (
	exitOK    = 0
	exitUsage = 2   // a malformed command line
	exitError = 255 // service, network, configuration and input errors
)

// args is a parsed command line. Empty strings mean "not given".
type args struct {
	accessToken    string
	accessTokenSet bool
	cliInputJSON   string
	skeleton       string // "input" or "output" when --generate-cli-skeleton is given
	debug          bool
	endpointURL    string
	noVerifySSL    bool
	noPaginate     bool
	output         string
	query          string
	querySet       bool
	profile        string
	region         string
	version        bool
	color          string
	noSignRequest  bool
	caBundle       string
	readTimeout    string
	connectTimeout string
	help           bool
}

// usageError is a command line the parser refuses; code says how to exit.
type usageError struct {
	code int
	msg  string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

var (
	outputChoices   = []string{"json", "text", "table"}
	colorChoices    = []string{"on", "off", "auto"}
	skeletonChoices = []string{"input", "output"}
)

// parse reads the command line as the aws CLI's argparse does: --name value
// or --name=value, the last of a repeated option wins, and
// --generate-cli-skeleton takes an optional value.
func parse(argv []string) (*args, error) {
	a := &args{}
	values := map[string]*string{
		"--access-token":        &a.accessToken,
		"--cli-input-json":      &a.cliInputJSON,
		"--endpoint-url":        &a.endpointURL,
		"--output":              &a.output,
		"--query":               &a.query,
		"--profile":             &a.profile,
		"--region":              &a.region,
		"--color":               &a.color,
		"--ca-bundle":           &a.caBundle,
		"--cli-read-timeout":    &a.readTimeout,
		"--cli-connect-timeout": &a.connectTimeout,
	}
	flags := map[string]*bool{
		"--debug":           &a.debug,
		"--no-verify-ssl":   &a.noVerifySSL,
		"--no-paginate":     &a.noPaginate,
		"--version":         &a.version,
		"--no-sign-request": &a.noSignRequest,
		"--help":            &a.help,
		"-h":                &a.help,
	}
	var unknown []string
	for i := 0; i < len(argv); i++ {
		name, value, hasValue := strings.Cut(argv[i], "=")
		if !strings.HasPrefix(name, "-") {
			name, hasValue = argv[i], false
		}
		switch {
		case values[name] != nil:
			if !hasValue {
				if i+1 >= len(argv) {
					return nil, usagef("argument %s: expected one argument", name)
				}
				i++
				value = argv[i]
			}
			*values[name] = value
			switch name {
			case "--access-token":
				a.accessTokenSet = true
			case "--query":
				a.querySet = true
			}
		case flags[name] != nil:
			if hasValue {
				return nil, usagef("argument %s: ignored explicit argument '%s'", name, value)
			}
			*flags[name] = true
		case name == "--generate-cli-skeleton":
			if !hasValue {
				value = "input"
				if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
					i++
					value = argv[i]
				}
			}
			a.skeleton = value
		case argv[i] == "help":
			a.help = true
		default:
			unknown = append(unknown, argv[i])
		}
	}
	if len(unknown) > 0 {
		// A mistyped flag leaves its value, perhaps a token or part of one,
		// among the unknown arguments: name only the flags. The aws CLI
		// exits 255 here, not 2; scripts may rely on it.
		for i, u := range unknown {
			if !strings.HasPrefix(u, "--") {
				unknown[i] = redact.Mask
			}
		}
		return nil, &usageError{code: exitError, msg: "Unknown options: " + strings.Join(unknown, ", ")}
	}
	for _, c := range []struct {
		name, value string
		choices     []string
	}{
		{"--output", a.output, outputChoices},
		{"--color", a.color, colorChoices},
		{"--generate-cli-skeleton", a.skeleton, skeletonChoices},
	} {
		if c.value != "" && !slices.Contains(c.choices, c.value) {
			// The aws CLI's words and lines, without the padding of its
			// columns; like it, never the value, which could be a token.
			var lines []string
			for two := range slices.Chunk(c.choices, 2) {
				lines = append(lines, strings.Join(two, " | "))
			}
			return nil, usagef("argument %s: Invalid choice, valid choices are:\n\n%s", c.name, strings.Join(lines, "\n"))
		}
	}
	return a, nil
}

const usageLine = "usage: global-sign-out --access-token <value> [options]"

const usage = usageLine + `

Signs the user who owns the access token out of Amazon Cognito everywhere:
Cognito revokes that user's access, ID and refresh tokens. A drop-in for
"aws cognito-idp global-sign-out", with the same options and exit codes
(0 success, 2 usage error, 255 any other error).

Options:
  --access-token <value>      The user's access token, or file://PATH to read it
                              from a file (a trailing newline is dropped) so that
                              it stays out of ps output and shell history.
  --cli-input-json <value>    JSON input, or file://PATH; options on the command
                              line override it. Only "AccessToken" is accepted.
  --generate-cli-skeleton [input|output]
                              Print a JSON skeleton and send nothing.
  --debug                     Log each attempt to stderr (the token is redacted).
  --endpoint-url <value>      Send requests to this URL (http:// or https://).
  --no-verify-ssl             Do not verify TLS certificates.
  --no-paginate               Accepted; GlobalSignOut has no pages.
  --output <json|text|table>  Output format (default json; this operation's
                              output is empty, so it matters only with --query).
  --query <value>             JMESPath query applied to the output.
  --profile <value>           Profile from the shared AWS config files.
  --region <value>            AWS region (default: the token's, then
                              AWS_REGION, AWS_DEFAULT_REGION, the profile).
  --version                   Print the version and exit.
  --color <on|off|auto>       Accepted; nothing is printed in color.
  --no-sign-request           Accepted; GlobalSignOut is never signed and needs
                              no AWS credentials.
  --ca-bundle <value>         PEM bundle of CA certificates to trust.
  --cli-read-timeout <int>    Seconds to wait for the server; 0 means no limit
                              (default 60).
  --cli-connect-timeout <int> Seconds to connect; 0 means no limit (default 60).

Environment: AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_CA_BUNDLE,
AWS_CONFIG_FILE, AWS_DEFAULT_OUTPUT, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, and
HTTPS_PROXY / NO_PROXY.
`
