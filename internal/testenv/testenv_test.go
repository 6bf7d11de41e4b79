package testenv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// roleEnv tells a copy of this test binary started by a test what to be.
const roleEnv = "SIGNOUT_TESTENV_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "go" {
		os.Exit(fakeGo())
	}
	goleak.VerifyTestMain(Main(m))
}

// outcome is a TB that records a skip or a failure and stops the goroutine
// calling it, as testing.T does.
type outcome struct {
	skipped, failed bool
	msg             string
}

func (o *outcome) Helper() {}
func (o *outcome) Skip(args ...any) {
	o.skipped, o.msg = true, args[0].(string)
	runtime.Goexit()
}
func (o *outcome) Fatalf(format string, args ...any) {
	o.failed = true
	runtime.Goexit()
}

// findIn runs p.find in a goroutine of its own, as a test would.
func findIn(p Part, c *counter) (path string, o *outcome) {
	o = &outcome{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path = p.find(o, c)
	}()
	<-done
	return path, o
}

func TestFind(t *testing.T) {
	bin := t.TempDir()
	prog := filepath.Join(bin, "fake-part")
	require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755))
	p := Part{Program: "fake-part", Install: "make fake-part", RequireEnv: "SIGNOUT_REQUIRE_FAKE"}

	t.Run("on PATH", func(t *testing.T) {
		t.Setenv("PATH", bin)
		t.Setenv(p.RequireEnv, "1")
		var c counter
		path, o := findIn(p, &c)
		assert.Equal(t, prog, path)
		assert.False(t, o.skipped || o.failed)
		assert.Empty(t, c.n)
	})
	for _, require := range []string{"", "0", "true", "yes"} {
		t.Run("missing, "+p.RequireEnv+"="+require, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv(p.RequireEnv, require)
			var c counter
			_, o := findIn(p, &c)
			assert.True(t, o.skipped, "skipped")
			assert.False(t, o.failed, "failed")
			assert.Equal(t, "fake-part not found (make fake-part); set SIGNOUT_REQUIRE_FAKE=1 to fail instead", o.msg)
			assert.Equal(t, map[string]int{p.missing(): 1}, c.n, "the skip is counted")
		})
	}
	t.Run("missing, "+p.RequireEnv+"=1", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		t.Setenv(p.RequireEnv, "1")
		var c counter
		_, o := findIn(p, &c)
		assert.True(t, o.failed, "failed")
		assert.False(t, o.skipped, "skipped")
		assert.Empty(t, c.n, "a failure is not a skip")
	})
}

