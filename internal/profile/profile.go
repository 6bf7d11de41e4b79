// Package profile reads the settings the library takes from a named profile
// (region, endpoint_url and ca_bundle) in the shared AWS config and
// credentials files, where the aws CLI and the SDKs find them. It stands in
// for the SDK's config package, whose initialisation (it brings in the SSO,
// SSO OIDC, STS and sign-in clients) cost every program importing package
// signout some 580 KB of allocations at start.
//
// It reads the INI format the AWS SDKs and Tools Reference Guide describes,
// as the Go SDK reads it: [profile NAME] and [default] sections in the config
// file, [NAME] in the credentials file, "key = value" or "key: value" settings
// with case-insensitive keys, whole-line comments starting with # or ;. Other
// sections (sso-session, services), sub-settings and other settings are
// skipped, and nothing the library does not use is checked.
//
// Where the aws CLI reads otherwise, it follows the SDK, which the library
// used before: a comment after a value (a space or tab, then # or ;) and
// quotes around a value are dropped, and a header may have spaces inside its
// brackets. It departs from the SDK in two ways: the credentials file's
// endpoint_url wins over the config file's, as its region and ca_bundle do
// (and as with the aws CLI), and a value that is one quote mark is read, not
// a panic.
package profile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Profile is what Load reads; a field is empty when its setting is absent.
type Profile struct {
	Region   string // region
	Endpoint string // endpoint_url
	CABundle string // ca_bundle, the path of a PEM file
}

// ErrNotFound is the error of Load when neither file has the profile.
var ErrNotFound = errors.New("profile: no such profile in the shared config files")

// maxFile bounds what Load reads of each file: far above any real config
// file, far below what a mistaken path such as /dev/zero would pour in.
const maxFile = 16 << 20

// Load reads profile name from the config file (AWS_CONFIG_FILE, or
// ~/.aws/config), where it is the section [profile NAME], or for "default"
// also [default]; and from the credentials file (AWS_SHARED_CREDENTIALS_FILE,
// or ~/.aws/credentials), where it is [NAME] and whose settings win over the
// config file's. A file that cannot be opened counts as empty, as it does for
// the SDK. Load fails with ErrNotFound when neither file has the profile.
func Load(name string) (Profile, error) {
	config, err := read("AWS_CONFIG_FILE", "config")
	if err != nil {
		return Profile{}, err
	}
	creds, err := read("AWS_SHARED_CREDENTIALS_FILE", "credentials")
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	fromConfig, ok := config["profile "+name]
	if !ok && name == "default" {
		fromConfig, ok = config["default"]
	}
	fromCreds, inCreds := creds[name]
	if strings.HasPrefix(name, "profile ") {
		// The credentials file names profiles without a prefix; a section
		// with one is not a profile.
		fromCreds, inCreds = nil, false
	}
	if !ok && !inCreds {
		return p, ErrNotFound
	}
	for _, s := range []section{fromConfig, fromCreds} {
		for _, kv := range s {
			switch kv[0] {
			case "region":
				p.Region = kv[1]
			case "endpoint_url":
				p.Endpoint = kv[1]
			case "ca_bundle":
				p.CABundle = kv[1]
			}
		}
	}
	return p, nil
}

// read parses the file the environment variable env names, or
// ~/.aws/<file> when it is empty.
func read(env, file string) (map[string]section, error) {
	path := os.Getenv(env)
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, nil // no home, no default file
		}
		path = filepath.Join(home, ".aws", file)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	case len(b) > maxFile:
		return nil, fmt.Errorf("reading %s: larger than %d bytes", path, maxFile)
	}
	return parse(string(b)), nil
}

// A section holds the settings of one section in the order read; a later
// setting of a key replaces an earlier one.
type section [][2]string

// parse reads the sections of a shared config file. A section's name is its
// header's words joined by one space: [ profile  dev ] is "profile dev".
//
// An indented line belongs to the setting above it: a key = value line under
// a setting with an empty value is one of its sub-settings (as in "s3 =" then
// "  max_concurrent_requests = 10"), which Load never needs; any other
// indented line continues the value above it on a new line, or, when there is
// no value to continue, is a setting of its own. Lines outside any section and
// lines that are none of these are skipped.
func parse(text string) map[string]section {
	sections := map[string]section{}
	name := ""           // the current section; "" before the first
	key, value := "", "" // the setting indented lines belong to
	set := func(k, v string) {
		sections[name] = append(sections[name], [2]string{k, v})
		key, value = k, v
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if s := strings.TrimLeft(line, " \t"); s[0] == '#' || s[0] == ';' {
			continue
		}
		if h, ok := header(line); ok {
			name, key, value = h, "", ""
			if _, ok := sections[name]; !ok {
				sections[name] = nil
			}
			continue
		}
		if name == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			if k, v, ok := split(strings.TrimRight(cutComment(line), " \t")); ok {
				set(strings.ToLower(k), unquote(v))
			}
			continue
		}
		s := strings.TrimLeft(line, " \t")
		k, v, ok := split(s)
		switch {
		case ok && key != "" && value == "":
			// A sub-setting of key, whose value stays empty.
		case ok:
			set(strings.ToLower(k), strings.TrimSpace(cutComment(unquote(v))))
		case key != "" && value != "":
			set(key, value+"\n"+s)
		}
	}
	return sections
}

// header returns the name of the section line opens, if it is a header.
func header(line string) (string, bool) {
	s, _, _ := strings.Cut(line, "#")
	s, _, _ = strings.Cut(s, ";")
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return "", false
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i] + " " + strings.TrimLeft(s[i:], " \t"), true
	}
	return s, true
}

// cutComment drops a comment that a space or a tab, then # or ;, begins.
func cutComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i-1]
		}
	}
	return s
}

// split cuts a setting at its first = or :, whichever comes first, and
// trims both sides.
func split(s string) (key, value string, ok bool) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

// unquote removes the quotes around a value in matching single or double
// quotes, as the SDK does.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
