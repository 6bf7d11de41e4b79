package admin

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

const (
	pageSize         = 60                     // ListUsers' largest page
	latencyBudget    = time.Second            // the latency the workers absorb at full rate
	maxWorkers       = 128                    // requests in flight at most
	maxTransient     = 5                      // attempts at a request that fails on a fault that may pass
	failureStreak    = 50                     // consecutive failures that stop a sweep
	progressInterval = 500 * time.Millisecond // between calls of Sweep.Progress
	rateWindow       = 10 * time.Second       // over which Progress.Rate is measured
)

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
	// same pool and Filter. Empty saves nothing.
	Checkpoint string
	// DryRun lists and counts the users, and signs out or records nothing;
	// the Report's ETA is then how long the sweep would take.
	DryRun bool
	// Progress, if set, is called about twice a second while the sweep
	// runs, and once at its end, never concurrently.
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
	Cutoff   time.Time // when the sweep's first run began: the At of its Revocation
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
// every user is signed out at least once and counted once, and the cutoff
// keeps the first run's time.
//
// The Report is always filled in. The error is nil when the sweep
// completed, failed users included; else it is a *signout.Error: bad input
// (ErrInvalidParameter, ErrInvalidOption) before anything is sent, or what
// stopped the sweep (ErrForbidden, ErrResourceNotFound, a failing store,
// context.Canceled, ...).
func (c *Client) SignOutAll(ctx context.Context, userPoolID string, s Sweep) (Report, error) {
	sw, e := c.prepare(ctx, userPoolID, s)
	if e != nil {
		return sw.report(), e
	}
	if sw.cp.complete() {
		return sw.report(), nil
	}
	e = sw.run(ctx)
	rep := sw.report()
	if s.Progress != nil {
		s.Progress(rep.Progress)
	}
	if e != nil {
		return rep, e
	}
	return rep, nil
}

// sweeper is one run of a sweep.
type sweeper struct {
	c            *Client
	s            Sweep
	pool, region string
	start        time.Time
	signs, lists *pacer
	perUser      bool // write a Revocation for each user

	mu      sync.Mutex
	cp      checkpoint
	left    map[int]int // users not yet handled, by page of this run
	resumed bool
	pages   int // pages listed by this run
	handled int // users handled by this run
	counted int // users counted by a dry run
	streak  []pending
	fatal   error
	stop    context.CancelFunc
	samples []sample

	saveMu sync.Mutex
}

type sample struct {
	at      time.Time
	handled int
}

// prepare checks the input, reads the checkpoint, and does what must come
// before the first request: save the checkpoint, check the credentials,
// record the cutoff, and ask for the pool's size.
func (c *Client) prepare(ctx context.Context, userPoolID string, s Sweep) (*sweeper, error) {
	sw := &sweeper{c: c, s: s, pool: userPoolID, start: c.now(), left: map[int]int{},
		cp: checkpoint{Version: checkpointVersion, UserPoolID: userPoolID, Filter: s.Filter, Cutoff: c.now().UTC().Round(0)}}
	bad := func(op string, kind error, msg string) error {
		return c.run.Fail(ctx, op, &signout.Error{Op: op, Kind: kind, Message: msg})
	}
	var e error
	if sw.region, e = c.check(ctx, opListUsers, userPoolID); e != nil {
		return sw, e
	}
	for _, r := range []struct {
		name string
		v    *float64
		def  float64
	}{{"Sweep.Rate", &sw.s.Rate, DefaultRate}, {"Sweep.ListRate", &sw.s.ListRate, DefaultListRate}} {
		switch {
		case *r.v == 0:
			*r.v = r.def
		case !(*r.v > 0) || math.IsInf(*r.v, 1):
			return sw, bad(r.name, signout.ErrInvalidOption, "not a positive number of requests a second")
		}
	}
	switch {
	case !validFilter(s.Filter):
		return sw, bad(opListUsers, signout.ErrInvalidParameter,
			`not a filter: want an attribute (username, email, phone_number, name, given_name, family_name, `+
				`preferred_username, cognito:user_status, status or sub), = or ^=, and a quoted value, at most 256 bytes`)
	case s.DryRun && s.Checkpoint != "":
		return sw, bad("Sweep.Checkpoint", signout.ErrInvalidOption, "a dry run saves no checkpoint")
	}
	if s.Checkpoint != "" {
		cp, err := loadCheckpoint(s.Checkpoint)
		switch {
		case err != nil:
			return sw, bad("Sweep.Checkpoint", signout.ErrInvalidOption, "reading the checkpoint: "+err.Error())
		case cp != nil && (cp.UserPoolID != userPoolID || cp.Filter != s.Filter):
			return sw, bad("Sweep.Checkpoint", signout.ErrInvalidOption,
				"the checkpoint is of a sweep of another user pool or filter")
		case cp != nil:
			sw.cp, sw.resumed = *cp, true
			sw.left[-1] = len(cp.Pending)
			if cp.complete() {
				return sw, nil
			}
		}
	}
	if e := c.credentials(ctx, opListUsers); e != nil {
		return sw, e
	}
	if !s.DryRun {
		// Saved first, so that a run killed from here on resumes with the
		// same cutoff.
		if e := sw.save(); e != nil {
			return sw, e
		}
		if c.store != nil && s.Filter == "" {
			at := sw.cp.Cutoff
			if e := c.revoke(ctx, signout.Revocation{UserPoolID: userPoolID, At: at,
				Expires: at.Add(cognito.MaxTokenLifetime)}); e != nil {
				return sw, e
			}
		}
		sw.perUser = c.store != nil && s.Filter != ""
	}
	if sw.cp.Estimate == 0 && s.Filter == "" && !sw.cp.ListedAll {
		sw.cp.Estimate = c.estimate(ctx, sw.region, userPoolID)
	}
	sw.signs, sw.lists = newPacer(sw.s.Rate, c.now), newPacer(sw.s.ListRate, c.now)
	return sw, nil
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

// run lists the pages in this goroutine and signs users out in workers,
// until every user is handled, ctx ends or an error stops the sweep.
func (sw *sweeper) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sw.stop = cancel

	reported := make(chan struct{})
	stopReports := make(chan struct{})
	if sw.s.Progress != nil {
		go func() {
			defer close(reported)
			t := time.NewTicker(progressInterval)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					sw.s.Progress(sw.progress())
				case <-stopReports:
					return
				}
			}
		}()
	} else {
		close(reported)
	}

	if sw.s.DryRun {
		sw.count(ctx)
	} else {
		sw.signOutAll(ctx)
	}
	close(stopReports)
	<-reported

	if !sw.s.DryRun {
		if e := sw.save(); e != nil {
			sw.setFatal(e)
		}
	}
	switch {
	case sw.fatal != nil:
		return sw.fatal
	case ctx.Err() != nil && !sw.cp.complete():
		return stopped(ctx)
	}
	return nil
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

