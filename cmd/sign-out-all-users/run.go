package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/internal/redact"
)

// Exit codes. 2 and 255 are the aws CLI's; 130 is its code, and the
// shell's, for an interrupted command.
const (
	exitDone        = 0   // every user listed was signed out, or no longer exists
	exitPartly      = 1   // the sweep completed, but some users could not be signed out
	exitUsage       = 2   // a malformed command line, pool id, filter or checkpoint; nothing was sent
	exitInterrupted = 130 // SIGINT or SIGTERM; the checkpoint is saved
	exitFailure     = 255 // stopped by an error (credentials, permissions, Cognito); the checkpoint is saved
)

const name = "sign-out-all-users"

const usage = `usage: sign-out-all-users --user-pool-id ID [options]

Signs out every user of an Amazon Cognito user pool, or those --filter
selects, with one AdminUserGlobalSignOut per user, paced at Cognito's quotas.
Progress is saved after every page: if the run stops, run the same command
with --resume FILE to continue where it was. A JSON summary is printed on
stdout; progress and errors go to stderr.

Options:
  --user-pool-id ID     The pool, such as eu-west-1_AbC123xyz (required).
  --filter EXPR         Only users matching a ListUsers filter, such as
                        'email ^= "contractor-"' or 'status = "Disabled"'.
  --rate N              Sign-outs a second (default 25, Cognito's UserUpdate
                        quota, which every user update of the account and
                        region shares: lower it if other workloads need some).
  --list-rate N         ListUsers pages a second (default 30, the UserList quota).
  --resume FILE         Save progress to FILE; if FILE exists, continue the run
                        it records. Default: sign-out-all-users-POOL.json in the
                        current directory, which must not exist yet. FILE must
                        be a regular file, not a symbolic link.
  --dry-run             Count the users and estimate the time; sign out nothing.
  --profile NAME        Profile of the shared AWS config files, as the aws CLI.
  --region REGION       Accepted for the aws CLI's sake; the pool id names the region.
  --endpoint-url URL    Send requests to URL (http:// or https://).
  --help                Print this help.

Credentials and settings are found as the aws CLI finds them: AWS_PROFILE,
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the shared
config and credentials files, SSO, and the instance or container role. They
need cognito-idp:ListUsers and cognito-idp:AdminUserGlobalSignOut, and
cognito-idp:DescribeUserPool for an estimate of the total.

Exit status: 0 done; 1 done, but some users failed (listed in the summary);
2 usage error, such as a --resume FILE that is no checkpoint (nothing was
sent); 130 interrupted; 255 stopped by an error. After 130 or 255, run the
same command with --resume to continue.
`

// args is a parsed command line.
type args struct {
	pool, filter, resume, profile, region, endpoint string
	rate, listRate                                  float64
	dryRun                                          bool
}

// run is the whole command. It stops cleanly on SIGINT or SIGTERM, with
// the checkpoint saved; a second signal kills it.
func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return sweep(ctx, argv, stdout, stderr)
}

func parse(argv []string, stdout, stderr io.Writer) (*args, int) {
	a := &args{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.pool, "user-pool-id", "", "")
	fs.StringVar(&a.filter, "filter", "", "")
	fs.Float64Var(&a.rate, "rate", admin.DefaultRate, "")
	fs.Float64Var(&a.listRate, "list-rate", admin.DefaultListRate, "")
	fs.StringVar(&a.resume, "resume", "", "")
	fs.BoolVar(&a.dryRun, "dry-run", false, "")
	fs.StringVar(&a.profile, "profile", "", "")
	fs.StringVar(&a.region, "region", "", "")
	fs.StringVar(&a.endpoint, "endpoint-url", "", "")
	err := fs.Parse(argv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return nil, exitDone
	case err != nil:
		return nil, usageError(stderr, err.Error())
	case fs.NArg() > 0:
		return nil, usageError(stderr, "unexpected argument "+redact.String(fs.Arg(0)))
	case a.pool == "":
		return nil, usageError(stderr, "--user-pool-id is required")
	case !(a.rate > 0) || a.rate > 1e6:
		return nil, usageError(stderr, "--rate must be a positive number of sign-outs a second")
	case !(a.listRate > 0) || a.listRate > 1e6:
		return nil, usageError(stderr, "--list-rate must be a positive number of pages a second")
	case a.dryRun && a.resume != "":
		return nil, usageError(stderr, "--dry-run saves no progress: it cannot be combined with --resume")
	case a.endpoint != "" && !isEndpoint(a.endpoint):
		return nil, usageError(stderr, "--endpoint-url must be an http:// or https:// URL with a host")
	}
	return a, exitDone
}

func isEndpoint(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\n%s", name, msg, strings.SplitN(usage, "\n", 2)[0]+"\n")
	return exitUsage
}

