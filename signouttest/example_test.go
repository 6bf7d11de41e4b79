package signouttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

// logout is the kind of handler a user of signout writes: it depends on the
// Signer interface, so a test can hand it a fake.
func logout(s signout.Signer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := r.Cookie("access_token")
		err := s.SignOut(r.Context(), tok.Value)
		switch {
		case err == nil, errors.Is(err, signout.ErrTokenRevoked):
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, signout.ErrNotAuthorized):
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}
}

func ExampleSigner() {
	fake := &signouttest.Signer{Results: []error{nil, signout.ErrThrottled}}
	h := logout(fake)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: "tok-1"})
		rec := httptest.NewRecorder()
		h(rec, req)
		fmt.Println(rec.Code)
	}
	fmt.Println(fake.Calls())
	// Output:
	// 204
	// 502
	// [tok-1 tok-1]
}

func ExampleServer() {
	srv := signouttest.NewServer()
	defer srv.Close()
	tokens := srv.SignIn("alice")

	c, err := signout.New(signout.WithEndpoint(srv.URL))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.SignOut(context.Background(), tokens.AccessToken))
	fmt.Println(srv.Requests("GlobalSignOut"))
	// Output:
	// <nil>
	// 1
}
