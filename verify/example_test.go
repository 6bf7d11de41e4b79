package verify_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// get sends a request with a bearer token to h and prints the answer's
// status and body.
func get(h http.Handler, path, token string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Printf("%s: %d %s", path, rec.Code, rec.Body)
}

// The stand-in plays the user pool (its JWKS at its URL, as Cognito's
// emulators serve it); a sign-out recorded in the store ends the session
// at the API.
func Example() {
	srv := signouttest.NewServer()
	defer srv.Close()
	store := revocation.New()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := v.Load(context.Background()); err != nil {
		fmt.Println("not ready:", err)
		return
	}
	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verify.ClaimsFromContext(r.Context())
		fmt.Fprintln(w, "hello", c.Username)
	}))

	alice := srv.SignIn("alice").AccessToken
	get(api, "/api", alice)
	claims, _ := v.Verify(context.Background(), alice)
	_ = store.Revoke(context.Background(), signout.Revocation{UserPoolID: claims.UserPoolID, Subject: claims.Subject, At: time.Now()})
	get(api, "/api", alice)
	// Output:
	// /api: 200 hello alice
	// /api: 401 invalid_token
}

// Routes with requirements of their own share one Verifier and its cache.
func ExampleVerifier_Middleware() {
	srv := signouttest.NewServer()
	defer srv.Close()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRequirements(verify.AnyScope("openid", "profile")))
	if err != nil {
		fmt.Println(err)
		return
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("/reports", v.Middleware(ok, verify.AnyGroup("staff", "admins")))
	mux.Handle("/admin", v.Middleware(ok, verify.AllGroups("admins")))

	staff := srv.SignIn("bob", signouttest.Claims{"cognito:groups": []string{"staff"}}).AccessToken
	get(mux, "/reports", staff)
	get(mux, "/admin", staff)
	// Output:
	// /reports: 200 ok
	// /admin: 403 insufficient_scope
}

// Decode reads claims beyond Claims' fields into the application's type.
func ExampleClaims_Decode() {
	srv := signouttest.NewServer()
	defer srv.Close()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithTokenUse("id"))
	if err != nil {
		fmt.Println(err)
		return
	}
	id := srv.SignIn("carol", signouttest.Claims{"email": "carol@example.com", "custom:tenant": "acme"}).IDToken
	claims, err := v.Verify(context.Background(), id)
	if err != nil {
		fmt.Println(err)
		return
	}
	var profile struct {
		Email  string `json:"email"`
		Tenant string `json:"custom:tenant"`
	}
	if err := claims.Decode(&profile); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Username, profile.Email, profile.Tenant)
	// Output:
	// carol carol@example.com acme
}

// Check adds a rule of the application's own; an *signout.Error it returns
// sets the kind of refusal.
func ExampleCheck() {
	srv := signouttest.NewServer()
	defer srv.Close()
	sameTenant := verify.Check(func(c *verify.Claims) error {
		var t struct {
			Tenant string `json:"custom:tenant"`
		}
		if err := c.Decode(&t); err != nil {
			return err
		}
		if t.Tenant != "acme" {
			return &signout.Error{Kind: signout.ErrMissingScope, Message: "another tenant"}
		}
		return nil
	})
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRequirements(sameTenant))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tenant := range []string{"acme", "globex"} {
		tok := srv.SignIn("dave", signouttest.Claims{"custom:tenant": tenant}).AccessToken
		_, err := v.Verify(context.Background(), tok)
		fmt.Println(tenant, err == nil, errors.Is(err, signout.ErrMissingScope))
	}
	// Output:
	// acme true false
	// globex false true
}

// A pool given by its id accepts both issuer forms and its replicas'
// regions, and keeps one user pool id across them.
func ExampleWithPool() {
	srv := signouttest.NewServer()
	defer srv.Close()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithReplicaRegions(srv.UserPoolID, "eu-west-1"),
		verify.WithEndpoint(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iss := range []string{
		"https://cognito-idp.us-east-1.amazonaws.com/" + srv.UserPoolID,        // ORIGINAL
		"https://issuer-cognito-idp.us-east-1.amazonaws.com/" + srv.UserPoolID, // UPDATED
		"https://cognito-idp.eu-west-1.amazonaws.com/" + srv.UserPoolID,        // ORIGINAL, from the replica
		"https://cognito-idp.us-west-2.amazonaws.com/" + srv.UserPoolID,        // not a region of the pool
	} {
		tok := srv.SignIn("erin", signouttest.Claims{"iss": iss}).AccessToken
		c, err := v.Verify(context.Background(), tok)
		fmt.Println(err == nil, c != nil && c.UserPoolID == srv.UserPoolID)
	}
	// Output:
	// true true
	// true true
	// true true
	// false false
}

// Load serves as a readiness probe: it fetches what is not loaded yet and
// then answers at once.
func ExampleVerifier_Load() {
	srv := signouttest.NewServer()
	defer srv.Close()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Load(r.Context()); err != nil {
			http.Error(w, "keys not loaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	get(ready, "/readyz", "")
	// Output:
	// /readyz: 200 ready
}

// A token whose header lists critical extensions (crit) is refused before
// any key is looked up, and the error says why.
func ExampleVerifier_Verify() {
	srv := signouttest.NewServer()
	defer srv.Close()
	v, err := verify.New(verify.WithPool(srv.UserPoolID, srv.ClientID), verify.WithEndpoint(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	parts := strings.Split(srv.SignIn("frank").AccessToken, ".")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k","crit":["urn:example:audit"],"urn:example:audit":true}`))
	_, err = v.Verify(context.Background(), header+"."+parts[1]+"."+parts[2])
	fmt.Println(err)
	fmt.Println(errors.Is(err, signout.ErrInvalidToken))
	// Output:
	// signout: Verify: invalid token (token header lists critical extensions (crit), which are not understood)
	// true
}