func (sw *sweeper) setFatal(e error) {
	sw.mu.Lock()
	if sw.fatal == nil {
		sw.fatal = e
	}
	sw.mu.Unlock()
	sw.stop()
}

// count is a dry run: it lists every page and counts the users.
func (sw *sweeper) count(ctx context.Context) {
	for !sw.cp.ListedAll {
		users, next, e := sw.listPage(ctx)
		if e != nil {
			if ctx.Err() == nil {
				sw.setFatal(e)
			}
			return
		}
		sw.mu.Lock()
		sw.counted += len(users)
		sw.pages++
		sw.cp.Pages++
		sw.cp.Next, sw.cp.ListedAll = next, next == ""
		sw.mu.Unlock()
	}
}

// signOutAll hands the resumed users, then each page's users, to workers.
func (sw *sweeper) signOutAll(ctx context.Context) {
	work := make(chan pending)
	var wg sync.WaitGroup
	for range min(maxWorkers, max(4, int(math.Ceil(sw.s.Rate*latencyBudget.Seconds())))) {
		wg.Go(func() {
			for u := range work {
				sw.handle(ctx, u)
			}
		})
	}
	defer wg.Wait()
	defer close(work)

	hand := func(users []pending) bool {
		for _, u := range users {
			select {
			case work <- u:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	sw.mu.Lock()
	resumed := slices.Clone(sw.cp.Pending)
	sw.mu.Unlock()
	if !hand(resumed) {
		return
	}
	for !sw.cp.ListedAll {
		users, next, e := sw.listPage(ctx)
		if e != nil {
			if ctx.Err() == nil {
				sw.setFatal(e)
			}
			return
		}
		sw.mu.Lock()
		page := sw.pages
		for i := range users {
			users[i].page = page
		}
		sw.cp.Pending = append(sw.cp.Pending, users...)
		if len(users) > 0 {
			sw.left[page] = len(users)
		}
		sw.pages++
		sw.cp.Pages++
		sw.cp.Next, sw.cp.ListedAll = next, next == ""
		sw.mu.Unlock()
		// Saved before any user of the page is handed out: a page is never
		// listed again once a user of it may have been signed out.
		if e := sw.save(); e != nil {
			sw.setFatal(e)
			return
		}
		if !hand(users) {
			return
		}
	}
}

// listPage reads the page after the last one listed, pacing its requests
// and retrying throttled ones.
func (sw *sweeper) listPage(ctx context.Context) ([]pending, string, error) {
	in := &cip.ListUsersInput{UserPoolId: &sw.pool, Limit: aws.Int32(pageSize), AttributesToGet: []string{"sub"}}
	if sw.s.Filter != "" {
		in.Filter = &sw.s.Filter
	}
	if sw.cp.Next != "" {
		in.PaginationToken = &sw.cp.Next
	}
	var out *cip.ListUsersOutput
	send := func(ctx context.Context, optFns ...func(*cip.Options)) error {
		var err error
		out, err = sw.c.api.ListUsers(ctx, in, withAttempts(optFns, 1)...)
		return err
	}
	for attempt := 1; ; {
		sent, err := sw.lists.wait(ctx)
		if err != nil {
			return nil, "", stopped(ctx)
		}
		e := sw.c.run.Run(ctx, opListUsers, token.Issuer{Region: sw.region, PoolID: sw.pool}, nil, send)
		switch {
		case e == nil:
			sw.lists.passed()
			users := make([]pending, 0, len(out.Users))
			for _, u := range out.Users {
				p := pending{Username: aws.ToString(u.Username)}
				for _, a := range u.Attributes {
					if aws.ToString(a.Name) == "sub" {
						p.Sub = aws.ToString(a.Value)
					}
				}
				users = append(users, p)
			}
			return users, aws.ToString(out.PaginationToken), nil
		case errors.Is(e, signout.ErrThrottled):
			sw.lists.throttled(sent)
		case ctx.Err() != nil || !retryable(e) || attempt >= maxTransient:
			return nil, "", e
		default:
			if !backoff(ctx, attempt) {
				return nil, "", stopped(ctx)
			}
			attempt++
		}
	}
}

// backoff waits before the next attempt after attempt failed: 100 ms,
// doubling up to 5 s, with jitter. It reports false when ctx ends first.
func backoff(ctx context.Context, attempt int) bool {
	d := min(5*time.Second, 100*time.Millisecond<<min(attempt-1, 6))
	t := time.NewTimer(d/2 + rand.N(d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// outcome is what became of one user.
type outcome int

const (
	stillPending outcome = iota // not handled: the sweep is stopping
	done
	skipped
	failed
)

// handle signs one user out and counts the outcome.
func (sw *sweeper) handle(ctx context.Context, u pending) {
	out, e := sw.signOutUser(ctx, u)
	if out == stillPending {
		if e != nil && ctx.Err() == nil {
			sw.setFatal(e)
		}
		return
	}
	sw.mu.Lock()
	i := slices.IndexFunc(sw.cp.Pending, func(p pending) bool { return p.Username == u.Username && p.page == u.page })
	if i >= 0 {
		sw.cp.Pending = slices.Delete(sw.cp.Pending, i, i+1)
	}
	sw.handled++
	switch out {
	case done:
		sw.cp.Done++
		sw.streak = sw.streak[:0]
	case skipped:
		sw.cp.Skipped++
		sw.streak = sw.streak[:0]
	case failed:
		sw.cp.Failed++
		if len(sw.cp.Failures) < MaxFailures {
			sw.cp.Failures = append(sw.cp.Failures, toFailure(u.Username, e))
		}
		sw.streak = append(sw.streak, u)
	}
	var stop error
	if len(sw.streak) >= failureStreak {
		stop = sw.unfailStreakLocked(e)
	}
	sw.left[u.page]--
	pageDone := sw.left[u.page] == 0
	if pageDone {
		delete(sw.left, u.page)
	}
	sw.mu.Unlock()
	if stop != nil {
		sw.setFatal(stop)
		return
	}
	if pageDone {
		if e := sw.save(); e != nil {
			sw.setFatal(e)
		}
	}
}

// unfailStreakLocked stops a sweep whose last sign-outs all failed: the
// fault is not the users', so they go back to pending, to be tried again
// by a resumed run. It returns the error that stops the sweep.
func (sw *sweeper) unfailStreakLocked(last error) error {
	for _, u := range sw.streak {
		sw.cp.Failed--
		i := slices.IndexFunc(sw.cp.Failures, func(f failure) bool { return f.Username == u.Username })
		if i >= 0 {
			sw.cp.Failures = slices.Delete(sw.cp.Failures, i, i+1)
		}
		u.page = -2 // no page of this run: nothing is saved for it before the end
		sw.cp.Pending = append(sw.cp.Pending, u)
	}
	sw.handled -= len(sw.streak)
	sw.streak = sw.streak[:0]
	stop := *asError(last)
	stop.Message = "the last " + strconv.Itoa(failureStreak) + " sign-outs all failed; the last: " + stop.Message
	return &stop
}

// signOutUser signs one user out, slowing down and retrying while Cognito
// throttles. It returns stillPending with the error that should stop the
// sweep, or with nil when ctx ended.
func (sw *sweeper) signOutUser(ctx context.Context, u pending) (outcome, error) {
	if sw.perUser {
		e := sw.c.recordUser(ctx, sw.region, sw.pool, u.Username, u.Sub, sw.cp.Cutoff)
		switch {
		case e == nil:
		case ctx.Err() != nil:
			return stillPending, nil
		case errors.Is(e, signout.ErrUserNotFound):
			return skipped, nil
		case asError(e).Op == "RevocationStore":
			return stillPending, e
		default:
			return failed, e
		}
	}
	for attempt := 1; ; {
		sent, err := sw.signs.wait(ctx)
		if err != nil {
			return stillPending, nil
		}
		e := sw.c.signOut(ctx, sw.region, sw.pool, u.Username, 1)
		switch {
		case e == nil:
			sw.signs.passed()
			return done, nil
		case errors.Is(e, signout.ErrUserNotFound):
			sw.signs.passed()
			return skipped, nil
		case errors.Is(e, signout.ErrThrottled):
			sw.signs.throttled(sent)
		case ctx.Err() != nil:
			return stillPending, nil
		case errors.Is(e, signout.ErrForbidden), errors.Is(e, signout.ErrResourceNotFound), errors.Is(e, signout.ErrInvalidOption):
			// Every user would fail the same way.
			return stillPending, e
		case retryable(e) && attempt < maxTransient:
			if !backoff(ctx, attempt) {
				return stillPending, nil
			}
			attempt++
		default:
			return failed, e
		}
	}
}

// save writes the checkpoint, if there is one; saves are serialized, each
// of a snapshot taken after the one before.
func (sw *sweeper) save() error {
	if sw.s.Checkpoint == "" {
		return nil
	}
	sw.saveMu.Lock()
	defer sw.saveMu.Unlock()
	sw.mu.Lock()
	sw.cp.Saved = sw.c.now().UTC()
	b, err := json.MarshalIndent(&sw.cp, "", "  ")
	sw.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(sw.s.Checkpoint, append(b, '\n'))
	}
	if err != nil {
		return &signout.Error{Op: "Sweep.Checkpoint", Kind: signout.ErrInvalidOption,
			Message: "writing the checkpoint: " + err.Error(), Err: err}
	}
	return nil
}

// progress returns the sweep's progress now, with the rate measured over
// the last rateWindow; it is called by one goroutine at a time.
func (sw *sweeper) progress() Progress {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	now := sw.c.now()
	sw.samples = append(sw.samples, sample{now, sw.handled})
	for len(sw.samples) > 2 && now.Sub(sw.samples[1].at) >= rateWindow {
		sw.samples = sw.samples[1:]
	}
	p := sw.progressLocked(now)
	if first := sw.samples[0]; now.Sub(first.at) >= time.Second {
		p.Rate = float64(sw.handled-first.handled) / now.Sub(first.at).Seconds()
	}
	p.ETA = sw.etaLocked(p)
	return p
}

func (sw *sweeper) progressLocked(now time.Time) Progress {
	p := Progress{Done: sw.cp.Done, Skipped: sw.cp.Skipped, Failed: sw.cp.Failed, Listed: sw.cp.listed(),
		Elapsed: now.Sub(sw.start)}
	if sw.s.DryRun {
		p.Listed = sw.counted
	}
	switch {
	case sw.cp.ListedAll:
		p.Total = p.Listed
	case sw.cp.Estimate > 0:
		p.Total = max(sw.cp.Estimate, p.Listed)
	}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(sw.handled) / secs
	}
	return p
}

// etaLocked is the time left at the measured rate, or at the pacer's
// before there is one; for a dry run, the time the sweep of the users
// counted would take at Sweep.Rate.
func (sw *sweeper) etaLocked(p Progress) time.Duration {
	if sw.s.DryRun {
		return time.Duration(float64(p.Listed) / sw.s.Rate * float64(time.Second))
	}
	left := p.Total - (p.Done + p.Skipped + p.Failed)
	r := p.Rate
	if r <= 0 && sw.signs != nil {
		r = sw.signs.rate()
	}
	if p.Total == 0 || left <= 0 || r <= 0 {
		return 0
	}
	return time.Duration(float64(left) / r * float64(time.Second))
}

// report is the Report of the sweep as it stands.
func (sw *sweeper) report() Report {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	r := Report{Progress: sw.progressLocked(sw.c.now()), Pages: sw.cp.Pages, Cutoff: sw.cp.Cutoff,
		Complete: sw.cp.complete(), Resumed: sw.resumed}
	r.ETA = sw.etaLocked(r.Progress)
	for _, f := range sw.cp.Failures {
		r.Failures = append(r.Failures, f.export())
	}
	return r
}
