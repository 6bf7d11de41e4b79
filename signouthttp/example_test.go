package signouthttp_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
)

func ExampleNew() {
	srv := signouttest.NewServer() // stands in for Cognito
	defer srv.Close()
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""))
	if err != nil {
		log.Fatal(err)
	}

	h, err := signouthttp.New(client,
		signouthttp.WithTokenCookies("__Host-access_token", "__Host-refresh_token"),
		signouthttp.WithClearCookies("session"),
		signouthttp.WithRedirect("/"))
	if err != nil {
		log.Fatal(err)
	}

	tokens := srv.SignIn("alice")
	req := httptest.NewRequest(http.MethodPost, "https://app.example.com/logout", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: tokens.AccessToken})
	req.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: tokens.RefreshToken})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Header().Get("Clear-Site-Data"))
	for _, c := range rec.Result().Cookies() {
		fmt.Println("expired:", c.Name)
	}
	// Output:
	// 303 / "cache"
	// expired: __Host-access_token
	// expired: __Host-refresh_token
	// expired: session
}

// A second handler serves "Log out of all devices".
func ExampleNew_allSessions() {
	srv := signouttest.NewServer()
	defer srv.Close()
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""))
	if err != nil {
		log.Fatal(err)
	}

	cookies := signouthttp.WithTokenCookies("__Host-access_token", "__Host-refresh_token")
	logout, err := signouthttp.New(client, cookies) // ThisSession, the default
	if err != nil {
		log.Fatal(err)
	}
	logoutAll, err := signouthttp.New(client, cookies, signouthttp.WithReach(signout.AllSessions))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /logout", logout)
	mux.Handle("POST /logout/all", logoutAll)

	logoutWith := func(path string, tokens signouttest.Tokens) {
		req := httptest.NewRequest(http.MethodPost, path, nil)
		req.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: tokens.AccessToken})
		req.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: tokens.RefreshToken})
		mux.ServeHTTP(httptest.NewRecorder(), req)
		fmt.Printf("%s: RevokeToken %d, GlobalSignOut %d\n", path, srv.Requests("RevokeToken"), srv.Requests("GlobalSignOut"))
	}
	logoutWith("/logout", srv.SignIn("alice"))     // this browser only
	logoutWith("/logout/all", srv.SignIn("alice")) // every session of alice
	// Output:
	// /logout: RevokeToken 1, GlobalSignOut 0
	// /logout/all: RevokeToken 1, GlobalSignOut 1
}

// The handler can send the browser on to the managed login's logout, which
// ends its session cookie too.
func ExampleLogoutURL() {
	u, err := signouthttp.LogoutURL("auth.example.com", "1example23456789", "https://app.example.com/signed-out")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output:
	// https://auth.example.com/logout?client_id=1example23456789&logout_uri=https%3A%2F%2Fapp.example.com%2Fsigned-out
}

// Behind an Application Load Balancer that signs users in, the logout ends
// the load balancer's session, the user's sessions at Cognito, and the
// managed login's session.
func ExampleWithALB() {
	srv := signouttest.NewServer() // stands in for Cognito
	defer srv.Close()
	client, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	lb := signouttest.NewALB(srv, http.NotFoundHandler()) // stands in for the load balancer
	defer lb.Close()

	// In production: signouthttp.LogoutURL("auth.example.com", clientID, "https://app.example.com/").
	logoutURL := lb.LogoutURL(lb.URL + "/")
	h, err := signouthttp.New(client, signouthttp.WithALB("AWSELBAuthSessionCookie", logoutURL))
	if err != nil {
		log.Fatal(err)
	}

	tokens := srv.SignIn("alice")
	req := httptest.NewRequest(http.MethodPost, "/logout", nil)
	for name, values := range lb.Headers(tokens) { // x-amzn-oidc-data, -accesstoken, -identity
		req.Header[name] = values
	}
	req.AddCookie(&http.Cookie{Name: "AWSELBAuthSessionCookie-0", Value: "..."})
	req.AddCookie(&http.Cookie{Name: "AWSELBAuthSessionCookie-1", Value: "..."})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	fmt.Println(rec.Code, rec.Header().Get("Location") == logoutURL)
	for _, c := range rec.Result().Cookies() {
		fmt.Println("expired:", c.Name)
	}
	fmt.Println("access token accepted:", srv.Accepts(tokens.AccessToken))
	// Output:
	// 303 true
	// expired: AWSELBAuthSessionCookie-0
	// expired: AWSELBAuthSessionCookie-1
	// access token accepted: false
}
