// Package redistest starts redis-server for tests, on a free loopback port
// with its data in a temporary directory, and can kill and restart it.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	s := &Server{t: t, bin: bin, Dir: t.TempDir()}
	t.Cleanup(s.Kill)
	// The port is free when chosen, but another listener, or a connection
	// of the tests running beside, may take it before redis-server binds
	// it: then redis-server exits, and it is started again on another port.
	for attempt := 1; ; attempt++ {
		s.port = freePort(t)
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
		err := s.start()
		if err == nil {
			return s
		}
		if err != errExited || attempt == 3 {
			t.Fatalf("%v (attempt %d)", err, attempt)
		}
	}
}

// errExited is start's error when redis-server exits before answering.
var errExited = errors.New("redis-server exited before answering")

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
	if err := s.start(); err != nil {
		s.t.Fatalf("%v", err)
	}
}

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("redistest: Restart while redis-server is running")
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
		return fmt.Errorf("starting redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			s.mu.Lock()
			if s.cmd == cmd {
				s.cmd = nil
			}
			s.mu.Unlock()
			s.t.Logf("redis-server exited before answering:\n%s", out.String())
			return errExited
		default:
		}
		if ping(s.Addr, cmd.Process.Pid) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer on %s within 10s:\n%s", s.Addr, out.String())
		}
		<-time.After(20 * time.Millisecond)
	}
}

// ping reports whether the server at addr is the process pid (a
// redis-server of another test may hold the port), and answers PING with
// PONG: while it loads its AOF it answers LOADING instead.
func ping(addr string, pid int) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("INFO server\r\nPING\r\n")); err != nil {
		return false
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return false
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil || n < 0 || n > 1<<16 {
		return false
	}
	info := make([]byte, n+2)
	if _, err := io.ReadFull(r, info); err != nil || !strings.Contains(string(info), "\nprocess_id:"+strconv.Itoa(pid)+"\r") {
		return false
	}
	line, err := r.ReadString('\n')
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
