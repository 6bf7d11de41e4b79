// Command global-sign-out signs a user out of Amazon Cognito everywhere. It
// is a drop-in for "aws cognito-idp global-sign-out": the same options, exit
// codes and output, in a process that starts in milliseconds, and never
// prints the access token. Run it with --help for the options.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
