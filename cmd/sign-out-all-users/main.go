// Command sign-out-all-users signs out every user of an Amazon Cognito user
// pool, or those a ListUsers filter selects, at Cognito's quotas: for
// incident response. It saves its progress after every page so that a run
// killed at any point can be resumed, and prints a JSON summary. Run it with
// --help for the options.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
