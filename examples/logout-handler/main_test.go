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
	a, err := newApp(srv, "http://"+ts.Listener.Addr().String())
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
	assert.Equal(t, "hello, alice\n", body2)

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