func sweep(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	a, code := parse(argv, stdout, stderr)
	if a == nil {
		return code
	}
	checkpoint := a.resume
	if !a.dryRun && checkpoint == "" {
		checkpoint = name + "-" + a.pool + ".json"
		if _, err := os.Stat(checkpoint); err == nil {
			return usageError(stderr, checkpoint+" exists, from an earlier run: continue it with --resume "+checkpoint+
				", or delete it to start a new sweep")
		}
	}

	var opts []func(*config.LoadOptions) error
	if a.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(a.profile))
	}
	if a.region != "" {
		opts = append(opts, config.WithRegion(a.region))
	}
	if a.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(a.endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: loading the AWS configuration: %s\n", name, redact.String(err.Error()))
		return exitFailure
	}
	c, err := admin.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, err)
		return exitFailure
	}

	what := "every user of " + a.pool
	if a.filter != "" {
		what = "the users of " + a.pool + " matching " + a.filter
	}
	banner := fmt.Sprintf("%s: signing out %s at %g a second; progress is saved to %s: if this run stops, "+
		"run the same command with --resume %s to continue\n", name, what, a.rate, checkpoint, checkpoint)
	if a.dryRun {
		banner = fmt.Sprintf("%s: dry run: counting %s; nothing is signed out\n", name, what)
	}
	// The banner waits for the sweep's first progress, which comes once
	// the input is found valid.
	show := newProgress(stderr, banner, a.dryRun)
	rep, err := c.SignOutAll(ctx, a.pool, admin.Sweep{Filter: a.filter, Rate: a.rate, ListRate: a.listRate,
		Checkpoint: checkpoint, DryRun: a.dryRun, Progress: show.update})
	show.finish()

	s := newSummary(a, checkpoint, rep, err)
	out, _ := json.MarshalIndent(s, "", "  ")
	fmt.Fprintf(stdout, "%s\n", out)

	var se *signout.Error
	switch {
	case err == nil && rep.Failed > 0:
		fmt.Fprintf(stderr, "%s: done, but %d users could not be signed out; they are listed in the summary\n", name, rep.Failed)
		return exitPartly
	case err == nil && a.dryRun:
		fmt.Fprintf(stderr, "%s: %d users; signing them out at %g a second takes at least %v\n", name, rep.Listed, a.rate, rep.ETA.Round(time.Second))
		return exitDone
	case err == nil:
		fmt.Fprintf(stderr, "%s: done: %d users signed out, %d no longer existed\n", name, rep.Done, rep.Skipped)
		return exitDone
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "%s: interrupted; run the same command with --resume %s to continue\n", name, checkpoint)
		return exitInterrupted
	case errors.As(err, &se) && se.Kind == signout.ErrInvalidParameter && se.Attempts == 0:
		return usageError(stderr, se.Message)
	case errors.As(err, &se) && se.Op == "Sweep.Checkpoint" && !show.started():
		// A checkpoint that cannot be read, is no checkpoint, or cannot be
		// written: nothing was sent, and there is nothing to resume.
		return usageError(stderr, checkpoint+": "+se.Message)
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, err)
	if _, serr := os.Stat(checkpoint); serr == nil && !a.dryRun {
		fmt.Fprintf(stderr, "%s: run the same command with --resume %s to continue\n", name, checkpoint)
	}
	return exitFailure
}

// summary is the JSON printed on stdout.
type summary struct {
	UserPoolID     string    `json:"user_pool_id"`
	Filter         string    `json:"filter,omitempty"`
	DryRun         bool      `json:"dry_run"`
	Complete       bool      `json:"complete"`
	SignedOut      int       `json:"signed_out"`
	Skipped        int       `json:"skipped"`
	Failed         int       `json:"failed"`
	Pending        int       `json:"pending"`
	Listed         int       `json:"listed"`
	Total          int       `json:"total"`
	Pages          int       `json:"pages"`
	Cutoff         string    `json:"cutoff,omitempty"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	RatePerSecond  float64   `json:"rate_per_second"`
	ETASeconds     float64   `json:"eta_seconds,omitempty"`
	Checkpoint     string    `json:"checkpoint,omitempty"`
	Resumed        bool      `json:"resumed"`
	Failures       []failure `json:"failures"`
	Error          string    `json:"error,omitempty"`
}

type failure struct {
	Username string `json:"username"`
	Error    string `json:"error"`
}

func newSummary(a *args, checkpoint string, rep admin.Report, err error) summary {
	s := summary{UserPoolID: a.pool, Filter: a.filter, DryRun: a.dryRun, Complete: rep.Complete,
		SignedOut: rep.Done, Skipped: rep.Skipped, Failed: rep.Failed, Listed: rep.Listed,
		Pending: rep.Listed - rep.Done - rep.Skipped - rep.Failed, Total: rep.Total, Pages: rep.Pages,
		ElapsedSeconds: rep.Elapsed.Seconds(), RatePerSecond: rep.Rate, ETASeconds: rep.ETA.Seconds(),
		Checkpoint: checkpoint, Resumed: rep.Resumed, Failures: []failure{}}
	if a.dryRun {
		s.Pending = 0
	}
	if !rep.Cutoff.IsZero() && !a.dryRun {
		s.Cutoff = rep.Cutoff.UTC().Format(time.RFC3339Nano)
	}
	for _, f := range rep.Failures {
		s.Failures = append(s.Failures, failure{f.Username, f.Err.Error()})
	}
	if err != nil {
		s.Error = err.Error()
	}
	return s
}
