package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/tap"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

// asCommandEnv, set to "1", makes this test binary the command: the tests
// that kill it run it as a process without building it.
const asCommandEnv = "SIGNOUT_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
	}
	goleak.VerifyTestMain(m)
}

// process is one run of the command.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func start(t *testing.T, args ...string) *process {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	p := &process{cmd: exec.Command(self, args...)}
	p.cmd.Args[0] = name
	p.cmd.Env = append(os.Environ(), asCommandEnv+"=1")
	for k, v := range fakeEnv(t.TempDir()) {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	require.NoError(t, p.cmd.Start())
	return p
}

// wait waits for the process and returns its exit code, or -1 when a
// signal killed it.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("waiting for the command: %v", err)
	}
	assert.False(t, redact.Contains(p.stdout.String()+p.stderr.String(), fakeSecret))
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// The crash test: the command, killed with SIGKILL at random points
// and run again with --resume, signs every user out, never lists a page it
// had begun again, and its summary's counts add up. With SIGNOUT_LONG=1,
// 1,500 users and 6 kills; else 300 users and 3 kills.
func TestKilledRunsResume(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed))
	n, kills := 300, 3
	if testenv.Long() {
		n, kills = 1500, 6
	}
	srv := standIn(t, n, signouttest.Quotas(10))
	p := tap.New(t, srv.URL)

	// Two users fail for good, three are deleted when their sign-out is
	// sent: a user deleted as soon as listed could be missing from a page
	// listed again after a kill.
	bad := map[string]bool{"user00100": true, fmt.Sprintf("user%05d", n-n/9): true}
	gone := map[string]bool{"user00007": true, fmt.Sprintf("user%05d", n/2): true, fmt.Sprintf("user%05d", n-1): true}
	var (
		calls     atomic.Int64
		killAt    atomic.Int64 // the call that kills the process
		killAfter atomic.Bool  // after the endpoint answered it, rather than before it is sent
		afterCall atomic.Pointer[tap.Call]
		current   atomic.Pointer[os.Process]
		killed    atomic.Int64
	)
	killAt.Store(-1)
	kill := func() {
		// Counted before the signal: the test's wait may return as soon as
		// the process dies, before Kill itself returns.
		if proc := current.Load(); proc != nil {
			killed.Add(1)
			if proc.Kill() != nil {
				killed.Add(-1)
			}
		}
	}
	p.Before(func(c *tap.Call) *tap.Reply {
		if calls.Add(1) == killAt.Load() {
			if killAfter.Load() {
				afterCall.Store(c)
			} else {
				kill()
				return &tap.Reply{Drop: true}
			}
		}
		if bad[c.Username] {
			return &tap.Reply{Status: 400, Code: "InvalidParameterException", Message: "odd user"}
		}
		if gone[c.Username] {
			srv.DeleteUser(c.Username)
		}
		return nil
	})
	p.After(func(c *tap.Call) {
		if afterCall.CompareAndSwap(c, nil) {
			kill()
		}
	})

	cp := filepath.Join(t.TempDir(), "sweep.json")
	args := []string{"--user-pool-id", srv.UserPoolID, "--endpoint-url", p.URL, "--rate", "250", "--list-rate", "300", "--resume", cp}
	for i := range kills {
		proc := start(t, args...)
		current.Store(proc.cmd.Process)
		if i > 0 {
			killAfter.Store(rnd.IntN(2) == 0)
			killAt.Store(calls.Load() + 1 + int64(rnd.IntN(n/6)))
		}
		var timer *time.Timer
		if i == 0 {
			// Any point, the very start included: before the first request
			// or the first save.
			timer = time.AfterFunc(time.Duration(rnd.IntN(150))*time.Millisecond, kill)
		}
		code := proc.wait(t)
		current.Store(nil)
		if timer != nil {
			timer.Stop()
		}
		require.Equal(t, -1, code, "run %d was killed before it finished: %s", i, proc.stderr.String())
		require.EqualValues(t, i+1, killed.Load(), "run %d was killed by the test", i)
	}
	killAt.Store(-1)
	require.EqualValues(t, kills, killed.Load())

	last := start(t, args...)
	code := last.wait(t)
	require.Equal(t, exitPartly, code, last.stderr.String())
	var s summary
	require.NoError(t, json.Unmarshal(last.stdout.Bytes(), &s))
	t.Logf("after %d kills: %+v; %d calls in all", kills, s, calls.Load())

	assert.True(t, s.Complete)
	assert.True(t, s.Resumed)
	assert.Equal(t, n-len(bad)-len(gone), s.SignedOut)
	assert.Equal(t, len(gone), s.Skipped)
	assert.Equal(t, len(bad), s.Failed)
	assert.Equal(t, n, s.SignedOut+s.Skipped+s.Failed, "the counts add up")
	assert.Equal(t, n, s.Listed)
	assert.Zero(t, s.Pending)
	assert.Equal(t, (n+59)/60, s.Pages)
	for _, f := range s.Failures {
		assert.True(t, bad[f.Username], f.Username)
	}
	signedOut := p.SignedOut()
	for i := range n {
		u := fmt.Sprintf("user%05d", i)
		if !bad[u] && !gone[u] {
			assert.Positive(t, signedOut[u], "%s was signed out", u)
		}
	}
	assert.Empty(t, p.RelistedAfterUse(), "no page begun was listed again")
	assert.Equal(t, []string{"sweep.json"}, files(t, filepath.Dir(cp)), "no temporary file is left")
	perToken := map[string]int{}
	for _, c := range p.Calls("ListUsers") {
		perToken[c.Token]++
	}
	t.Logf("pages listed twice (killed before their users were handed out): %d of %d", len(p.Calls("ListUsers"))-len(perToken), len(perToken))
}

