package admin

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

func newTestLedger(cp checkpoint) (*ledger, *clock) {
	c := newClock()
	cp.Version, cp.UserPoolID, cp.Cutoff, cp.Saved = checkpointVersion, "us-east-1_A", c.now(), c.now()
	return newLedger(cp, len(cp.Pending) > 0, c.now), c
}

func users(names ...string) []pending {
	var us []pending
	for _, n := range names {
		us = append(us, pending{Username: n})
	}
	return us
}

func TestLedgerAccountsForEachUserOnce(t *testing.T) {
	l, _ := newTestLedger(checkpoint{Pages: 1, Next: "p1", Pending: users("r")}) // resumed with r pending
	l.pace = func() float64 { return 10 }
	resumed := l.pending()
	first := l.listed(users("a", "b", "c"), "p2")
	second := l.listed(users("d"), "")
	_, more := l.next()
	assert.False(t, more, "every page listed")

	bad := &signout.Error{Kind: signout.ErrInvalidParameter, Message: "odd"}
	for _, step := range []struct {
		u        pending
		out      outcome
		err      error
		pageDone bool
	}{
		{first[0], done, nil, false},
		{first[1], failed, bad, false},
		{resumed[0], skipped, nil, true}, // the last user pending when the run began
		{first[2], done, nil, true},
	} {
		pageDone, stop := l.handled(step.u, step.out, step.err)
		assert.Equal(t, step.pageDone, pageDone, step.u.Username)
		assert.NoError(t, stop)
	}
	rep := l.report()
	assert.Equal(t, Progress{Done: 2, Skipped: 1, Failed: 1, Listed: 5, Total: 5}, zeroTimes(rep.Progress))
	assert.Equal(t, 3, rep.Pages)
	assert.False(t, rep.Complete, "d is pending")
	require.Len(t, rep.Failures, 1)
	assert.Equal(t, "b", rep.Failures[0].Username)
	assert.ErrorIs(t, rep.Failures[0].Err, signout.ErrInvalidParameter)

	pageDone, _ := l.handled(second[0], done, nil)
	assert.True(t, pageDone)
	assert.True(t, l.complete())
	assert.Empty(t, l.pending())
}

func TestLedgerStopsAfterAStreakOfFailures(t *testing.T) {
	l, _ := newTestLedger(checkpoint{})
	var names []string
	for i := range failureStreak + 10 {
		names = append(names, fmt.Sprintf("u%d", i))
	}
	us := l.listed(users(names...), "")
	bad := &signout.Error{Op: opAdminSignOut, Kind: signout.ErrService, Message: "boom"}
	_, stop := l.handled(us[0], done, nil)
	require.NoError(t, stop)
	for i, u := range us[1:failureStreak] {
		_, stop := l.handled(u, failed, bad)
		require.NoError(t, stop, "failure %d", i+1)
	}
	_, stop = l.handled(us[failureStreak], failed, bad)
	require.ErrorIs(t, stop, signout.ErrService)
	assert.Contains(t, stop.Error(), "the last 50 sign-outs all failed; the last: boom")
	rep := l.report()
	assert.Equal(t, 1, rep.Done)
	assert.Zero(t, rep.Failed, "the streak's users are not blamed")
	assert.Empty(t, rep.Failures)
	assert.Len(t, l.pending(), len(names)-1, "they are pending again, with the users not yet handled")
	assert.NoError(t, l.cp.check(time.Now().Add(time.Hour)), "the checkpoint adds up")
}

func TestLedgerDryRunCounts(t *testing.T) {
	l, c := newTestLedger(checkpoint{})
	l.dryRun = true
	l.pace = func() float64 { return 25 }
	assert.Empty(t, l.listed(users("a", "b"), "p2"), "a dry run hands out nobody")
	assert.Empty(t, l.listed(users("c"), ""))
	c.advance(time.Second)
	p := l.progress()
	assert.Equal(t, 3, p.Listed)
	assert.Equal(t, 3, p.Total)
	assert.Zero(t, p.Done)
	assert.Equal(t, 120*time.Millisecond, p.ETA, "three users at 25 a second")
	assert.Empty(t, l.pending())
}

func TestLedgerRateAndETA(t *testing.T) {
	l, c := newTestLedger(checkpoint{Estimate: 100})
	l.pace = func() float64 { return 5 }
	us := l.listed(users("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), "p2")
	p := l.progress()
	assert.Equal(t, 100, p.Total, "the estimate, while pages are left")
	assert.Equal(t, 20*time.Second, p.ETA, "at the pace before a rate is measured")
	for _, u := range us {
		c.advance(100 * time.Millisecond)
		l.handled(u, done, nil)
	}
	p = l.progress()
	assert.InDelta(t, 10, p.Rate, 1e-9, "ten users in a second")
	assert.Equal(t, 9*time.Second, p.ETA, "90 users left at 10 a second")
}

func zeroTimes(p Progress) Progress {
	p.Rate, p.ETA, p.Elapsed = 0, 0, 0
	return p
}
