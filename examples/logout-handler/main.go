// Command logout-handler is a small web app with a complete logout, running
// on signouttest's Cognito stand-in so that it needs no AWS account:
//
//	go run ./examples/logout-handler                        # then open http://127.0.0.1:8080
//	go run ./examples/logout-handler -addr 127.0.0.1:9000   # another address
//
// Sign in with any name, visit the protected page, and log out. "Log out"
// ends this browser's session (the refresh token is revoked, and the access
// tokens issued with it); "Log out of all devices" signs the user out
// everywhere. Either way the old tokens stop working, the cookies are
// expired, and Back shows nothing of the session: the logout answer sends
// Clear-Site-Data and the session's pages send Cache-Control: no-store.
// The login and the logout both refuse posts from other origins.
//
// The pages verify the access token locally (package verify: no Cognito
// call per request), and still refuse it right after a logout: the logout's
// Client records each sign-out in a revocation store that the verifier
// reads.
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

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
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
	a, err := newApp(srv)
	if err != nil {
		return err
	}
	defer a.Close()
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

// The token cookies. Over HTTPS, name them with the __Host- prefix
// ("__Host-access_token"), as package signouthttp's doc does: a sibling
// subdomain cannot set such a cookie. The prefix needs the Secure
// attribute, which clients keep only from secure origins, and this example
// serves plain HTTP on a loopback address, where Go's cookie jar and curl
// would drop it.
const (
	accessCookie  = "access_token"
	refreshCookie = "refresh_token"
)

// app is the web application: sign-in, a protected page, and logout.
type app struct {
	*http.ServeMux
	srv      *signouttest.Server
	client   *signout.Client
	verifier *verify.Verifier
}

// Close stops the Client's outbox.
func (a *app) Close() error { return a.client.Close() }

func newApp(srv *signouttest.Server) (*app, error) {
	// One store in memory for this one process, for the records and the
	// outbox of Cognito calls to retry; a fleet would share a
	// redisstore.Store instead.
	store := revocation.New()
	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""),
		signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store))
	if err != nil {
		return nil, err
	}
	verifier, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		return nil, err
	}
	// Two buttons, two handlers: "Log out" ends this browser's session,
	// "Log out of all devices" every session of the user.
	opts := []signouthttp.Option{
		signouthttp.WithTokenCookies(accessCookie, refreshCookie),
		signouthttp.WithRedirect("/"),
		signouthttp.WithOnError(func(r *http.Request, ended signout.Reach, err error) {
			log.Printf("logout: ended %v, not all that was asked: %v", ended, err)
		}),
	}
	logout, err := signouthttp.New(client, opts...)
	if err != nil {
		return nil, err
	}
	logoutAll, err := signouthttp.New(client, append(opts, signouthttp.WithReach(signout.AllSessions))...)
	if err != nil {
		return nil, err
	}
	a := &app{ServeMux: http.NewServeMux(), srv: srv, client: client, verifier: verifier}
	// The logout handler refuses posts from other origins by itself; the
	// login needs the same check, or a page elsewhere could sign the
	// visitor in as someone else (login CSRF). Both are net/http's
	// CrossOriginProtection.
	sameOrigin := http.NewCrossOriginProtection()
	sameOrigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin login refused", http.StatusForbidden)
	}))
	a.HandleFunc("GET /{$}", a.home)
	a.Handle("POST /login", sameOrigin.Handler(http.HandlerFunc(a.login)))
	a.HandleFunc("GET /protected", a.protected)
	a.Handle("/logout", logout) // the handler itself refuses anything but POST
	a.Handle("/logout/all", logoutAll)
	return a, nil
}

// user returns the signed-in user's name from the access token, verified
// locally; "" when there is none, or it is not valid or was signed out.
func (a *app) user(r *http.Request) string {
	c, err := r.Cookie(accessCookie)
	if err != nil {
		return ""
	}
	claims, err := a.verifier.Verify(r.Context(), c.Value)
	if err != nil {
		return ""
	}
	return claims.Username
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>signout example</title>
{{with .User}}{{if $.Protected}}<h1>Protected page</h1>
<p id="secret">hello, {{.}}</p>
<p><a href="/">Home</a></p>
{{else}}<p>Signed in as <b>{{.}}</b>. <a href="/protected">Protected page</a></p>
{{end}}<form method="post" action="/logout"><button id="logout">Log out</button></form>
<form method="post" action="/logout/all"><button id="logout-all">Log out of all devices</button></form>
{{else}}<p>Not signed in.</p>
<form method="post" action="/login"><input name="username" placeholder="name" required> <button id="login">Sign in</button></form>
{{end}}`))

type view struct {
	User      string
	Protected bool
}

// Pages that show a session's data tell the browser not to store them, so
// that Back after logout cannot show them again; the logout handler's
// Clear-Site-Data covers browsers that cached them anyway.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	page.Execute(w, view{User: a.user(r)})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("username")
	if name == "" {
		http.Error(w, "name needed", http.StatusBadRequest)
		return
	}
	t := a.srv.SignIn(name)
	for _, c := range []*http.Cookie{
		{Name: accessCookie, Value: t.AccessToken},
		{Name: refreshCookie, Value: t.RefreshToken},
	} {
		c.Path, c.HttpOnly, c.SameSite = "/", true, http.SameSiteLaxMode
		http.SetCookie(w, c)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) protected(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	name := a.user(r)
	if name == "" {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	page.Execute(w, view{User: name, Protected: true})
}
