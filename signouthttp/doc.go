// Package signouthttp serves a logout endpoint for a web application that
// keeps Cognito tokens in cookies. Its handler ends the session at Cognito
// (the refresh token revoked, or the user signed out everywhere), expires
// the cookies, and has the browser drop its caches of the site, even when
// Cognito cannot be reached.
//
//	logout, err := signouthttp.NewHandler(signouthttp.Config{
//		Client:             client, // a *signout.Client with WithAppClient
//		AccessTokenCookie:  "access_token",
//		RefreshTokenCookie: "refresh_token",
//		RedirectURL:        "/",
//	})
//	mux.Handle("POST /logout", logout)
//
// # Which sessions end
//
// [Config.Reach] is [ThisSession] by default: "Log out" ends the session of
// this browser and leaves the user's phone signed in. Mount a second
// handler with [AllSessions] for "Log out of all devices".
//
// # Back after logout
//
// The answer carries Clear-Site-Data: "cache", so the browser drops the
// pages of the session from its HTTP and back/forward caches. Pages that
// show a session's data should also send Cache-Control: no-store, which
// keeps them out of the caches of browsers that ignore Clear-Site-Data
// (it is honoured over HTTPS and on localhost only).
//
// # Forged requests
//
// The handler accepts POST only, and only from pages of its own origin
// ([Config.AllowedOrigins] adds more), with net/http's
// CrossOriginProtection. A login form needs the same protection, or a page
// elsewhere can sign the visitor in as its own user:
//
//	mux.Handle("POST /login", http.NewCrossOriginProtection().Handler(login))
package signouthttp
