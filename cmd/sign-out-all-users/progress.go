package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/cognitogo/signout/admin"
)

// lineInterval is how often progress is printed when stderr is not a
// terminal, such as a CI log or a file.
const lineInterval = 10 * time.Second

// progress shows a sweep's progress on stderr, after a banner: a bar on a
// terminal, else a plain line now and then and one at the end. Nothing
// shows before the sweep's first progress, which comes once its input is
// found valid.
type progress struct {
	w      io.Writer
	banner string
	dryRun bool
	tty    bool
	bar    *progressbar.ProgressBar // made with the first progress on a terminal
	last   admin.Progress
	shown  time.Time // of the last line
	seen   bool
}

func newProgress(stderr io.Writer, banner string, dryRun bool) *progress {
	p := &progress{w: stderr, banner: banner, dryRun: dryRun}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// update is the sweep's Progress callback.
func (p *progress) update(pr admin.Progress) {
	if !p.seen {
		fmt.Fprint(p.w, p.banner)
		if p.tty {
			p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("users"), progressbar.OptionSetPredictTime(false), progressbar.OptionSetElapsedTime(false),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionFullWidth(),
				progressbar.OptionShowDescriptionAtLineEnd(), progressbar.OptionSetRenderBlankState(true))
		}
	}
	p.last, p.seen = pr, true
	if p.bar != nil {
		if pr.Total > 0 && int64(pr.Total) != p.bar.GetMax64() {
			// The bar counted modulo its width while the total was unknown.
			p.bar.ChangeMax64(int64(pr.Total))
			p.bar.Reset()
		}
		p.bar.Describe(p.details(pr))
		p.bar.Set64(int64(p.handled(pr)))
		return
	}
	if now := time.Now(); now.Sub(p.shown) >= lineInterval {
		p.shown = now
		p.line(pr)
	}
}

// started reports whether the sweep began: it has given a progress.
func (p *progress) started() bool { return p.seen }

// finish ends the display with the last progress.
func (p *progress) finish() {
	if !p.seen {
		return
	}
	if p.bar != nil {
		p.bar.Exit()
		fmt.Fprintln(p.w)
	}
	p.line(p.last)
}

func (p *progress) handled(pr admin.Progress) int {
	if p.dryRun {
		return pr.Listed
	}
	return pr.Done + pr.Skipped + pr.Failed
}

func (p *progress) line(pr admin.Progress) {
	of := ""
	if pr.Total > 0 {
		of = fmt.Sprintf(" of %d", pr.Total)
	}
	if p.dryRun {
		fmt.Fprintf(p.w, "%s: %d users counted%s\n", name, pr.Listed, of)
		return
	}
	fmt.Fprintf(p.w, "%s: %d users handled%s (%s)\n", name, p.handled(pr), of, p.details(pr))
}

// details are the counts, the rate and the time left.
func (p *progress) details(pr admin.Progress) string {
	if p.dryRun {
		return fmt.Sprintf("signing them out takes at least %v", pr.ETA.Round(time.Second))
	}
	s := fmt.Sprintf("%d signed out, %d skipped, %d failed, %.1f/s", pr.Done, pr.Skipped, pr.Failed, pr.Rate)
	if pr.ETA > 0 {
		s += ", " + pr.ETA.Round(time.Second).String() + " left"
	}
	return s
}
