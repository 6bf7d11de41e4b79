package admin

import (
	"encoding/json"
	"errors"
	"fmt"
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
	page     int    // the page it was listed on in this run; -1 for a resumed one
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
	return signout.ErrService
}

func toFailure(username string, err error) failure {
	e := asError(err)
	return failure{Username: username, Kind: sentinelName(e.Kind), Code: e.Code, Message: e.Message,
		RequestID: e.RequestID, StatusCode: e.StatusCode}
}

func (f failure) export() Failure {
	return Failure{Username: f.Username, Err: &signout.Error{Op: opAdminSignOut, Kind: sentinelByName(f.Kind),
		Code: f.Code, Message: f.Message, RequestID: f.RequestID, StatusCode: f.StatusCode, Attempts: 1}}
}

// loadCheckpoint reads the checkpoint at path; it returns nil, nil when
// there is no file.
func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, errors.New("not a checkpoint: " + err.Error())
	}
	switch {
	case cp.Version != checkpointVersion:
		return nil, fmt.Errorf("checkpoint version %d; this program reads version %d", cp.Version, checkpointVersion)
	case cp.UserPoolID == "" || cp.Cutoff.IsZero() || cp.Done < 0 || cp.Skipped < 0 || cp.Failed < 0 || cp.Pages < 0:
		return nil, errors.New("not a checkpoint: fields are missing or out of range")
	}
	for i := range cp.Pending {
		cp.Pending[i].page = -1
	}
	return &cp, nil
}

// writeFileAtomic replaces path with data so that a reader, or a run
// killed at any point, finds the old file or the new one whole: the data is
// written to a temporary file in the same directory, synced, and renamed
// over path.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
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
