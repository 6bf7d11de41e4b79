package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cognitogo/signout"
)

// checkpointVersion is the version of the checkpoint format; a file of
// another version is refused rather than misread.
const checkpointVersion = 1

// checkpoint is a sweep's progress as saved in its file, in JSON. Every
// save is a consistent snapshot: the users of every page listed are either
// counted (done, skipped, failed) or pending, so a resumed run handles the
// pending ones, lists from Next, and counts each user once.
type checkpoint struct {
	Version    int       `json:"version"`
	UserPoolID string    `json:"user_pool_id"`
	Filter     string    `json:"filter"`
	Cutoff     time.Time `json:"cutoff"` // when the last run began
	Saved      time.Time `json:"saved"`
	// Next is the pagination token of the next page to list; "" with
	// Pages 0 is the first page.
	Next      string    `json:"next_page_token,omitempty"`
	Pages     int       `json:"pages"`      // pages listed
	ListedAll bool      `json:"listed_all"` // the last page has been listed
	Estimate  int       `json:"estimate,omitempty"`
	Done      int       `json:"done"`
	Skipped   int       `json:"skipped"`
	Failed    int       `json:"failed"`
	Pending   []pending `json:"pending"` // listed, not yet handled
	Failures  []failure `json:"failures,omitempty"`
}

// pending is a user listed but not yet handled.
type pending struct {
	Username string `json:"username"`
	Sub      string `json:"sub,omitempty"`
	page     int    // the page it was listed on in this run; -1 when the run began with it pending
}

// failure is a Failure as saved.
type failure struct {
	Username   string `json:"username"`
	Kind       string `json:"kind"` // the sentinel's name, such as "ErrInvalidParameter"
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
}

func (cp *checkpoint) complete() bool { return cp.ListedAll && len(cp.Pending) == 0 }

func (cp *checkpoint) listed() int { return cp.Done + cp.Skipped + cp.Failed + len(cp.Pending) }

// kinds are the sentinels a failure saved in a checkpoint may have.
var kinds = []error{signout.ErrNotAuthorized, signout.ErrTokenRevoked, signout.ErrTokenExpired,
	signout.ErrInvalidToken, signout.ErrMissingScope, signout.ErrUserNotFound, signout.ErrResourceNotFound,
	signout.ErrForbidden, signout.ErrThrottled, signout.ErrInvalidParameter, signout.ErrOperationNotEnabled,
	signout.ErrService, signout.ErrNetwork, signout.ErrTimeout, signout.ErrInvalidOption}

// sentinelName and sentinelByName turn a sentinel to its saved name and back.
func sentinelName(kind error) string {
	if kind == nil {
		return ""
	}
	return fmt.Sprintf("%#v", kind)[len("signout."):]
}

func sentinelByName(name string) error {
	for _, s := range kinds {
		if sentinelName(s) == name {
			return s
		}
	}
	return nil
}

func toFailure(username string, err error) failure {
	e := asError(err)
	return failure{Username: username, Kind: sentinelName(e.Kind), Code: e.Code, Message: e.Message,
		RequestID: e.RequestID, StatusCode: e.StatusCode}
}

func (f failure) export() Failure {
	kind := sentinelByName(f.Kind)
	if kind == nil {
		kind = signout.ErrService
	}
	return Failure{Username: f.Username, Err: &signout.Error{Op: opAdminSignOut, Kind: kind,
		Code: f.Code, Message: f.Message, RequestID: f.RequestID, StatusCode: f.StatusCode, Attempts: 1}}
}

// maxCheckpointSize bounds the file read: MaxFailures failures with their
// messages, and the pending users of the pages in flight, take far less.
const maxCheckpointSize = 64 << 20

// maxPages bounds a checkpoint's page count, far past any pool, so that no
// count can overflow.
const maxPages = 1 << 32

