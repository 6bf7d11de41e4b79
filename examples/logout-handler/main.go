// Command logout-handler is a small web app with a complete logout, running
// on signouttest's Cognito stand-in so that it needs no AWS account:
//
//	go run ./examples/logout-handler        # then open http://127.0.0.1:8080
//
// Sign in with any name, visit the protected page, and log out: the logout
// handler signs the user out of Cognito everywhere (or revokes the refresh
// token when the access token has expired), expires the cookies, and the
// old tokens stop working.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	if err := serve(*addr); err != nil {
		log.Fatal(err)
	}
}

func serve(addr string) error {
	srv := signouttest.NewServer()
	defer srv.Close()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	origin := "http://" + l.Addr().String()
	a, err := newApp(srv, origin)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.Background())
	}()
	fmt.Printf("Listening on %s (Cognito stand-in at %s); Ctrl-C to stop.\n", origin, srv.URL)
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app is the web application: sign-in, a protected page, and logout.
type app struct {
	*http.ServeMux
	srv    *signouttest.Server
	client *signout.Client
	users  *cip.Client // asks Cognito whether an access token still works
}

func newApp(srv *signouttest.Server, origin string) (*app, error) {
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""))
	if err != nil {
		return nil, err
	}
	logout, err := signouthttp.NewHandler(signouthttp.Config{
		Client:             client,
		AccessTokenCookie:  "access_token",
		RefreshTokenCookie: "refresh_token",
		AllowedOrigins:     []string{origin},
		RedirectURL:        "/",
		OnError: func(r *http.Request, ended signout.Reach, err error) {
			log.Printf("logout: Cognito did not end the session: %v", err)
		},
	})
	if err != nil {
		return nil, err
	}
	a := &app{
		ServeMux: http.NewServeMux(),
		srv:      srv,
		client:   client,
		users: cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
			HTTPClient: &http.Client{Timeout: 5 * time.Second}}),
	}
	a.HandleFunc("GET /{$}", a.home)
	a.HandleFunc("POST /login", a.login)
	a.HandleFunc("GET /protected", a.protected)
	a.Handle("/logout", logout) // the handler itself refuses anything but POST
	return a, nil
}

// user returns the signed-in user's name, asking Cognito whether the access
// token still works; "" when there is none or it does not.
func (a *app) user(r *http.Request) string {
	c, err := r.Cookie("access_token")
	if err != nil {
		return ""
	}
	out, err := a.users.GetUser(r.Context(), &cip.GetUserInput{AccessToken: aws.String(c.Value)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.Username)
}

var page = template.Must(template.New("home").Parse(`<!doctype html>
<title>signout example</title>
{{if .}}<p>Signed in as <b>{{.}}</b>. <a href="/protected">Protected page</a></p>
<form method="post" action="/logout"><button>Log out</button></form>
{{else}}<p>Not signed in.</p>
<form method="post" action="/login"><input name="username" placeholder="name" required> <button>Sign in</button></form>
{{end}}`))

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	page.Execute(w, a.user(r))
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("username")
	if name == "" {
		http.Error(w, "name needed", http.StatusBadRequest)
		return
	}
	t := a.srv.SignIn(name)
	for _, c := range []*http.Cookie{
		{Name: "access_token", Value: t.AccessToken},
		{Name: "refresh_token", Value: t.RefreshToken},
	} {
		c.Path, c.HttpOnly, c.SameSite = "/", true, http.SameSiteLaxMode
		http.SetCookie(w, c)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) protected(w http.ResponseWriter, r *http.Request) {
	name := a.user(r)
	if name == "" {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	fmt.Fprintf(w, "hello, %s\n", name)
}
