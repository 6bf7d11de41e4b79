package admin

import (
	"context"
	"math"
	"regexp"
	"slices"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/token"
)

// The defaults of a Sweep, and its limits.
const (
	// DefaultRate is how many users a second a sweep signs out: Cognito's
	// UserUpdate quota, which AdminUserGlobalSignOut shares with
	// GlobalSignOut and every other user update of the account and region.
	DefaultRate = 25.0
	// DefaultListRate is how many ListUsers pages a second a sweep reads:
	// Cognito's UserList quota.
	DefaultListRate = 30.0
	// MaxFailures is how many failed users a Report lists; the count in
	// Failed goes on past it.
	MaxFailures = 10000
)

// progressInterval is the time between calls of Sweep.Progress.
const progressInterval = 500 * time.Millisecond

// Sweep says which users SignOutAll signs out and how. The zero value signs
// out every user of the pool at Cognito's default quotas.
type Sweep struct {
	// Filter selects the users in ListUsers' syntax, such as
	// `email ^= "contractor-"` or `cognito:user_status = "UNCONFIRMED"`:
	// an attribute (username, email, phone_number, name, given_name,
	// family_name, preferred_username, cognito:user_status, status or sub),
	// = or ^= (starts with), and a quoted value. Empty selects every user.
	Filter string
	// Rate is how many sign-outs a second to send; default DefaultRate.
	// Lower it when other workloads share the account's UserUpdate quota.
	Rate float64
	// ListRate is how many ListUsers pages a second to read; default
	// DefaultListRate.
	ListRate float64
	// Checkpoint is a file where progress is saved after each page. When it
	// exists, SignOutAll resumes the sweep it records, which must be of the
	// same pool and Filter. A file that is not a checkpoint a sweep saved,
	// one whose times lie in the future, and a path that is not a regular
	// file (a symbolic link, which a save would replace) are refused before
	// anything is sent. Empty saves nothing.
	Checkpoint string
	// DryRun lists and counts the users, and signs out or records nothing;
	// the Report's ETA is then how long the sweep would take.
	DryRun bool
	// Progress, if set, is called once the input is found valid and the
	// checkpoint saved, before anything is sent; then about twice a second
	// while the sweep runs, and once at its end; never concurrently.
	Progress func(Progress)
}

// Progress is how far a sweep has come, over the runs of its checkpoint.
type Progress struct {
	Done    int // users signed out
	Skipped int // users listed that Cognito no longer had
	Failed  int // users whose sign-out failed for good
	Listed  int // users listed: the above, and those not yet handled
	// Total is how many users the sweep will handle: exact once every page
	// is listed, else the pool's estimate (without a Filter), else 0.
	Total   int
	Rate    float64       // users handled a second, lately
	ETA     time.Duration // time left at Rate; 0 when unknown
	Elapsed time.Duration // since this run began
}

// Report is the outcome of SignOutAll.
type Report struct {
	Progress
	Pages    int       // ListUsers pages read
	Cutoff   time.Time // when the last run began: the At of the Revocations it recorded
	Complete bool      // every user was listed and handled
	Resumed  bool      // the run continued a checkpoint
	// Failures are the users whose sign-out failed for good, with why, up
	// to MaxFailures of them.
	Failures []Failure
}

// Failure is a user a sweep could not sign out.
type Failure struct {
	Username string
	Err      *signout.Error
}

// SignOutAll signs out every user of the pool, or those Sweep.Filter
// selects: it reads ListUsers pages and calls AdminUserGlobalSignOut for
// each user, each paced at its Cognito quota, with enough requests in
// flight to reach that rate. A throttled request lowers the pace and is
// retried; a user Cognito no longer has is skipped; a user whose sign-out
// keeps failing is listed in the Report's Failures. The credentials need
// cognito-idp:ListUsers and cognito-idp:AdminUserGlobalSignOut, and
// cognito-idp:DescribeUserPool for an estimate of the total.
//
// With a RevocationStore (WithRevocationStore), an unfiltered sweep first
// records a cutoff for the whole pool, before any request to Cognito, so
// that the application's verifiers refuse every session begun before it
// while the sweep runs; a filtered sweep records each user before signing
// them out.
//
// With Sweep.Checkpoint, a run that stops at any point (killed, cancelled,
// or stopped by an error) resumes where it was: no page is listed twice,
// and every user is signed out at least once and counted once. Each run
// records the time it began, so that the sessions begun between runs, of
// the users it signs out, are refused too.
//
// The Report is always filled in. The error is nil when the sweep
// completed, failed users included; else it is a *signout.Error: bad input
// (ErrInvalidParameter, ErrInvalidOption) before anything is sent, or what
// stopped the sweep (ErrForbidden, ErrResourceNotFound, a failing store,
// context.Canceled, ...).
func (c *Client) SignOutAll(ctx context.Context, userPoolID string, s Sweep) (Report, error) {
	r, e := c.prepare(ctx, userPoolID, s)
	if e != nil || r.led.complete() {
		return r.led.report(), e
	}
	if s.Progress != nil {
		s.Progress(r.led.progress())
	}
	if e = r.begin(ctx); e == nil {
		e = r.run(ctx)
	}
	rep := r.led.report()
	if s.Progress != nil {
		s.Progress(rep.Progress)
	}
	return rep, e
}

