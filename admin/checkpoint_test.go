package admin

import (
	"os"
	"path/filepath"
	"strings"
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
	// What a save killed before its rename leaves, or a link another user
	// planted at the temporary name.
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o600))
	require.NoError(t, os.Symlink(victim, filepath.Join(dir, ".sweep.json.tmp")))
	require.NoError(t, writeFileAtomic(path, []byte("second")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left, not even a killed save's")
	b, err = os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b), "nothing was written through the link")
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
	now := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	cp, err := loadCheckpoint(filepath.Join(dir, "none.json"), now)
	assert.NoError(t, err)
	assert.Nil(t, cp, "no file, no checkpoint")

	// good is a checkpoint of a sweep cut at 03:04:05 and saved a minute
	// later, after two pages of which five users were signed out and one
	// is pending; each case changes it with a replacer.
	const good = `{"version":1,"user_pool_id":"us-east-1_A","filter":"","cutoff":"2026-01-02T03:04:05Z",` +
		`"saved":"2026-01-02T03:05:05Z","next_page_token":"tok","pages":2,"listed_all":false,"done":5,"skipped":0,"failed":1,` +
		`"pending":[{"username":"a"}],"failures":[{"username":"b","kind":"ErrInvalidParameter"}]}`
	tests := []struct {
		name     string
		old, new string // replaced in good
		err      string
	}{
		{"good", "", "", ""},
		{"not JSON", good, `{"version":`, "not a checkpoint"},
		{"another version", `"version":1`, `"version":2`, "version 2"},
		{"an unknown field", `"pages":2`, `"pages":2,"pending_users":[]`, "unknown field"},
		{"no pool", `"us-east-1_A"`, `""`, "no user pool"},
		{"no cutoff", `"cutoff":"2026-01-02T03:04:05Z",`, ``, "no cutoff"},
		{"no time saved", `"saved":"2026-01-02T03:05:05Z",`, ``, "no time saved"},
		{"a cutoff in the future", `"cutoff":"2026-01-02T03:04:05Z"`, `"cutoff":"2026-01-02T05:00:00Z"`, "cutoff is in the future"},
		{"saved in the future", `"saved":"2026-01-02T03:05:05Z"`, `"saved":"2026-01-02T04:00:01Z"`, "saved in the future"},
		{"a cutoff after the save", `"cutoff":"2026-01-02T03:04:05Z"`, `"cutoff":"2026-01-02T03:06:00Z"`, "cutoff after"},
		{"a negative count", `"done":5`, `"done":-1`, "counts"},
		{"more users than the pages hold", `"done":5`, `"done":119`, "more users than 2 pages hold"},
		{"a count past any pool", `"pages":2`, `"pages":9223372036854775807`, "pages"},
		{"failures not counted", `"failed":1`, `"failed":0`, "failures"},
		{"a failure of an unknown kind", `"ErrInvalidParameter"`, `"ErrGremlins"`, "unknown kind"},
		{"a pending user that is no user name", `{"username":"a"}`, `{"username":"a b"}`, "user name"},
		{"a failed user that is no user name", `{"username":"b",`, `{"username":"",`, "user name"},
		{"pages left and no token", `"next_page_token":"tok",`, ``, "next page"},
		{"every page listed and a token", `"listed_all":false`, `"listed_all":true`, "next page"},
		{"users and no page", `"pages":2`, `"pages":0`, "page"},
		{"a negative estimate", `"pages":2`, `"pages":2,"estimate":-5`, "estimate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "cp.json")
			content := strings.Replace(good, tc.old, tc.new, 1)
			require.True(t, tc.old == "" || content != good, "the case changes the checkpoint")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			cp, err := loadCheckpoint(path, now)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 5, cp.Done)
			assert.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), cp.Cutoff)
			assert.Equal(t, []pending{{Username: "a"}}, cp.Pending)
			assert.Equal(t, 7, cp.listed())
			assert.False(t, cp.complete())
		})
	}
}

// A checkpoint is a regular file: a symbolic link to one is refused, so
// that a save never replaces the link, nor writes where another user
// planted one; a directory, a device or a pipe is no checkpoint.
func TestLoadCheckpointRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	require.NoError(t, os.WriteFile(target, []byte("{}"), 0o600))
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink(target, link))
	dangling := filepath.Join(dir, "dangling.json")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nothing"), dangling))
	for _, path := range []string{link, dangling, dir, os.DevNull} {
		_, err := loadCheckpoint(path, time.Now())
		assert.ErrorContains(t, err, "not a regular file", path)
	}
	assert.ErrorContains(t, writeFileAtomic(link, []byte("{}")), "not a regular file")
	assert.ErrorContains(t, writeFileAtomic(dangling, []byte("{}")), "not a regular file")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b), "the target is untouched")
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is not replaced")
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
