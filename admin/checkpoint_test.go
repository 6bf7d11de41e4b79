package admin

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.json")
	require.NoError(t, writeFileAtomic(path, []byte("first")))
	require.NoError(t, writeFileAtomic(path, []byte("second")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "user names are kept from other users")

	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if os.Geteuid() != 0 { // root writes anywhere
		assert.Error(t, writeFileAtomic(path, []byte("third")))
		b, _ = os.ReadFile(path)
		assert.Equal(t, "second", string(b), "a failed write leaves the old file")
	}
}

func TestLoadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cp, err := loadCheckpoint(filepath.Join(dir, "none.json"))
	assert.NoError(t, err)
	assert.Nil(t, cp, "no file, no checkpoint")

	good := `{"version":1,"user_pool_id":"us-east-1_A","cutoff":"2026-01-02T03:04:05Z","pages":2,"done":5,"pending":[{"username":"a"}]}`
	tests := []struct {
		name, content, err string
	}{
		{"good", good, ""},
		{"not JSON", `{"version":`, "not a checkpoint"},
		{"another version", `{"version":2,"user_pool_id":"us-east-1_A","cutoff":"2026-01-02T03:04:05Z"}`, "version 2"},
		{"no pool", `{"version":1,"cutoff":"2026-01-02T03:04:05Z"}`, "fields are missing"},
		{"no cutoff", `{"version":1,"user_pool_id":"us-east-1_A"}`, "fields are missing"},
		{"negative count", `{"version":1,"user_pool_id":"us-east-1_A","cutoff":"2026-01-02T03:04:05Z","done":-1}`, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "cp.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			cp, err := loadCheckpoint(path)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 5, cp.Done)
			assert.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), cp.Cutoff)
			assert.Equal(t, []pending{{Username: "a", page: -1}}, cp.Pending, "resumed users belong to no page of this run")
			assert.Equal(t, 6, cp.listed())
			assert.False(t, cp.complete())
		})
	}
}

func TestFailuresKeepTheirSentinel(t *testing.T) {
	for _, s := range kinds {
		f := toFailure("alice", &signout.Error{Kind: s, Code: "C", Message: "m", StatusCode: 400, RequestID: "r"})
		e := f.export().Err
		assert.Equal(t, s, e.Kind, "%#v", s)
		assert.Equal(t, "AdminUserGlobalSignOut", e.Op)
		assert.Equal(t, "C", e.Code)
		assert.Equal(t, 400, e.StatusCode)
	}
}
