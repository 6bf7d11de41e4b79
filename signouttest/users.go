package signouttest

import (
	"cmp"
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// user is one user of the pool; a deleted one stays in Server.order.
type user struct {
	name, sub, status string            // status is cognito:user_status
	attrs             map[string]string // sub and the attributes given to AddUser
	disabled, deleted bool
	created           time.Time
	sessions          []*session
}

// AddUser adds a user without signing it in, cheaply enough for pools of
// thousands. attrs are its attributes, such as email; two keys set what
// Cognito keeps beside them: "cognito:user_status" (default "CONFIRMED")
// and "status" ("Enabled", the default, or "Disabled": its tokens are then
// refused). The server makes its sub. AddUser panics if the user exists or
// on another status.
func (s *Server) AddUser(username string, attrs map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st := attrs["status"]; {
	case s.users[username] != nil:
		panic("signouttest: AddUser: user " + strconv.Quote(username) + " exists")
	case st != "" && st != "Enabled" && st != "Disabled":
		panic("signouttest: AddUser: status is Enabled or Disabled, not " + strconv.Quote(st))
	}
	u := s.addUserLocked(username)
	maps.Copy(u.attrs, attrs)
	u.attrs["sub"], u.disabled = u.sub, attrs["status"] == "Disabled"
	u.status = strings.ToUpper(cmp.Or(attrs["cognito:user_status"], u.status))
	delete(u.attrs, "cognito:user_status")
	delete(u.attrs, "status")
}

func (s *Server) addUserLocked(username string) *user {
	if s.primary != nil {
		panic("signouttest: a replica makes no users: make " + strconv.Quote(username) + " at the primary")
	}
	sub := randomUUID()
	u := &user{name: username, sub: sub, status: "CONFIRMED", attrs: map[string]string{"sub": sub}, created: time.Now()}
	s.users[username] = u
	s.order = append(s.order, u)
	return u
}

// DeleteUser deletes username, if there is one, as AdminDeleteUser does:
// its tokens are refused with UserNotFoundException and ListUsers leaves it
// out. SignIn or AddUser may then make a new user, with a new sub, of that name.
func (s *Server) DeleteUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[username]; u != nil {
		u.deleted = true
		delete(s.users, username)
	}
}

// signOut ends every session of u, as a global sign-out does.
func (u *user) signOut() {
	for _, sess := range u.sessions {
		sess.revoked = true
	}
}

// attributes returns u's attributes named in names (all when names is nil)
// in Cognito's Name/Value shape, sorted by name.
func (u *user) attributes(names []string) []map[string]string {
	out := []map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(u.attrs)) {
		if names == nil || slices.Contains(names, k) {
			out = append(out, map[string]string{"Name": k, "Value": u.attrs[k]})
		}
	}
	return out
}

func (s *Server) adminUserGlobalSignOut(in *input) (any, *apiError) {
	u := s.users[in.Username]
	switch {
	case in.Username == "":
		return nil, missing("username")
	case u == nil:
		return nil, userNotFound
	}
	u.signOut()
	return struct{}{}, nil
}

// filterRE is the ListUsers filter the stand-in knows: an attribute, = or
// ^=, and a value in double quotes with backslash escapes.
var filterRE = regexp.MustCompile(`^\s*([\w:]+)\s*(\^?=)\s*("(?:[^"\\]|\\.)*")\s*$`)

// parseFilter turns a ListUsers filter into a test of a user.
func parseFilter(filter string) (func(*user) bool, *apiError) {
	if strings.TrimSpace(filter) == "" {
		return func(*user) bool { return true }, nil
	}
	m := filterRE.FindStringSubmatch(filter)
	var want string
	var err error
	if m != nil {
		want, err = strconv.Unquote(m[3])
	}
	searchable := []string{"username", "email", "phone_number", "name", "given_name", "family_name",
		"preferred_username", "cognito:user_status", "status", "sub"}
	switch {
	case m == nil || err != nil:
		return nil, fail("InvalidParameterException", "Error while parsing filter.")
	case !slices.Contains(searchable, m[1]):
		return nil, fail("InvalidParameterException", "Invalid search attribute: "+m[1])
	}
	attr := m[1]
	if attr == "cognito:user_status" { // the one Cognito matches case-insensitively
		want = strings.ToUpper(want)
	}
	return func(u *user) bool {
		v, ok := u.attrs[attr]
		switch attr {
		case "username":
			v, ok = u.name, true
		case "status":
			v, ok = map[bool]string{false: "Enabled", true: "Disabled"}[u.disabled], true
		case "cognito:user_status":
			v, ok = u.status, true
		}
		return ok && (v == want || m[2] == "^=" && strings.HasPrefix(v, want))
	}, nil
}

func (s *Server) listUsers(in *input) (any, *apiError) {
	if in.Limit < 0 || in.Limit > 60 {
		return nil, fail("InvalidParameterException", "1 validation error detected: Value '"+strconv.Itoa(in.Limit)+
			"' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60")
	}
	match, e := parseFilter(in.Filter)
	if e != nil {
		return nil, e
	}
	// A page token is the pool and the position in s.order of the next user.
	start := 0
	if in.PaginationToken != "" {
		b, _ := base64.RawURLEncoding.DecodeString(in.PaginationToken)
		n, ok := strings.CutPrefix(string(b), s.UserPoolID+"/")
		var err error
		if start, err = strconv.Atoi(n); !ok || err != nil || start < 0 || start > len(s.order) {
			return nil, fail("InvalidParameterException", "Invalid pagination token.")
		}
	}
	users, out := []map[string]any{}, map[string]any{}
	for i := start; i < len(s.order); i++ {
		u := s.order[i]
		if u.deleted || !match(u) {
			continue
		}
		if len(users) == cmp.Or(in.Limit, 60) {
			out["PaginationToken"] = b64([]byte(s.UserPoolID + "/" + strconv.Itoa(i)))
			break
		}
		created := float64(u.created.UnixMilli()) / 1000
		users = append(users, map[string]any{"Username": u.name, "Attributes": u.attributes(in.AttributesToGet),
			"Enabled": !u.disabled, "UserStatus": u.status, "UserCreateDate": created, "UserLastModifiedDate": created})
	}
	out["Users"] = users
	return out, nil
}
