package signouthttp

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cognitogo/signout"
)

// LogoutURL returns the managed-login (hosted UI) logout URL,
//
//	https://DOMAIN/logout?client_id=CLIENT&logout_uri=URI
//
// which ends the user's managed-login session cookie, something neither
// GlobalSignOut nor RevokeToken does, and then sends the browser to
// logoutURI. It suits Config.RedirectURL. domain is the user pool's domain,
// with or without https:// ("auth.example.com",
// "myapp.auth.eu-west-1.amazoncognito.com"); logoutURI must be an absolute
// https URL (http only for localhost) listed among the app client's
// sign-out URLs. Bad input is a *signout.Error matching
// signout.ErrInvalidParameter.
func LogoutURL(domain, clientID, logoutURI string) (string, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(domain, "https://"), "/")
	if d, err := url.Parse("https://" + host); host == "" || err != nil || d.Host != host || d.Port() != "" || strings.ContainsAny(host, "/?#@ ") {
		return "", invalid("domain %q is not a host name", domain)
	}
	if !isClientID(clientID) {
		return "", invalid("%q is not an app client id", clientID)
	}
	u, err := url.Parse(logoutURI)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "", invalid("logout URI %q is not an absolute URL", logoutURI)
	case u.Scheme == "http" && !isLocalhost(u.Hostname()):
		return "", invalid("logout URI %q must use https (http only for localhost)", logoutURI)
	case u.Scheme != "https" && u.Scheme != "http":
		return "", invalid("logout URI %q must use https", logoutURI)
	case u.Fragment != "" || u.User != nil:
		return "", invalid("logout URI %q must carry no fragment and no user info", logoutURI)
	}
	q := url.Values{"client_id": {clientID}, "logout_uri": {logoutURI}}
	return "https://" + host + "/logout?" + q.Encode(), nil
}

// isClientID reports whether s has the form of a Cognito app client id:
// 1 to 128 letters, digits, underscores or plus signs.
func isClientID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '+'
		if !ok {
			return false
		}
	}
	return true
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func invalid(format string, args ...any) error {
	return &signout.Error{Op: "LogoutURL", Kind: signout.ErrInvalidParameter, Message: fmt.Sprintf(format, args...)}
}
