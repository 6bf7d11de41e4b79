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

func ExampleNewHandler() {
	srv := signouttest.NewServer() // stands in for Cognito
	defer srv.Close()
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithClientID(srv.ClientID))
	if err != nil {
		log.Fatal(err)
	}
	defer client.CloseIdleConnections()

	h, err := signouthttp.NewHandler(signouthttp.Config{
		Ender:              client,
		AccessTokenCookie:  "access_token",
		RefreshTokenCookie: "refresh_token",
		ClearCookies:       []string{"session"},
		AllowedOrigins:     []string{"https://app.example.com"},
		RedirectURL:        "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	tokens := srv.SignIn("alice")
	req := httptest.NewRequest(http.MethodPost, "https://app.example.com/logout", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.AddCookie(&http.Cookie{Name: "access_token", Value: tokens.AccessToken})
	req.AddCookie(&http.Cookie{Name: "refresh_token", Value: tokens.RefreshToken})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	fmt.Println(rec.Code, rec.Header().Get("Location"))
	for _, c := range rec.Result().Cookies() {
		fmt.Println("expired:", c.Name)
	}
	// Output:
	// 303 /
	// expired: access_token
	// expired: refresh_token
	// expired: session
}