// loadCheckpoint reads the checkpoint at path and checks it, as of now; it
// returns nil, nil when there is no file.
func loadCheckpoint(path string, now time.Time) (*checkpoint, error) {
	if err := regularOrMissing(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCheckpointSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCheckpointSize {
		return nil, fmt.Errorf("not a checkpoint: larger than %d MiB", maxCheckpointSize>>20)
	}
	var cp checkpoint
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&cp); err != nil {
		return nil, errors.New("not a checkpoint: " + err.Error())
	}
	if d.More() {
		return nil, errors.New("not a checkpoint: data after the JSON object")
	}
	if err := cp.check(now); err != nil {
		return nil, errors.New("not a valid checkpoint: " + err.Error())
	}
	return &cp, nil
}

// regularOrMissing refuses a path that names something other than a
// regular file, a symbolic link included: a save would replace the link,
// and following it would write wherever whoever made it chose.
func regularOrMissing(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, not a regular file: name its target", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// check reports what makes cp something no sweep saved, as of now: a
// version, pool or time missing; a time in the future, when a cutoff would
// refuse every later sign-in; counts that do not add up.
func (cp *checkpoint) check(now time.Time) error {
	switch {
	case cp.Version != checkpointVersion:
		return fmt.Errorf("checkpoint version %d; this program reads version %d", cp.Version, checkpointVersion)
	case cp.UserPoolID == "":
		return errors.New("no user pool id")
	case cp.Cutoff.IsZero():
		return errors.New("no cutoff")
	case cp.Saved.IsZero():
		return errors.New("no time saved")
	case cp.Cutoff.After(now):
		return fmt.Errorf("its cutoff is in the future (%s, now %s): check this computer's clock, or the file's origin",
			cp.Cutoff.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case cp.Saved.After(now):
		return fmt.Errorf("saved in the future (%s, now %s): check this computer's clock, or the file's origin",
			cp.Saved.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case cp.Cutoff.After(cp.Saved):
		return errors.New("a cutoff after the time it was saved")
	case cp.Pages < 0 || cp.Pages > maxPages:
		return fmt.Errorf("%d pages", cp.Pages)
	case cp.Estimate < 0:
		return errors.New("a negative estimate")
	case cp.Done < 0 || cp.Skipped < 0 || cp.Failed < 0:
		return errors.New("negative counts")
	case cp.listed() > cp.Pages*pageSize:
		return fmt.Errorf("more users than %d pages hold", cp.Pages)
	case len(cp.Failures) > min(cp.Failed, MaxFailures):
		return fmt.Errorf("%d failures listed, %d counted", len(cp.Failures), cp.Failed)
	case cp.Pages == 0 && (cp.ListedAll || cp.Next != ""):
		return errors.New("no page listed, and a next page token or every page listed")
	case cp.Pages > 0 && cp.ListedAll != (cp.Next == ""):
		return errors.New("a next page token where every page is listed, or none where pages are left")
	}
	for _, p := range cp.Pending {
		if !validUsername(p.Username) {
			return errors.New("a pending user without a valid user name")
		}
	}
	for _, f := range cp.Failures {
		switch {
		case !validUsername(f.Username):
			return errors.New("a failed user without a valid user name")
		case f.Kind != "" && sentinelByName(f.Kind) == nil:
			return fmt.Errorf("a failure of unknown kind %q", f.Kind)
		}
	}
	return nil
}

// tempSuffix names the file a save writes before renaming it over the
// checkpoint. The name is fixed, so that the file a killed save leaves is
// replaced and removed by the next save, not left behind among others.
const tempSuffix = ".tmp"

// writeFileAtomic replaces path with data so that a reader, or a run
// killed at any point, finds the old file or the new one whole: the data is
// written to a temporary file in the same directory, synced, and renamed
// over path. A path that is not a regular file, such as a symbolic link,
// is refused rather than replaced.
func writeFileAtomic(path string, data []byte) error {
	if err := regularOrMissing(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp := filepath.Join(dir, "."+base+tempSuffix)
	// O_EXCL: a file or link someone else put at the temporary name is
	// removed, never written through.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// Make the rename itself durable; a directory that cannot be synced
	// (some file systems) still has the file.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
