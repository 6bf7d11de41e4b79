// Command alb-logout is a small web app behind an Application Load Balancer
// that signs users in with Cognito, with a complete logout. It runs behind
// signouttest's stand-ins for the load balancer, its managed login and
// Cognito, so that it needs no AWS account:
//
//	go run ./examples/alb-logout   # then open the URL it prints
//
// The load balancer asks for a name at its managed login, then forwards
// each request with the user's claims (x-amzn-oidc-data, which it signs)
// and Cognito access token (x-amzn-oidc-accesstoken). The app checks both
// on every request (package alb's middleware), and refuses a session that
// was signed out even while the load balancer still forwards it.
//
// "Log out" does the three things a logout behind a load balancer needs
// (signouthttp.WithALB): it expires the load balancer's session cookie
// (AWSELBAuthSessionCookie-0, -1), signs the user out of all sessions at
// Cognito with the forwarded access token, and sends the browser to the
// managed login's /logout, so that the next visit asks for a name again
// instead of signing the user straight back in.
package main

import (
	"context"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/alb"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func main() {
	srv := signouttest.NewServer()
	defer srv.Close()
	mux := http.NewServeMux()
	lb := signouttest.NewALB(srv, mux)
	defer lb.Close()
	client, err := setup(mux, srv, lb)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("Open %s (behind a stand-in load balancer; Cognito stand-in at %s); Ctrl-C to stop.\n", lb.URL, srv.URL)
	<-ctx.Done()
}

// setup serves the app on mux, the handler the load balancer forwards to,
// and returns the Client that signs users out, for the caller to Close.
func setup(mux *http.ServeMux, srv *signouttest.Server, lb *signouttest.ALB) (*signout.Client, error) {
	// One store in memory for this one process; a fleet would share a
	// redisstore.Store. The logout records each sign-out in it, and the
	// access token verifier reads it.
	store := revocation.New()
	access, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		return nil, err
	}
	// In production: alb.New(access, alb.WithLoadBalancer(ARN)); the keys
	// come from the region's endpoint.
	v, err := alb.New(access, alb.WithLoadBalancer(lb.ARN), alb.WithKeyEndpoint(lb.KeyURL))
	if err != nil {
		return nil, err
	}
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store))
	if err != nil {
		return nil, err
	}
	// In production: signouthttp.LogoutURL(userPoolDomain, clientID, "https://app.example.com/").
	// The user lands on the app's home page, which the load balancer
	// guards: with the managed login's session ended too, it asks for a name.
	logoutURL := lb.LogoutURL(lb.URL + "/")
	logout, err := signouthttp.New(client, signouthttp.WithALB(alb.SessionCookie, logoutURL),
		signouthttp.WithOnError(func(r *http.Request, ended signout.Reach, err error) {
			log.Printf("logout: ended %v, not all that was asked: %v", ended, err)
		}))
	if err != nil {
		client.Close()
		return nil, err
	}
	// The logout is not behind the middleware: a session it refuses must
	// still be able to log out.
	mux.Handle("/logout", logout)
	mux.Handle("GET /{$}", v.Middleware(http.HandlerFunc(home)))
	mux.Handle("GET /protected", v.Middleware(http.HandlerFunc(protected)))
	return client, nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>alb-logout example</title>
{{if .Protected}}<h1>Protected page</h1>
<p id="secret">hello, {{.User}}</p>
<p><a href="/">Home</a></p>
{{else}}<p>Signed in as <b>{{.User}}</b>. <a href="/protected">Protected page</a></p>
{{end}}<form method="post" action="/logout"><button id="logout">Log out</button></form>`))

type view struct {
	User      string
	Protected bool
}

// Pages that show a session's data tell the browser not to store them, so
// that Back after logout cannot show them again.
func home(w http.ResponseWriter, r *http.Request) {
	c, _ := alb.ClaimsFromContext(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	page.Execute(w, view{User: c.Username})
}

func protected(w http.ResponseWriter, r *http.Request) {
	c, _ := alb.ClaimsFromContext(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	page.Execute(w, view{User: c.Username, Protected: true})
}
