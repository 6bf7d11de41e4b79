// Package verify checks Amazon Cognito tokens locally, with no Cognito call
// per request, and refuses the tokens a sign-out ended.
//
//	store := revocation.New() // or redisstore.New for a fleet
//	v, err := verify.New(verify.WithPool(issuer, clientID), verify.WithRevocationStore(store))
//	if err != nil { return err }
//	http.Handle("/api/", v.Middleware(api)) // 401 with WWW-Authenticate for bad tokens
//	claims, _ := verify.ClaimsFromContext(r.Context()) // inside api
//
// # What is checked
//
// A token is accepted when it is a compact JWS signed with RS256 (Cognito's
// only algorithm; "none", HS256 and the rest are refused before any key is
// looked up) by a key of its pool's JWKS; its iss is a pool given with
// [WithPool]; its token_use is accepted ([WithTokenUse], access tokens by
// default); its client_id (access) or aud (ID) is one of the pool's app
// clients; it has a sub; exp has not passed and iat is not in the future,
// give or take the leeway ([WithLeeway]); it carries the scopes and groups
// of [WithScopes] and [WithGroups]; and the [RevocationStore] of
// [WithRevocationStore] does not report it signed out.
//
// # Keys
//
// A pool's JWKS is fetched from ISSUER/.well-known/jwks.json (or from
// [WithEndpoint]) when its first token arrives, then again only when a
// token names a key the verifier does not know, at most once per
// [WithRefreshInterval]. Known keys are read without a lock or a fetch.
//
// # Cache
//
// A token verified once is remembered by the SHA-256 of the whole token,
// until its exp ([WithCacheSize]). A client calls an API many times with
// one token: a repeated token costs a SHA-256 of the token, one cache
// lookup, and the [RevocationStore]'s answer (a revocation.Store looks up
// the pool, the user and the session: up to three map lookups). Its exp and
// its revocation are checked on every request, cached or not.
//
// # Errors
//
// Verify returns *signout.Error values that never hold the token:
// signout.ErrTokenExpired, signout.ErrTokenRevoked, signout.ErrMissingScope
// (scope or group), signout.ErrInvalidToken for any other fault of the
// token (all of them match signout.ErrNotAuthorized), and
// signout.ErrNetwork, signout.ErrTimeout or signout.ErrService when the
// token could not be checked: the JWKS could not be fetched, or the
// revocation store failed closed.
package verify
