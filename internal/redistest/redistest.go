// Package redistest starts redis-server for tests, on a free loopback port
// with its data in a temporary directory, and can kill and restart it.
package redistest

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognitogo/signout/internal/testenv"
)

// Server is a redis-server run for one test. Persistence is on: every write
// is appended to an AOF and fsynced before Redis answers, so what was
// written survives Kill. What Redis writes to disk is left uncompressed
// (an AOF of commands only, RDB strings without LZF), so that a test can
// search it for secrets.
type Server struct {
	// Addr is host:port on the loopback interface.
	Addr string
	// Dir is the directory Redis keeps its files in.
	Dir string

	t    testing.TB
	bin  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *bytes.Buffer
}

// Start runs redis-server until the test ends. Without redis-server on PATH
// it skips the test, or fails it when SIGNOUT_REQUIRE_REDIS is "1" (see
// [testenv.Part.Find]).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testenv.Redis.Find(t)
	s := &Server{t: t, bin: bin, Dir: t.TempDir(), port: freePort(t)}
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
	t.Cleanup(s.Kill)
	s.Restart()
	return s
}

// Kill stops redis-server with SIGKILL, as a crash would, and waits for it
// to exit. It does nothing when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// Freeze stops redis-server with SIGSTOP, as a hung server or a network
// that drops packets would: connections stay open and new ones are
// accepted by the kernel, but nothing is answered until Thaw.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a server Freeze stopped.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatalf("redistest: %v while redis-server is not running", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: %v: %v", sig, err)
	}
}

// Restart starts redis-server again on the same port and data directory,
// after Kill, and waits until it answers PING (after loading its AOF).
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		s.t.Fatalf("redistest: Restart while redis-server is running")
	}
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(s.port), "--dir", s.Dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--aof-use-rdb-preamble", "no", "--rdbcompression", "no",
		"--daemonize", "no", "--logfile", "", "--databases", "1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("starting redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for !ping(s.Addr) {
		select {
		case <-exited:
			s.t.Fatalf("redis-server exited before answering:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not answer on %s within 10s:\n%s", s.Addr, out.String())
		}
	}
}

// ping reports whether a server at addr answers PING with PONG: while it
// loads its AOF it answers LOADING instead.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
