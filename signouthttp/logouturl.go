package signouthttp

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/cognitogo/signout"
)

// LogoutURL returns the managed-login (hosted UI) logout URL that clears
// the user's Cognito session cookie, which GlobalSignOut leaves alone, and
// then sends the browser to logoutURI:
//
//	https://DOMAIN/logout?client_id=CLIENT&logout_uri=URI
//
// domain is the user pool domain, with or without https:// (such as
// "auth.example.com" or "myapp.auth.eu-west-1.amazoncognito.com").
// logoutURI must be an absolute https URL (http only for localhost) and must
// be one of the app client's allowed sign-out URLs. Bad input is a
// *signout.Error matching signout.ErrInvalidParameter.
func LogoutURL(domain, clientID, logoutURI string) (string, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(domain, "https://"), "/")
	d, err := url.Parse("https://" + host)
	if host == "" || err != nil || d.Host != host || d.Port() != "" || strings.ContainsAny(host, "/?#@ ") {
		return "", logoutErr("domain %q is not a host name", domain)
	}
	if !clientIDRE.MatchString(clientID) {
		return "", logoutErr("%q is not an app client id", clientID)
	}
	u, err := url.Parse(logoutURI)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "", logoutErr("logout URI %q is not an absolute URL", logoutURI)
	case u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1":
		return "", logoutErr("logout URI %q must use https (http is allowed only for localhost)", logoutURI)
	case u.Scheme != "https" && u.Scheme != "http":
		return "", logoutErr("logout URI %q must use https", logoutURI)
	case u.Fragment != "" || u.User != nil:
		return "", logoutErr("logout URI %q must not carry a fragment or user info", logoutURI)
	}
	q := url.Values{"client_id": {clientID}, "logout_uri": {logoutURI}}
	return "https://" + host + "/logout?" + q.Encode(), nil
}

// clientIDRE is Cognito's pattern for an app client id.
var clientIDRE = regexp.MustCompile(`^[\w+]{1,128}$`)

func logoutErr(format string, args ...any) error {
	return &signout.Error{Op: "LogoutURL", Kind: signout.ErrInvalidParameter, Message: fmt.Sprintf(format, args...)}
}
