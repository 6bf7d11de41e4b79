// Package alb checks the requests an Application Load Balancer forwards
// after it signed the user in with Amazon Cognito, and refuses the
// sessions a sign-out ended.
//
// A load balancer whose listener rule authenticates with a Cognito user
// pool does the sign-in itself and keeps the session in its own cookie
// (AWSELBAuthSessionCookie-0, -1, ...). It forwards each request with three
// headers: x-amzn-oidc-data, a JWT it signs with ES256 holding the user's
// claims; x-amzn-oidc-accesstoken, the user's Cognito access token; and
// x-amzn-oidc-identity, the user's sub. The application checks them:
//
//	store := revocation.New() // the store the logout's signout.Client records to
//	access, err := verify.New(verify.WithPool(issuer, albClientID), verify.WithRevocationStore(store))
//	if err != nil { return err }
//	v, err := alb.New(access, alb.WithLoadBalancer(albARN))
//	if err != nil { return err }
//	http.Handle("/", v.Middleware(app))
//	claims, _ := alb.ClaimsFromContext(r.Context()) // inside app: claims.Username
//
// # What is checked
//
// [Verifier.Verify] accepts a load balancer's token when it is signed with
// ES256 (any other alg is refused before a key is looked up), its signer
// header is the ARN of a load balancer given with [WithLoadBalancer], its
// kid names a key that load balancer's region publishes, the signature
// verifies, and its exp has not passed, give or take [WithLeeway]. The
// token's header and claims are read strictly: names are case-sensitive
// and appear once, so that a token has one meaning.
//
// [Verifier.VerifyRequest], and the [Verifier.Middleware] built on it, also
// check the forwarded access token with the *verify.Verifier given to
// [New] (its signature, user pool, app client, expiry and, through the
// revocation store, its sign-out), and that the two tokens and the
// identity header name the same user of the same pool and app client.
//
// # Why the access token
//
// The load balancer's session outlives a sign-out. GlobalSignOut revokes
// the user's tokens at Cognito, but the load balancer notices only when it
// next refreshes the access token, up to an hour later; until then a copy
// of its cookie is a live session, forwarded with valid x-amzn-oidc-data.
// The access token it forwards is what a sign-out
// revokes: with the revocation store that the logout's signout.Client
// records to (signout.WithRevocationStore), the middleware refuses such a
// request at once, expiring the load balancer's cookie so that the user is
// signed in afresh. The logout itself is signouthttp.WithALB's.
//
// # Keys
//
// A load balancer's public key is fetched by kid from its region's key
// endpoint, https://public-keys.auth.elb.REGION.amazonaws.com/KID, which
// serves it in PEM ([WithKeyEndpoint] names another, as for
// signouttest.ALB), the first time a token names it, and kept: a kid names
// one key for good. Only kids of the load balancers' form (a UUID) of
// tokens whose signer is accepted are fetched, one fetch at a time per
// kid, 4 in a row and then one per [WithFetchInterval], however callers
// come and go. A fetch must answer within 10 seconds in at most 4 KiB, is
// not redirected and not compressed.
//
// # The load balancer's encoding
//
// Load balancers pad the base64url segments of their tokens with '=',
// which JWS (RFC 7515) leaves out, and sign the padded text; their
// signature is the 64 bytes of r and s. Verify reads segments with or
// without padding, each only in its canonical spelling, and verifies the
// signature over the text as received, so that standard JWT libraries'
// failures on these tokens do not arise.
//
// # Errors
//
// Errors are *signout.Error values that never hold a token:
// signout.ErrTokenExpired, signout.ErrTokenRevoked, signout.ErrInvalidToken
// for any other fault of a token (all of them match
// signout.ErrNotAuthorized), and signout.ErrNetwork, ErrTimeout,
// ErrService or ErrThrottled when a token could not be checked. The
// middleware answers 401 for the first kind and 503 for the second.
//
// # Testing
//
// signouttest.ALB is a stand-in load balancer, with a managed login and a
// key endpoint, in front of an http.Handler and signouttest's Cognito
// stand-in; examples/alb-logout runs a whole application behind it.
package alb