// TestFindUnshims: a program found as a pyenv shim is the one "pyenv
// which" names, asked once; pyenv failing leaves the shim.
func TestFindUnshims(t *testing.T) {
	dir := t.TempDir()
	shimDir, real := filepath.Join(dir, "shims"), filepath.Join(dir, "versions", "fake-part")
	require.NoError(t, os.MkdirAll(shimDir, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Dir(real), 0o755))
	shim := filepath.Join(shimDir, "fake-part")
	require.NoError(t, os.WriteFile(shim, []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.WriteFile(real, []byte("#!/bin/sh\n"), 0o755))
	asked := filepath.Join(dir, "asked")
	pyenv := filepath.Join(shimDir, "pyenv")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s\n[ \"$1 $2\" = \"which fake-part\" ] && echo %s\n", asked, real)
	require.NoError(t, os.WriteFile(pyenv, []byte(script), 0o755))
	t.Setenv("PATH", shimDir)
	p := Part{Program: "fake-part", RequireEnv: "SIGNOUT_REQUIRE_FAKE"}
	t.Cleanup(func() { shims.Delete(shim) })

	for range 2 {
		path, o := findIn(p, &counter{})
		assert.False(t, o.skipped || o.failed)
		assert.Equal(t, real, path)
	}
	b, err := os.ReadFile(asked)
	require.NoError(t, err)
	assert.Equal(t, "which fake-part\n", string(b), "pyenv asked once")

	shims.Delete(shim)
	require.NoError(t, os.WriteFile(pyenv, []byte("#!/bin/sh\nexit 1\n"), 0o755))
	path, _ := findIn(p, &counter{})
	assert.Equal(t, shim, path, "the shim, when pyenv cannot say")
}

func TestReport(t *testing.T) {
	var c counter
	var empty bytes.Buffer
	c.report(&empty, "example.com/p")
	assert.Empty(t, empty.String(), "no skips, no report")

	for _, p := range []Part{Redis, Moto, Redis, Redis} {
		c.add(p.missing())
	}
	c.add(longProofs)
	var b bytes.Buffer
	c.report(&b, "example.com/p")
	assert.Equal(t, "example.com/p: 3 tests skipped: redis-server not found (apt-get install redis-server)\n"+
		"example.com/p: 1 test skipped: moto_server not found (pip install 'moto[server]')\n"+
		"example.com/p: 1 test skipped: long proofs, which SIGNOUT_LONG=1 runs (SIGNOUT_LONG=short at a small scale)\n", b.String())
}

// TestLongProof: a long proof runs with SIGNOUT_LONG=1 or short, and is
// skipped and counted otherwise.
func TestLongProof(t *testing.T) {
	for _, tc := range []struct {
		value string
		runs  bool
	}{{"1", true}, {"short", true}, {"", false}, {"0", false}, {"true", false}} {
		t.Run(LongEnv+"="+tc.value, func(t *testing.T) {
			t.Setenv(LongEnv, tc.value)
			var c counter
			o := &outcome{}
			done := make(chan struct{})
			go func() {
				defer close(done)
				longProof(o, &c)
			}()
			<-done
			assert.Equal(t, !tc.runs, o.skipped, "skipped")
			assert.False(t, o.failed)
			if tc.runs {
				assert.Empty(t, c.n)
			} else {
				assert.Equal(t, map[string]int{longProofs: 1}, c.n, "the skip is counted")
				assert.Contains(t, o.msg, "SIGNOUT_LONG=1 runs it")
			}
		})
	}
}

func TestPackagePath(t *testing.T) {
	tests := []struct{ fn, want string }{
		{"github.com/cognitogo/signout/verify.TestMain", "github.com/cognitogo/signout/verify"},
		{"github.com/cognitogo/signout/verify_test.TestMain", "github.com/cognitogo/signout/verify"},
		{"github.com/cognitogo/signout_test.TestMain", "github.com/cognitogo/signout"},
		{"github.com/cognitogo/signout/cmd/global-sign-out.TestMain.func1", "github.com/cognitogo/signout/cmd/global-sign-out"},
		{"example.com/a.b/c.TestMain", "example.com/a.b/c"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, packagePath(tc.fn), tc.fn)
	}
	assert.Equal(t, "github.com/cognitogo/signout/internal/testenv", Main(nil).pkg, "from its caller's name")
}

// TestSkippedPartReport runs a copy of this test binary in which a test
// lacks a part, under a parent named go and under one that is not, and
// checks where the report of the skip arrives.
func TestSkippedPartReport(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the go command's standard error is reached through /proc, on Linux only")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	goBin := filepath.Join(t.TempDir(), "go")
	require.NoError(t, os.Symlink(self, goBin))
	const line = "github.com/cognitogo/signout/internal/testenv: 1 test skipped: moto_server not found (pip install 'moto[server]')\n"

	// run starts bin, which starts the test binary if it is the fake go,
	// with stderr as its standard error, and returns its standard output.
	run := func(t *testing.T, bin string, stderr *os.File) string {
		cmd := exec.Command(bin, "-test.run=^TestHelperWithoutMoto$", "-test.count=1")
		cmd.Env = append(os.Environ(), roleEnv+"=go", "SIGNOUT_TESTENV_SELF="+self, "PATH="+t.TempDir(), Moto.RequireEnv+"=")
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, stderr
		require.NoError(t, cmd.Run(), stdout.String())
		return stdout.String()
	}
	stderrFile := func(t *testing.T, flag int) (*os.File, func() string) {
		path := filepath.Join(t.TempDir(), "stderr")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o600)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		return f, func() string {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			return string(b)
		}
	}

	t.Run("the go command's stderr, a pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer r.Close()
		got := make(chan []byte)
		go func() {
			var b bytes.Buffer
			b.ReadFrom(r)
			got <- b.Bytes()
		}()
		stdout := run(t, goBin, w)
		w.Close()
		assert.Equal(t, line, string(<-got))
		assert.NotContains(t, stdout, "skipped:", "the test binary's own output")
	})
	t.Run("the go command's stderr, a file opened to append", func(t *testing.T) {
		f, read := stderrFile(t, os.O_APPEND)
		stdout := run(t, goBin, f)
		assert.Equal(t, line, read())
		assert.NotContains(t, stdout, "skipped:")
	})
	t.Run("the go command's stderr, a file opened to overwrite", func(t *testing.T) {
		f, read := stderrFile(t, os.O_TRUNC)
		stdout := run(t, goBin, f)
		assert.Empty(t, read(), "the go command's next write would overwrite the line")
		assert.Contains(t, stdout, line, "the test binary's own stderr instead")
	})
	t.Run("a parent that is not go", func(t *testing.T) {
		f, read := stderrFile(t, os.O_APPEND)
		cmd := exec.Command(self, "-test.run=^TestHelperWithoutMoto$", "-test.count=1")
		cmd.Env = append(os.Environ(), roleEnv+"=test", "PATH="+t.TempDir(), Moto.RequireEnv+"=")
		cmd.Stderr = f
		out, err := cmd.Output()
		require.NoError(t, err, string(out))
		assert.Equal(t, line, read(), "the test binary's own stderr")
	})
}