// Interrupting the command stops it cleanly: exit 130, the summary
// printed, the checkpoint saved; the same command with --resume finishes.
func TestInterruptSavesTheCheckpoint(t *testing.T) {
	t.Parallel()
	const n = 300
	srv := standIn(t, n)
	p := tap.New(t, srv.URL)
	var signOuts atomic.Int64
	var current atomic.Pointer[os.Process]
	p.After(func(c *tap.Call) {
		if c.Op == "AdminUserGlobalSignOut" && signOuts.Add(1) == 100 {
			current.Load().Signal(os.Interrupt)
		}
	})
	cp := filepath.Join(t.TempDir(), "sweep.json")
	args := []string{"--user-pool-id", srv.UserPoolID, "--endpoint-url", p.URL, "--rate", "400", "--resume", cp}
	proc := start(t, args...)
	current.Store(proc.cmd.Process)
	require.Equal(t, exitInterrupted, proc.wait(t), proc.stderr.String())
	var s summary
	require.NoError(t, json.Unmarshal(proc.stdout.Bytes(), &s))
	assert.False(t, s.Complete)
	assert.Contains(t, proc.stderr.String(), "interrupted; run the same command with --resume "+cp)
	var saved struct {
		Done    int `json:"done"`
		Pending []struct {
			Username string `json:"username"`
		} `json:"pending"`
	}
	b, err := os.ReadFile(cp)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &saved))
	assert.Equal(t, s.SignedOut, saved.Done)
	assert.Equal(t, s.Pending, len(saved.Pending))
	assert.GreaterOrEqual(t, saved.Done, 75)

	assert.Equal(t, []string{"sweep.json"}, files(t, filepath.Dir(cp)), "no temporary file is left")

	proc = start(t, args...)
	require.Equal(t, exitDone, proc.wait(t), proc.stderr.String())
	require.NoError(t, json.Unmarshal(proc.stdout.Bytes(), &s))
	assert.Equal(t, n, s.SignedOut)
	assert.Len(t, p.SignedOut(), n)
	assert.Empty(t, p.RelistedAfterUse())
}
