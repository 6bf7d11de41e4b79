// Package signouthttp serves a logout endpoint for a web application that
// keeps Cognito tokens in cookies. Its handler ends the session at Cognito
// (the refresh token revoked, or the user signed out everywhere), expires
// the cookies, has the browser drop its caches of the site, and says
// whether the logout holds.
//
//	logout, err := signouthttp.New(client, // a *signout.Client with WithAppClient
//		signouthttp.WithTokenCookies("__Host-access_token", "__Host-refresh_token"),
//		signouthttp.WithRedirect("/"))
//	mux.Handle("POST /logout", logout)
//
// Like every constructor of the module, [New] takes what it cannot do
// without, then options that each say what to do, and reports a bad one as
// an error naming it.
//
// # Which sessions end
//
// [WithReach] is [signout.ThisSession] by default: "Log out" ends the
// session of this browser and leaves the user's phone signed in. Mount a
// second handler with [signout.AllSessions] for "Log out of all devices".
//
// A request may carry several values of a token cookie: a page on a sibling
// subdomain can set cookies of the same names, which the browser sends
// along with the user's own. The handler ends every session named. It pairs
// the access tokens (the bearer token first) with the refresh tokens by
// position, first with first, and calls [Logouter] once a pair, for every
// pair at once, so that a planted pair whose call hangs does not use up the
// time of the user's own; it cannot tell which tokens belong together, and
// need not: Cognito ends only what a call's own tokens name, and
// [signout.Client.Logout] records a session's revocation only for an
// access token whose signature verified, so a junk or forged cookie
// records nothing and a mismatched pair nothing wrong. More than 8 values
// of one token are refused with 400 ([ErrTooManyTokens]), the cookies
// expired all the same.
//
// # What the answer says
//
// The status tells the page whether it may tell the user they are signed
// out:
//
//   - 204 No Content (or WithRedirect's 303): every session named ended at
//     Cognito, and, with a revocation store, is recorded at the API; or
//     nothing a retry could end was left (a token already revoked, expired
//     or invalid: [WithOnError] hears why).
//   - 202 Accepted (or the 303): as 204, except that some session is
//     recorded at the API and its Cognito call queued
//     ([signout.ErrQueued]), to be made when Cognito answers again. The user
//     is signed out.
//   - 503 Service Unavailable, with Retry-After: a session could not be
//     ended or queued for a passing reason (Cognito, the revocation store
//     or the JWKS unreachable, and no outbox to carry the call). The
//     cookies are kept and no Clear-Site-Data is sent, so the page can try
//     again rather than leave a live session behind unseen.
//
// In the first two cases, and for 400, the cookies are expired.
//
// # Back after logout
//
// The answer carries Clear-Site-Data: "cache", so the browser drops its
// HTTP cache of the site and the site's pages held in its back/forward
// cache at that moment. The page the logout was posted from enters the
// back/forward cache only after the answer, so Clear-Site-Data cannot reach
// it: pages that show a session's data must also send
// Cache-Control: no-store. Chromium then keeps them out of its HTTP cache,
// and evicts them from the back/forward cache when a cookie of the site
// changes, as the handler's expired cookies do. Measured on 2026-11-26 in
// headless Chromium 156.0.8078.108 with the back/forward cache on, with the
// browser test of examples/logout-handler: Clear-Site-Data alone let Back
// restore the page the logout was posted from; no-store alone held, with
// the token cookies HttpOnly or not. Other browsers and versions may
// differ; that test checks the two headers together. Browsers honour
// Clear-Site-Data over HTTPS and on localhost only.
//
// # Behind an Application Load Balancer
//
// When an Application Load Balancer signs users in with Cognito, the
// application holds no tokens: the load balancer keeps them in its session
// cookie, AWSELBAuthSessionCookie-0, -1, ..., and forwards the access
// token with each request. Expiring that cookie alone is not a logout: the
// user's tokens stay valid at Cognito, and the load balancer's next
// sign-in is granted at once by the managed login, whose own session
// lives on. [WithALB] takes all three steps: it expires the cookie's
// shards, signs the user out of all sessions with the forwarded access
// token (the load balancer forwards no refresh token), and redirects to
// the managed login's /logout ([LogoutURL]):
//
//	logoutURL, _ := signouthttp.LogoutURL("auth.example.com", clientID, "https://app.example.com/")
//	logout, err := signouthttp.New(client, signouthttp.WithALB(alb.SessionCookie, logoutURL))
//
// The load balancer learns of the sign-out only when it next refreshes the
// tokens, up to an hour later, and until then forwards a copy of the old
// cookie as a live session: package alb's middleware refuses such
// requests by the revoked access token.
//
// # Forged requests
//
// The handler accepts POST only, and only from pages of its own origin
// ([WithCrossOriginProtection] trusts more), with net/http's
// CrossOriginProtection. A login form needs the same protection, or a page
// elsewhere can sign the visitor in as its own user:
//
//	mux.Handle("POST /login", http.NewCrossOriginProtection().Handler(login))
package signouthttp
