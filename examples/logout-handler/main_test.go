package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLogoutEndToEnd drives the app over real HTTP as a browser would, with
// a cookie jar: sign in, see the protected page, log out, and find the old
// tokens refused by Cognito.
func TestLogoutEndToEnd(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	ts := httptest.NewUnstartedServer(nil)
	a, err := newApp(srv)
	require.NoError(t, err)
	ts.Config.Handler = a
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(a.client.CloseIdleConnections)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	browser := &http.Client{Jar: jar, Transport: tr}
	get := func(path string) (int, string) {
		resp, err := browser.Get(ts.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	logout := func() int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/logout", nil)
		req.Header.Set("Origin", ts.URL)
		resp, err := browser.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	code, _ := get("/protected")
	require.Equal(t, http.StatusUnauthorized, code, "precondition: signed out")

	resp, err := browser.PostForm(ts.URL+"/login", url.Values{"username": {"alice"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "Signed in as <b>alice</b>")
	code, body2 := get("/protected")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body2, "hello, alice")

	u, _ := url.Parse(ts.URL)
	var oldAccess string
	for _, c := range jar.Cookies(u) {
		if c.Name == "access_token" {
			oldAccess = c.Value
		}
	}
	require.NotEmpty(t, oldAccess)

	assert.Equal(t, http.StatusOK, logout(), "303 to / followed")
	assert.Empty(t, jar.Cookies(u), "the browser's cookies are gone")
	code, _ = get("/protected")
	assert.Equal(t, http.StatusUnauthorized, code)

	sdk := cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: tr}})
	_, err = sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(oldAccess)})
	require.ErrorContains(t, err, "Access Token has been revoked", "the old token is dead at Cognito, not just forgotten")

	assert.Equal(t, http.StatusOK, logout(), "a second logout is fine")
	code, _ = get("/logout")
	assert.Equal(t, http.StatusMethodNotAllowed, code, "logout by GET is refused")

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/logout", strings.NewReader(""))
	req.Header.Set("Origin", "https://evil.example")
	resp, err = browser.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a cross-site logout is refused")
}

// TestLoginRefusesCrossOrigin: a page on another origin cannot sign the
// visitor in as someone else (login CSRF); the app's own page can.
func TestLoginRefusesCrossOrigin(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	ts := httptest.NewUnstartedServer(nil)
	a, err := newApp(srv)
	require.NoError(t, err)
	ts.Config.Handler = a
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(a.client.CloseIdleConnections)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"other site", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other port, same site", map[string]string{"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"old browser, other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"the app's own page", map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader("username=mallory"))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
			if tc.want == http.StatusForbidden {
				assert.Empty(t, resp.Cookies(), "no session is set")
			} else {
				assert.Len(t, resp.Cookies(), 2)
			}
		})
	}
}

// TestProtectedPageIsNotStored: pages of a session tell the browser not to
// keep them, so Back after logout cannot show them from a cache.
func TestProtectedPageIsNotStored(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	a, err := newApp(srv)
	require.NoError(t, err)
	t.Cleanup(a.client.CloseIdleConnections)
	tokens := srv.SignIn("alice")
	for _, path := range []string{"/", "/protected"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.AddCookie(&http.Cookie{Name: "access_token", Value: tokens.AccessToken})
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusOK, rec.Code, path)
		assert.Contains(t, rec.Body.String(), "alice", path)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), path)
	}
}
