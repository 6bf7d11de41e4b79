package redistest

import (
	"bufio"
	"net"
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
	s.Kill()
	assert.False(t, ping(s.Addr), "killed")
	s.Kill() // a second Kill is harmless
	s.Restart()
	assert.Equal(t, "v\r\n", do(t, s.Addr, "GET k"))
}

func TestFreezeAndThaw(t *testing.T) {
	s := Start(t)
	s.Freeze()
	assert.False(t, ping(s.Addr), "a frozen server answers nothing")
	s.Thaw()
	assert.Equal(t, "+PONG\r\n", do(t, s.Addr, "PING"))
	s.Freeze()
	s.Kill() // a frozen server can be killed
}
