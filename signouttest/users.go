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

// user is one user of the pool. A deleted user stays in Server.order, so
// that pages and the tokens of its sessions still find it.
type user struct {
	name, sub string
	attrs     map[string]string // sub and the attributes given to AddUser
	status    string            // cognito:user_status
	disabled  bool
	deleted   bool
	created   time.Time
	sessions  []*session
}

// AddUser adds a user without signing it in, cheaply enough for pools of
// many thousands of users to list and sign out. attrs are its attributes,
// such as email and name; two keys set what Cognito keeps beside them:
// "cognito:user_status" (default "CONFIRMED") and "status" ("Enabled",
// the default, or "Disabled": its tokens are then refused with "User is
// disabled."). The server makes the user's sub. AddUser panics if the user
// exists, or on a status other than "Enabled" or "Disabled".
func (s *Server) AddUser(username string, attrs map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[username] != nil {
		panic("signouttest: AddUser: user " + strconv.Quote(username) + " exists")
	}
	if st := attrs["status"]; st != "" && st != "Enabled" && st != "Disabled" {
		panic("signouttest: AddUser: status is Enabled or Disabled, not " + strconv.Quote(st))
	}
	u := s.addUserLocked(username)
	maps.Copy(u.attrs, attrs)
	u.attrs["sub"] = u.sub
	u.status = cmp.Or(u.attrs["cognito:user_status"], u.status)
	u.disabled = u.attrs["status"] == "Disabled"
	delete(u.attrs, "cognito:user_status")
	delete(u.attrs, "status")
}

func (s *Server) addUserLocked(username string) *user {
	sub := randomUUID()
	u := &user{name: username, sub: sub, attrs: map[string]string{"sub": sub}, status: "CONFIRMED", created: time.Now()}
	s.users[username] = u
	s.order = append(s.order, u)
	return u
}

// DeleteUser removes username, as AdminDeleteUser does: its tokens are then
// refused with UserNotFoundException, ListUsers leaves it out and
// AdminUserGlobalSignOut answers UserNotFoundException. SignIn or AddUser
// can then make a new user, with a new sub, of that name. Deleting an
// unknown user does nothing.
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

// attributes returns u's attributes named in names (every one when names
// is nil) in Cognito's Name/Value shape, sorted by name.
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
	if in.Username == "" {
		return nil, missing("username")
	}
	u := s.users[in.Username]
	if u == nil {
		return nil, userNotFound
	}
	u.signOut()
	return struct{}{}, nil
}

// filterRE is the ListUsers filter the stand-in understands:
// attribute, = or ^=, and a quoted value with backslash escapes.
var filterRE = regexp.MustCompile(`^\s*([\w:]+)\s*(=|\^=)\s*("(?:[^"\\]|\\.)*")\s*$`)

// searchable are the attributes Cognito's ListUsers filter accepts.
var searchable = []string{"username", "email", "phone_number", "name", "given_name", "family_name",
	"preferred_username", "cognito:user_status", "status", "sub"}

// parseFilter turns a ListUsers filter into a test of a user.
func parseFilter(filter string) (func(*user) bool, *apiError) {
	if strings.TrimSpace(filter) == "" {
		return func(*user) bool { return true }, nil
	}
	m := filterRE.FindStringSubmatch(filter)
	if m == nil {
		return nil, invalidParameter("Error while parsing filter.")
	}
	attr, prefix := m[1], m[2] == "^="
	want, err := strconv.Unquote(m[3])
	if err != nil {
		return nil, invalidParameter("Error while parsing filter.")
	}
	if !slices.Contains(searchable, attr) {
		return nil, invalidParameter("Invalid search attribute: " + attr)
	}
	if attr == "cognito:user_status" {
		want = strings.ToUpper(want) // the only attribute Cognito matches case-insensitively
	}
	return func(u *user) bool {
		v, ok := u.attrs[attr]
		switch attr {
		case "username":
			v, ok = u.name, true
		case "status":
			v, ok = "Enabled", true
			if u.disabled {
				v = "Disabled"
			}
		case "cognito:user_status":
			v, ok = strings.ToUpper(u.status), true
		}
		return ok && (v == want || prefix && strings.HasPrefix(v, want))
	}, nil
}

func (s *Server) listUsers(in *input) (any, *apiError) {
	if in.Limit < 0 || in.Limit > 60 {
		return nil, invalidParameter("1 validation error detected: Value '" + strconv.Itoa(in.Limit) +
			"' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60")
	}
	limit := cmp.Or(in.Limit, 60)
	match, aerr := parseFilter(in.Filter)
	if aerr != nil {
		return nil, aerr
	}
	start := 0
	if in.PaginationToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.PaginationToken)
		n, ok := strings.CutPrefix(string(b), s.UserPoolID+"/")
		i, err2 := strconv.Atoi(n)
		if err != nil || !ok || err2 != nil || i < 0 || i > len(s.order) {
			return nil, invalidParameter("Invalid pagination token.")
		}
		start = i
	}
	users, out := []map[string]any{}, map[string]any{}
	for i := start; i < len(s.order); i++ {
		u := s.order[i]
		if u.deleted || !match(u) {
			continue
		}
		if len(users) == limit {
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