// sweepRun is one run of a sweep, in three parts: the lister lists the
// pages, the sender signs their users out, and the ledger accounts for
// both and saves the checkpoint.
type sweepRun struct {
	list     *lister
	send     *sender // nil for a dry run
	led      *ledger
	progress func(Progress)

	cancel context.CancelFunc
	mu     sync.Mutex
	fatal  error // the first error that stopped the run
}

// prepare checks the input, reads the checkpoint and checks the
// credentials, and saves the checkpoint, so that a file that cannot be
// written stops the sweep before anything is recorded or sent. The run it
// returns has a ledger, for the Report, whatever the error.
func (c *Client) prepare(ctx context.Context, userPoolID string, s Sweep) (*sweepRun, error) {
	cp := checkpoint{Version: checkpointVersion, UserPoolID: userPoolID, Filter: s.Filter, Cutoff: c.now().UTC().Round(0)}
	r := &sweepRun{led: newLedger(cp, false, c.now), progress: s.Progress}
	r.led.dryRun = s.DryRun
	bad := func(op string, kind error, msg string) error {
		return c.run.Fail(ctx, op, &signout.Error{Op: op, Kind: kind, Message: msg})
	}
	region, e := c.check(ctx, opListUsers, userPoolID)
	if e != nil {
		return r, e
	}
	for _, rate := range []struct {
		name string
		v    *float64
		def  float64
	}{{"Sweep.Rate", &s.Rate, DefaultRate}, {"Sweep.ListRate", &s.ListRate, DefaultListRate}} {
		switch {
		case *rate.v == 0:
			*rate.v = rate.def
		case !(*rate.v > 0) || math.IsInf(*rate.v, 1):
			return r, bad(rate.name, signout.ErrInvalidOption, "not a positive number of requests a second")
		}
	}
	switch {
	case !validFilter(s.Filter):
		return r, bad(opListUsers, signout.ErrInvalidParameter,
			`not a filter: want an attribute (username, email, phone_number, name, given_name, family_name, `+
				`preferred_username, cognito:user_status, status or sub), = or ^=, and a quoted value, at most 256 bytes`)
	case s.DryRun && s.Checkpoint != "":
		return r, bad("Sweep.Checkpoint", signout.ErrInvalidOption, "a dry run saves no checkpoint")
	}
	if s.Checkpoint != "" {
		saved, err := loadCheckpoint(s.Checkpoint, c.now())
		switch {
		case err != nil:
			return r, bad("Sweep.Checkpoint", signout.ErrInvalidOption, "reading the checkpoint: "+err.Error())
		case saved != nil && (saved.UserPoolID != userPoolID || saved.Filter != s.Filter):
			return r, bad("Sweep.Checkpoint", signout.ErrInvalidOption,
				"the checkpoint is of a sweep of another user pool or filter")
		case saved != nil && saved.complete():
			r.led = newLedger(*saved, true, c.now)
			return r, nil
		case saved != nil:
			// A cutoff of this run's start: the first run's would spare the
			// sessions begun since, and may have expired.
			saved.Cutoff = cp.Cutoff
			r.led = newLedger(*saved, true, c.now)
		}
		r.led.path = s.Checkpoint
	}
	if e := c.credentials(ctx, opListUsers); e != nil {
		return r, e
	}
	r.list = &lister{c: c, pool: userPoolID, region: region, filter: s.Filter, pace: newPacer(s.ListRate, c.now)}
	if s.DryRun {
		r.led.pace = func() float64 { return s.Rate }
		return r, nil
	}
	r.send = &sender{c: c, pool: userPoolID, region: region, pace: newPacer(s.Rate, c.now),
		record: c.store != nil && s.Filter != "", at: cp.Cutoff}
	r.led.pace = r.send.pace.rate
	return r, r.led.save()
}

// begin does what must come before the first request to Cognito: record
// the cutoff of an unfiltered sweep, and ask for the pool's size.
func (r *sweepRun) begin(ctx context.Context) error {
	l := r.list
	if r.send != nil && l.c.store != nil && l.filter == "" {
		at := r.send.at
		if e := l.c.revoke(ctx, signout.Revocation{UserPoolID: l.pool, At: at, Expires: at.Add(cognito.MaxTokenLifetime)}); e != nil {
			return e
		}
	}
	// No goroutine reads the ledger yet.
	if cp := &r.led.cp; cp.Estimate == 0 && l.filter == "" && !cp.ListedAll {
		cp.Estimate = l.c.estimate(ctx, l.region, l.pool)
	}
	return nil
}

