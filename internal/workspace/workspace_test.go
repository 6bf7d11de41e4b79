package workspace

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOtherModules runs `go test ./...` in every module go.work names
// besides the root, with this run's -race, -short, -v, -count and the time
// left before its deadline.
func TestOtherModules(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "work", "edit", "-json")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("no go.work at the repository root (%v): the other modules' tests run with go test in their directories", err)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &work); err != nil {
		t.Fatalf("reading go work edit -json: %v", err)
	}
	for _, use := range work.Use {
		if filepath.Clean(use.DiskPath) == "." {
			continue
		}
		dir := filepath.Join(root, use.DiskPath)
		t.Run(filepath.ToSlash(filepath.Clean(use.DiskPath)), func(t *testing.T) {
			watch(t, dir)
			args := []string{"test"}
			if raceEnabled {
				args = append(args, "-race")
			}
			if testing.Short() {
				args = append(args, "-short")
			}
			if testing.Verbose() {
				args = append(args, "-v")
			}
			if f := flag.Lookup("test.count"); f != nil && f.Value.String() != "1" {
				args = append(args, "-count="+f.Value.String())
			}
			if d, ok := t.Deadline(); ok {
				args = append(args, "-timeout="+time.Until(d).Round(time.Second).String())
			}
			cmd := exec.Command("go", append(args, "./...")...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			t.Logf("go %v in %s:\n%s", args, use.DiskPath, out)
			if err != nil {
				t.Fatalf("go test in %s failed: %v", use.DiskPath, err)
			}
		})
	}
}

// watch stats every file of the module in dir, so that go test's cache of
// this test's result is dropped when one of them changes.
func watch(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name()[0] == '.' && path != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
}

// raceEnabled is set by race_test.go when this test runs with -race.
var raceEnabled bool
