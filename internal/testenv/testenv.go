// Package testenv is for this repository's tests. It finds the real
// programs the integration tests run (moto_server, the aws CLI,
// redis-server, chromium), skips a test that lacks one and reports those
// skips once per package; it stops, after a package's tests, the parts
// they shared; it skips the long proofs unless SIGNOUT_LONG asks for them
// and sizes them; and its Clock is the time source tests move by hand.
package testenv

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// LongEnv names the variable that asks for the long proofs (soaks, kills,
// fleets), and for the proofs at scale in full: "1" runs them in full, as
// .ci/run does;
// "short" runs them at the small sizes Scale gives, as .ci/run's race
// detector run does. Unset, or any other value, [LongProof] skips them.
const LongEnv = "SIGNOUT_LONG"

// Long reports whether SIGNOUT_LONG is "1": whether the proofs at scale
// run in full.
func Long() bool { return os.Getenv(LongEnv) == "1" }

// Scale returns long when SIGNOUT_LONG is "1" and short otherwise. A proof
// at scale takes its sizes from it, so that by default it runs the same code
// on fewer users or iterations.
func Scale[T any](short, long T) T {
	if Long() {
		return long
	}
	return short
}

// longProofs is the reason a long proof was skipped, as the report says it.
const longProofs = "long proofs, which SIGNOUT_LONG=1 runs (SIGNOUT_LONG=short at a small scale)"

// LongProof skips t unless SIGNOUT_LONG is "1" or "short", and counts the
// skip for the report [Tests.Run] writes. A soak, a kill or a fleet calls
// it first: the default run of the suite leaves them to CI.
func LongProof(t TB) {
	t.Helper()
	longProof(t, &skips)
}

func longProof(t TB, c *counter) {
	t.Helper()
	if v := os.Getenv(LongEnv); v == "1" || v == "short" {
		return
	}
	c.add(longProofs)
	t.Skip("a long proof: " + LongEnv + "=1 runs it (" + LongEnv + "=short at a small scale)")
}

// A Part is a program tests run for real.
type Part struct {
	// Program is the name looked up on PATH.
	Program string
	// Install says how to install it.
	Install string
	// RequireEnv names the variable that, set to "1", makes a missing
	// Program fail the test instead of skipping it; .ci/run sets it.
	RequireEnv string
}

// The parts the tests run.
var (
	Moto     = Part{Program: "moto_server", Install: "pip install 'moto[server]'", RequireEnv: "SIGNOUT_REQUIRE_MOTO"}
	AWSCLI   = Part{Program: "aws", Install: "pip install awscli", RequireEnv: "SIGNOUT_REQUIRE_AWS"}
	Redis    = Part{Program: "redis-server", Install: "apt-get install redis-server", RequireEnv: "SIGNOUT_REQUIRE_REDIS"}
	Chromium = Part{Program: "chromium", Install: "apt-get install chromium", RequireEnv: "SIGNOUT_REQUIRE_CHROMIUM"}
)

// TB is the part of testing.TB that Find uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatalf(format string, args ...any)
}

// Find returns the path of p.Program. When it is not on PATH, Find fails t
// if p.RequireEnv is "1"; otherwise it skips t, saying why, and counts the
// skip for the report [Tests.Run] writes.
func (p Part) Find(t TB) string {
	t.Helper()
	return p.find(t, &skips)
}

func (p Part) find(t TB, c *counter) string {
	t.Helper()
	path, err := exec.LookPath(p.Program)
	if err == nil {
		return unshim(path)
	}
	if os.Getenv(p.RequireEnv) == "1" {
		t.Fatalf("%s not found and %s=1: install it (%s)", p.Program, p.RequireEnv, p.Install)
		return ""
	}
	c.add(p.missing())
	t.Skip(p.missing() + "; set " + p.RequireEnv + "=1 to fail instead")
	return ""
}

// shims maps the path of each pyenv shim Find met to the program it runs.
var shims sync.Map

// unshim returns the program that the pyenv shim at path runs, as
// "pyenv which" names it, or path when it is none. A shim is a shell
// script that runs pyenv to choose a Python on every call: "aws --version"
// took 0.8 to 1.5 s through the shim and 0.45 to 0.76 s without, on a busy
// 2-core machine.
func unshim(path string) string {
	if filepath.Base(filepath.Dir(path)) != "shims" {
		return path
	}
	if real, ok := shims.Load(path); ok {
		return real.(string)
	}
	real := path
	out, err := exec.Command("pyenv", "which", filepath.Base(path)).Output()
	if p := strings.TrimSpace(string(out)); err == nil && filepath.IsAbs(p) {
		real = p
	}
	shims.Store(path, real)
	return real
}

func (p Part) missing() string {
	return fmt.Sprintf("%s not found (%s)", p.Program, p.Install)
}

// skips counts the tests of this test binary that Find or LongProof
// skipped.
var skips counter

