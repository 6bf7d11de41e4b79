package admin

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cognitogo/signout"
)

const (
	failureStreak = 50               // consecutive failures that stop a sweep
	rateWindow    = 10 * time.Second // over which Progress.Rate is measured
)

// ledger accounts for one run of a sweep: it keeps the sweep's checkpoint
// (what every user listed became, and where the listing is), saves it,
// and answers with the Progress and the Report. It is safe for concurrent
// use.
type ledger struct {
	path    string         // the checkpoint's file; "" saves nothing
	dryRun  bool           // count the users listed, and hand none out
	pace    func() float64 // sign-outs a second, for an ETA; nil before the run
	now     func() time.Time
	start   time.Time // of this run
	base    int       // users handled before this run
	resumed bool

	saveMu sync.Mutex // held by a save from its snapshot to its write

	mu      sync.Mutex
	cp      checkpoint
	left    map[int]int // users not yet handled, by page
	counted int         // users listed by a dry run
	streak  []pending   // the users of the last failures in a row
	samples []sample
}

type sample struct {
	at      time.Time
	handled int
}

// newLedger returns the ledger of a run that continues cp.
func newLedger(cp checkpoint, resumed bool, now func() time.Time) *ledger {
	l := &ledger{now: now, start: now(), cp: cp, resumed: resumed, left: map[int]int{},
		base: cp.Done + cp.Skipped + cp.Failed}
	// The users pending when the run began belong to no page of this run.
	for i := range cp.Pending {
		l.cp.Pending[i].page = -1
	}
	if len(cp.Pending) > 0 {
		l.left[-1] = len(cp.Pending)
	}
	return l
}

// next returns the token of the next page to list, and whether there is one.
func (l *ledger) next() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cp.Next, !l.cp.ListedAll
}

func (l *ledger) complete() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cp.complete()
}

// pending returns the users listed and not yet handled.
func (l *ledger) pending() []pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.cp.Pending)
}

// listed accounts for a page just listed, followed by the page that next
// names ("" after the last one), and returns its users, to hand out.
func (l *ledger) listed(users []pending, next string) []pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	page := l.cp.Pages
	l.cp.Pages++
	l.cp.Next, l.cp.ListedAll = next, next == ""
	if l.dryRun {
		l.counted += len(users)
		return nil
	}
	for i := range users {
		users[i].page = page
	}
	l.cp.Pending = append(l.cp.Pending, users...)
	if len(users) > 0 {
		l.left[page] = len(users)
	}
	return users
}

// handled accounts for what became of u. It reports whether u was the last
// user of its page to be handled, when the checkpoint is worth saving; and
// after failureStreak failures in a row, it returns the error that stops
// the sweep.
func (l *ledger) handled(u pending, out outcome, err error) (pageDone bool, stop error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.IndexFunc(l.cp.Pending, func(p pending) bool { return p.Username == u.Username && p.page == u.page })
	if i >= 0 {
		l.cp.Pending = slices.Delete(l.cp.Pending, i, i+1)
	}
	switch out {
	case done:
		l.cp.Done++
		l.streak = l.streak[:0]
	case skipped:
		l.cp.Skipped++
		l.streak = l.streak[:0]
	case failed:
		l.cp.Failed++
		if len(l.cp.Failures) < MaxFailures {
			l.cp.Failures = append(l.cp.Failures, toFailure(u.Username, err))
		}
		l.streak = append(l.streak, u)
	}
	l.left[u.page]--
	if l.left[u.page] == 0 {
		delete(l.left, u.page)
		pageDone = true
	}
	if len(l.streak) >= failureStreak {
		return false, l.unfailStreakLocked(err)
	}
	return pageDone, nil
}

// unfailStreakLocked stops a sweep whose last sign-outs all failed: the
// fault is not the users', so they go back to pending, to be tried again
// by a resumed run. It returns the error that stops the sweep.
func (l *ledger) unfailStreakLocked(last error) error {
	for _, u := range l.streak {
		l.cp.Failed--
		i := slices.IndexFunc(l.cp.Failures, func(f failure) bool { return f.Username == u.Username })
		if i >= 0 {
			l.cp.Failures = slices.Delete(l.cp.Failures, i, i+1)
		}
		u.page = -2 // no page of this run: nothing is saved for it before the end
		l.cp.Pending = append(l.cp.Pending, u)
	}
	l.streak = l.streak[:0]
	stop := *asError(last)
	stop.Message = "the last " + strconv.Itoa(failureStreak) + " sign-outs all failed; the last: " + stop.Message
	return &stop
}

// save writes the checkpoint, if there is a file for it; saves are
// serialized, each of a snapshot taken after the one before.
func (l *ledger) save() error {
	if l.path == "" {
		return nil
	}
	l.saveMu.Lock()
	defer l.saveMu.Unlock()
	l.mu.Lock()
	l.cp.Saved = l.now().UTC()
	b, err := json.MarshalIndent(&l.cp, "", "  ")
	l.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(l.path, append(b, '\n'))
	}
	if err != nil {
		return &signout.Error{Op: "Sweep.Checkpoint", Kind: signout.ErrInvalidOption,
			Message: "writing the checkpoint: " + err.Error(), Err: err}
	}
	return nil
}

// progress returns the sweep's progress now, with the rate measured over
// the last rateWindow; it is called by one goroutine at a time.
func (l *ledger) progress() Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	p := l.progressLocked(now)
	handled := l.handledLocked()
	l.samples = append(l.samples, sample{now, handled})
	for len(l.samples) > 2 && now.Sub(l.samples[1].at) >= rateWindow {
		l.samples = l.samples[1:]
	}
	if first := l.samples[0]; now.Sub(first.at) >= time.Second {
		p.Rate = float64(handled-first.handled) / now.Sub(first.at).Seconds()
	}
	p.ETA = l.etaLocked(p)
	return p
}

// handledLocked is how many users this run handled.
func (l *ledger) handledLocked() int { return l.cp.Done + l.cp.Skipped + l.cp.Failed - l.base }

func (l *ledger) progressLocked(now time.Time) Progress {
	p := Progress{Done: l.cp.Done, Skipped: l.cp.Skipped, Failed: l.cp.Failed, Listed: l.cp.listed(),
		Elapsed: now.Sub(l.start)}
	if l.dryRun {
		p.Listed = l.counted
	}
	switch {
	case l.cp.ListedAll:
		p.Total = p.Listed
	case l.cp.Estimate > 0:
		p.Total = max(l.cp.Estimate, p.Listed)
	}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(l.handledLocked()) / secs
	}
	return p
}

// etaLocked is the time left at the measured rate, or at the pace before
// there is one; for a dry run, the time the sweep of the users counted
// would take at the pace.
func (l *ledger) etaLocked(p Progress) time.Duration {
	pace := 0.0
	if l.pace != nil {
		pace = l.pace()
	}
	left, r := p.Total-(p.Done+p.Skipped+p.Failed), p.Rate
	if l.dryRun {
		left, r = p.Listed, pace
	}
	if r <= 0 {
		r = pace
	}
	if (p.Total == 0 && !l.dryRun) || left <= 0 || r <= 0 {
		return 0
	}
	return time.Duration(float64(left) / r * float64(time.Second))
}

// report is the Report of the sweep as it stands.
func (l *ledger) report() Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Report{Progress: l.progressLocked(l.now()), Pages: l.cp.Pages, Cutoff: l.cp.Cutoff,
		Complete: l.cp.complete(), Resumed: l.resumed}
	r.ETA = l.etaLocked(r.Progress)
	for _, f := range l.cp.Failures {
		r.Failures = append(r.Failures, f.export())
	}
	return r
}
