package redistest

import (
	"bufio"
	"bytes"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }

// do sends one inline command and returns the first line of the answer.
func do(t *testing.T, addr, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Write([]byte(cmd + "\r\n"))
	require.NoError(t, err)
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	if line[0] == '$' && line != "$-1\r\n" {
		line, err = r.ReadString('\n')
		require.NoError(t, err)
	}
	return line
}

func TestWritesSurviveKill(t *testing.T) {
	s := Start(t)
	assert.Equal(t, "+OK\r\n", do(t, s.Addr, "SET k v"))
	pid := s.pid()
	require.True(t, ping(s.Addr, pid), "running")
	s.Kill()
	assert.False(t, ping(s.Addr, pid), "killed")
	s.Kill() // a second Kill is harmless
	s.Restart()
	assert.Equal(t, "v\r\n", do(t, s.Addr, "GET k"))
}

// TestPingKnowsItsServer: a redis-server of another test on the port is
// not taken for the one started, whose start would then have failed.
func TestPingKnowsItsServer(t *testing.T) {
	a, b := Start(t), Start(t)
	assert.True(t, ping(a.Addr, a.pid()))
	assert.False(t, ping(a.Addr, b.pid()), "another redis-server's answer")
}

// pid is the running redis-server's process id.
func (s *Server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

func TestFreezeAndThaw(t *testing.T) {
	s := Start(t)
	s.Freeze()
	assert.False(t, ping(s.Addr, s.pid()), "a frozen server answers nothing")
	s.Thaw()
	assert.Equal(t, "+PONG\r\n", do(t, s.Addr, "PING"))
	s.Freeze()
	s.Kill() // a frozen server can be killed
}

// rewritten reports whether the server has no AOF rewrite under way or
// waiting, and rewrote its AOF once.
func rewritten(t *testing.T, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Write([]byte("INFO persistence\r\n"))
	require.NoError(t, err)
	r := bufio.NewReader(c)
	_, err = r.ReadString('\n') // the bulk string's length
	require.NoError(t, err)
	info := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSpace(line)
		if line == "" && len(info) > 0 {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[k] = v
		}
	}
	return info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0" && info["aof_last_bgrewrite_status"] == "ok" &&
		info["aof_rewrites"] == "1"
}

// filesHold reports whether a file in dir, or below it, holds s.
func filesHold(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, []byte(s))
		return err
	})
	require.NoError(t, err)
	return found
}

// TestFilesArePlain: what Redis writes to Dir can be searched as it is,
// after an AOF rewrite too.
func TestFilesArePlain(t *testing.T) {
	s := Start(t)
	value := strings.Repeat("plain-", 20) // LZF would compress it
	assert.Equal(t, "+OK\r\n", do(t, s.Addr, "SET k "+value))
	assert.True(t, filesHold(t, s.Dir, value), "in the AOF")
	assert.Equal(t, "+Background append only file rewriting started\r\n", do(t, s.Addr, "BGREWRITEAOF"))
	require.Eventually(t, func() bool { return rewritten(t, s.Addr) }, 10*time.Second, 10*time.Millisecond, "the rewrite ends")
	s.Kill()
	s.Restart()
	assert.Equal(t, value+"\r\n", do(t, s.Addr, "GET k"))
	assert.True(t, filesHold(t, s.Dir, value), "in the rewritten AOF")
}
