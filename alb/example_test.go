package alb_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/alb"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

// An application behind a load balancer greets the signed-in user, and
// stops doing so once the user signed out, though the load balancer still
// forwards the session.
func ExampleVerifier_Middleware() {
	srv := signouttest.NewServer() // stands in for Cognito
	defer srv.Close()
	store := revocation.New()
	access, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL),
		verify.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}
	greet := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := alb.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello, %s", c.Username)
	})
	lb := signouttest.NewALB(srv, nil) // stands in for the load balancer
	defer lb.Close()
	v, err := alb.New(access, alb.WithLoadBalancer(lb.ARN), alb.WithKeyEndpoint(lb.KeyURL))
	if err != nil {
		log.Fatal(err)
	}
	app := v.Middleware(greet)

	tokens := srv.SignIn("alice")
	get := func() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for name, values := range lb.Headers(tokens) {
			req.Header[name] = values
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	get()

	client, err := signout.New(signout.WithEndpoint(srv.URL), signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.SignOut(context.Background(), tokens.AccessToken); err != nil {
		log.Fatal(err)
	}
	get()
	// Output:
	// 200 hello, alice
	// 401 session not valid: sign in again
}

// Verify checks the load balancer's token alone.
func ExampleVerifier_Verify() {
	srv := signouttest.NewServer()
	defer srv.Close()
	lb := signouttest.NewALB(srv, nil)
	defer lb.Close()
	access, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	v, err := alb.New(access, alb.WithLoadBalancer(lb.ARN), alb.WithKeyEndpoint(lb.KeyURL))
	if err != nil {
		log.Fatal(err)
	}

	data := lb.Headers(srv.SignIn("alice")).Get("X-Amzn-Oidc-Data")
	c, err := v.Verify(context.Background(), data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Username, c.Signer == lb.ARN)

	_, err = v.Verify(context.Background(), data[:len(data)-8]+"AAAAAA==")
	fmt.Println(errors.Is(err, signout.ErrInvalidToken), err)
	// Output:
	// alice true
	// true signout: VerifyALB: invalid token (token signature does not verify)
}

// New needs the load balancers' ARNs, and a verifier for the access
// tokens they forward.
func ExampleNew() {
	access, err := verify.New(verify.WithPool("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example", "1example23456789"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = alb.New(access, alb.WithLoadBalancer("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"))
	fmt.Println(err)
	_, err = alb.New(access, alb.WithLoadBalancer("my-alb"))
	fmt.Println(err)
	// Output:
	// <nil>
	// signout: WithLoadBalancer: invalid option (not an Application Load Balancer's ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID))
}