func TestAtEnd(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^TestHelperAtEnd$", "-test.count=1")
	cmd.Env = append(os.Environ(), roleEnv+"=test")
	out, err := cmd.Output()
	require.NoError(t, err, string(out))
	assert.Equal(t, "PASS\nat end: second\nat end: first\n", string(out), "after the tests, the latest first")

	atEnd.mu.Lock()
	running := atEnd.running
	atEnd.running = false
	atEnd.mu.Unlock()
	t.Cleanup(func() {
		atEnd.mu.Lock()
		atEnd.running = running
		atEnd.mu.Unlock()
	})
	assert.False(t, AtEnd(func() {}), "not under Main")
}

// TestHelperAtEnd is the test TestAtEnd runs in a copy of this binary;
// elsewhere it does nothing.
func TestHelperAtEnd(t *testing.T) {
	if os.Getenv(roleEnv) != "test" {
		return
	}
	for _, s := range []string{"first", "second"} {
		require.True(t, AtEnd(func() { fmt.Println("at end:", s) }))
	}
}

// fakeGo stands for the go command: it runs this test binary with its own
// standard output as the binary's standard output and error, as go test
// does, and passes the arguments on.
func fakeGo() int {
	cmd := exec.Command(os.Getenv("SIGNOUT_TESTENV_SELF"), os.Args[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"=test")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
}

// TestHelperWithoutMoto is the test TestSkippedPartReport runs in a copy of
// this binary; elsewhere it does nothing.
func TestHelperWithoutMoto(t *testing.T) {
	if os.Getenv(roleEnv) != "test" {
		return
	}
	Moto.Find(t)
	t.Error("Find did not skip the test")
}

// TestParallelWidened: tests run by Main run up to parallelTests parallel
// tests at once when -parallel is not given, and as -parallel says when it
// is.
func TestParallelWidened(t *testing.T) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	got := flag.Lookup("test.parallel").Value.String()
	if given {
		t.Skipf("-parallel=%s given on the command line", got)
	}
	assert.Equal(t, strconv.Itoa(max(parallelTests, runtime.GOMAXPROCS(0))), got)
}