// filterRE is ListUsers' filter: an attribute, = or ^=, and a value in
// double quotes, in which a quote is escaped with a backslash.
var filterRE = regexp.MustCompile(`^\s*([\w:]+)\s*(=|\^=)\s*"(?:[^"\\]|\\.)*"\s*$`)

var searchable = []string{"username", "email", "phone_number", "name", "given_name", "family_name",
	"preferred_username", "cognito:user_status", "status", "sub"}

func validFilter(f string) bool {
	if f == "" {
		return true
	}
	m := filterRE.FindStringSubmatch(f)
	return len(f) <= 256 && m != nil && slices.Contains(searchable, m[1])
}

// estimate returns the pool's estimated number of users, or 0 when
// DescribeUserPool fails, as it does without the permission to call it.
func (c *Client) estimate(ctx context.Context, region, userPoolID string) int {
	n := 0
	in := &cip.DescribeUserPoolInput{UserPoolId: &userPoolID}
	c.run.Run(ctx, opDescribeUserPool, token.Issuer{Region: region, PoolID: userPoolID}, nil, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		out, err := c.api.DescribeUserPool(ctx, in, withAttempts(optFns, 1)...)
		if err == nil && out.UserPool != nil {
			n = int(out.UserPool.EstimatedNumberOfUsers)
		}
		return err
	})
	return n
}

// run lists the pages in this goroutine and signs users out in the
// sender's workers, until every user is handled, ctx ends or an error
// stops the sweep.
func (r *sweepRun) run(ctx context.Context) error {
	ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()

	reported := make(chan struct{})
	stopReports := make(chan struct{})
	if r.progress != nil {
		go func() {
			defer close(reported)
			t := time.NewTicker(progressInterval)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					r.progress(r.led.progress())
				case <-stopReports:
					return
				}
			}
		}()
	} else {
		close(reported)
	}

	hand := func([]pending) bool { return true } // a dry run only counts
	users := make(chan pending)
	var workers sync.WaitGroup
	if r.send != nil {
		workers.Go(func() { r.send.run(ctx, users, r.handled(ctx)) })
		hand = func(us []pending) bool {
			for _, u := range us {
				select {
				case users <- u:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
	}
	if e := r.listAll(ctx, hand); e != nil && ctx.Err() == nil {
		r.halt(e)
	}
	close(users)
	workers.Wait()
	close(stopReports)
	<-reported

	if e := r.led.save(); e != nil {
		r.halt(e)
	}
	switch {
	case r.fatal != nil:
		return r.fatal
	case ctx.Err() != nil && !r.led.complete():
		return stopped(ctx)
	}
	return nil
}

// listAll hands out the users a resumed run found pending, then lists
// each page left and hands out its users. It returns when every page is
// listed, hand reports false, or listing fails.
func (r *sweepRun) listAll(ctx context.Context, hand func([]pending) bool) error {
	if !hand(r.led.pending()) {
		return nil
	}
	for {
		pageToken, more := r.led.next()
		if !more {
			return nil
		}
		users, next, e := r.list.page(ctx, pageToken)
		if e != nil {
			return e
		}
		users = r.led.listed(users, next)
		// Saved before any user of the page is handed out: a page is never
		// listed again once a user of it may have been signed out.
		if e := r.led.save(); e != nil {
			r.halt(e)
			return nil
		}
		if !hand(users) {
			return nil
		}
	}
}

// handled is the sender's callback: it accounts for the user's outcome,
// saves the checkpoint when a page is done, and stops the run on an error
// every user would get.
func (r *sweepRun) handled(ctx context.Context) func(pending, outcome, error) {
	return func(u pending, out outcome, e error) {
		if out == stillPending {
			if e != nil && ctx.Err() == nil {
				r.halt(e)
			}
			return
		}
		pageDone, stop := r.led.handled(u, out, e)
		switch {
		case stop != nil:
			r.halt(stop)
		case pageDone:
			if e := r.led.save(); e != nil {
				r.halt(e)
			}
		}
	}
}

// halt stops the run with e, unless an error stopped it already.
func (r *sweepRun) halt(e error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = e
	}
	r.mu.Unlock()
	r.cancel()
}

// stopped is the error of a sweep whose context ended.
func stopped(ctx context.Context) error {
	err := context.Cause(ctx)
	e := &signout.Error{Op: "SignOutAll", Kind: signout.ErrTimeout, Message: err.Error(), Err: err}
	if err == context.Canceled {
		e.Kind = context.Canceled
	}
	return e
}
