// Command global-sign-out signs a user out of Amazon Cognito everywhere. It
// is a drop-in for "aws cognito-idp global-sign-out": the same options, exit
// codes and output, in a process that starts in milliseconds, and it never
// prints the access token. Run it with --help for the options.
//
//	cd cmd && go install ./global-sign-out   # from a clone of the repository
//	global-sign-out --access-token file://token.txt
//
// Pass the token as file:// rather than on the command line, where ps and
// the shell's history keep it. No AWS credentials are needed.
// CGO_ENABLED=0 links it statically (no cgo resolver, no dynamic loader,
// no libc), which starts it about 2 ms sooner.
//
// # As the aws CLI does
//
// Every option of the aws CLI command; the same exit codes (0 success, 2
// for a usage error such as a missing --access-token or an invalid
// --output, 255 for service, network, configuration and input errors, and
// for unknown options); nothing on stdout for the empty output in every
// --output format; --query evaluated as JMESPath on that output;
// AWS_MAX_ATTEMPTS and AWS_RETRY_MODE honoured. Profiles are read from the
// shared config and credentials files as the aws CLI reads them, for the
// settings the command uses (region, endpoint_url, ca_bundle).
//
// TestSameAsAWSCLI runs both commands side by side on one moto_server and
// compares exit codes and stdout for success, --query in text and table
// output, a revoked token, a missing token, a bad --output, an unknown
// option, the skeleton, bad --cli-input-json, an endpoint without a scheme
// and an unknown profile; and, for every usage error, the message on
// stderr after a usage line.
//
// # Where it deliberately differs
//
//   - Errors are one line and typed, such as "global-sign-out: token has
//     been revoked (NotAuthorizedException: Access Token has been revoked;
//     status 400; request id ...)". The aws CLI prints whatever the server
//     says, and moto, like some proxies, says the token. Usage errors print
//     one usage line, not the aws CLI's help block, then its message; an
//     invalid choice lists the choices without the aws CLI's column padding
//     and its guess at what was meant.
//   - Secrets are never printed: the aws CLI echoes a mistyped flag's
//     token, and its --debug output holds the token three times.
//   - Tokens are checked locally first: an expired, malformed or wrongly
//     scoped token exits 255 without a request.
//   - The region comes from the token's issuer when neither --region nor
//     the environment names one; the aws CLI then fails with "You must
//     specify a region".
//   - A bad --ca-bundle fails before any request, even for an http://
//     endpoint, which the aws CLI lets through.
//   - file:// drops one trailing newline and reads at most 1 MiB; the aws
//     CLI sends the newline, and Cognito refuses the token.
//   - Retries: 3 attempts in the SDK's standard mode by default (the aws
//     CLI v1's legacy mode makes up to 5); AWS_MAX_ATTEMPTS sets either.
//   - --version prints "global-sign-out/VERSION Go/VERSION OS/ARCH".
//   - --output table reproduces the aws CLI's table for the values a query
//     can make of an empty output (nothing, scalars, flat objects), not for
//     nested ones.
//
// # Timing
//
// "bash timing.sh 20" signs out 20 fresh users with each command on one
// local moto_server, in turn with a bare curl request (moto's own time, the
// floor), and prints the median wall time of each.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
