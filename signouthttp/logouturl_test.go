package signouthttp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouthttp"
)

func TestLogoutURL(t *testing.T) {
	for _, tc := range []struct{ domain, client, uri, want string }{
		{"https://auth.example.com/", "abc123", "https://app.example.com/bye?x=1",
			"https://auth.example.com/logout?client_id=abc123&logout_uri=https%3A%2F%2Fapp.example.com%2Fbye%3Fx%3D1"},
		{"myapp.auth.eu-west-1.amazoncognito.com", "abc_12+3", "http://localhost:8080/",
			"https://myapp.auth.eu-west-1.amazoncognito.com/logout?client_id=abc_12%2B3&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F"},
		{"auth.example.com", "abc", "http://127.0.0.1:8080/",
			"https://auth.example.com/logout?client_id=abc&logout_uri=http%3A%2F%2F127.0.0.1%3A8080%2F"},
	} {
		got, err := signouthttp.LogoutURL(tc.domain, tc.client, tc.uri)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

func TestLogoutURLRefusesBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ domain, client, uri string }{
		"no domain":           {"", "abc", "https://a.example"},
		"domain with path":    {"auth.example.com/path", "abc", "https://a.example"},
		"domain with user":    {"evil.example@auth.example.com", "abc", "https://a.example"},
		"domain with port":    {"auth.example.com:444", "abc", "https://a.example"},
		"http domain":         {"http://auth.example.com", "abc", "https://a.example"},
		"no client":           {"auth.example.com", "", "https://a.example"},
		"client with space":   {"auth.example.com", "a b", "https://a.example"},
		"relative logout URI": {"auth.example.com", "abc", "/relative"},
		"http logout URI":     {"auth.example.com", "abc", "http://app.example.com/"},
		"script logout URI":   {"auth.example.com", "abc", "javascript:alert(1)"},
		"fragment":            {"auth.example.com", "abc", "https://a.example/#frag"},
		"user info":           {"auth.example.com", "abc", "https://user@a.example/"},
	} {
		t.Run(name, func(t *testing.T) {
			u, err := signouthttp.LogoutURL(tc.domain, tc.client, tc.uri)
			assert.ErrorIs(t, err, signout.ErrInvalidParameter)
			assert.Empty(t, u)
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "LogoutURL", se.Op)
		})
	}
}