// counter counts skipped tests per reason: a missing part, or long proofs.
type counter struct {
	mu      sync.Mutex
	reasons []string // in the order first met
	n       map[string]int
}

func (c *counter) add(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[reason] == 0 {
		c.reasons = append(c.reasons, reason)
	}
	c.n[reason]++
}

// report writes one line per reason, naming the package pkg.
func (c *counter) report(w io.Writer, pkg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	for _, r := range c.reasons {
		n := c.n[r]
		tests := "tests"
		if n == 1 {
			tests = "test"
		}
		fmt.Fprintf(&b, "%s: %d %s skipped: %s\n", pkg, n, tests, r)
	}
	if b.Len() > 0 {
		w.Write(b.Bytes()) // one write, so that packages' lines do not mix
	}
}

// Runner runs a package's tests and returns the exit code: *testing.M, or
// a wrapper of it.
type Runner interface{ Run() int }

// Tests are a package's tests, as TestMain runs them.
type Tests struct {
	m   Runner
	pkg string
}

// Main wraps m for TestMain:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }
//
// It must be called from TestMain itself, whose function name gives the
// package's import path for the report of skipped tests.
func Main(m Runner) Tests {
	pkg := ""
	if pc, _, _, ok := runtime.Caller(1); ok {
		pkg = packagePath(runtime.FuncForPC(pc).Name())
	}
	return Tests{m: m, pkg: pkg}
}

// parallelTests is how many tests calling t.Parallel run at once, unless
// -parallel says otherwise: this repository's parallel tests wait (on
// retry backoffs, timeouts, a quota's pace, outages) far more than they
// compute, and the default, GOMAXPROCS, would run them two at a time on a
// 2-core machine.
const parallelTests = 8

// widenParallel raises -test.parallel to parallelTests when the command
// line did not set it.
func widenParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && runtime.GOMAXPROCS(0) < parallelTests {
		flag.Set("test.parallel", strconv.Itoa(parallelTests))
	}
}

// Run runs the tests (up to parallelTests of those calling t.Parallel at
// once, unless -parallel says otherwise), then the functions given to AtEnd, the latest first,
// and returns the tests' exit code. Last it writes a line such as
//
//	github.com/cognitogo/signout/verify: 3 tests skipped: moto_server not found (pip install 'moto[server]')
//
// for each missing part to the standard error of the go command running
// the test binary: go test prints nothing of a passing package's own
// output, so the skips would go unsaid. Where that standard error cannot be
// reached (not Linux, a binary run by hand, a log file written without
// O_APPEND), the line goes to the binary's own standard error.
func (ts Tests) Run() int {
	atEnd.mu.Lock()
	atEnd.running = true
	atEnd.mu.Unlock()
	widenParallel()
	code := ts.m.Run()
	atEnd.mu.Lock()
	fs := atEnd.fs
	atEnd.running, atEnd.fs = false, nil
	atEnd.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	w, done := goStderr()
	defer done()
	skips.report(w, ts.pkg)
	return code
}

// atEnd holds what AtEnd registered while Tests.Run runs the tests.
var atEnd struct {
	mu      sync.Mutex
	running bool
	fs      []func()
}

// AtEnd registers f to run when the package's tests are over, before
// goleak looks for leaks: it stops a part the tests share, started once. It
// reports false, and registers nothing, when the tests do not run under
// [Main].
func AtEnd(f func()) bool {
	atEnd.mu.Lock()
	defer atEnd.mu.Unlock()
	if !atEnd.running {
		return false
	}
	atEnd.fs = append(atEnd.fs, f)
	return true
}

// packagePath returns the import path of the package declaring the
// function named fn (as runtime.Func.Name spells it), without the _test of
// an external test package.
func packagePath(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		fn = fn[:slash+1+dot]
	}
	return strings.TrimSuffix(fn, "_test")
}

// goStderr returns the standard error of this process's parent when the
// parent is the go command and writing to it is safe, and os.Stderr
// otherwise; done closes what it opened.
func goStderr() (w io.Writer, done func()) {
	ppid := strconv.Itoa(os.Getppid())
	comm, err := os.ReadFile("/proc/" + ppid + "/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return os.Stderr, func() {}
	}
	f, err := os.OpenFile("/proc/"+ppid+"/fd/2", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stderr, func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode().IsRegular() && !appends(ppid) {
		// The go command writes to a file at its own offset, which this new
		// open file does not share: its next write would overwrite the line.
		f.Close()
		return os.Stderr, func() {}
	}
	return f, func() { f.Close() }
}

// appends reports whether the parent's standard error was opened with
// O_APPEND, as a shell's 2>> opens it.
func appends(ppid string) bool {
	info, err := os.ReadFile("/proc/" + ppid + "/fdinfo/2")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(info)) {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&syscall.O_APPEND != 0
		}
	}
	return false
}
