// Package verify checks Amazon Cognito tokens at an application's own API,
// locally, with no Cognito call per request, and refuses the tokens a
// sign-out ended.
//
//	store := revocation.New() // or redisstore.New for a fleet
//	v, err := verify.New(verify.WithPool("us-east-1_AbC123", clientID), verify.WithRevocationStore(store))
//	if err != nil { return err }
//	if err := v.Load(ctx); err != nil { return err } // the JWKS, fetched before the first request
//	http.Handle("/api/", v.Middleware(api)) // 401 with WWW-Authenticate for bad tokens
//	claims, _ := verify.ClaimsFromContext(r.Context()) // inside api
//
// # What is checked
//
// A token is accepted when it is a compact JWS in canonical base64url
// (nothing but base64url and two dots, no padding, no unused bits set, so
// that a token has one spelling), signed with RS256 (Cognito's only
// algorithm; "none", HS256 and the rest are refused before any key is
// looked up, and so is a header listing critical extensions, crit) by a
// key of its pool's JWKS; its iss is one of a pool given with [WithPool];
// its token_use is accepted ([WithTokenUse], access tokens by default); its
// client_id (access) or aud (ID) is one of the pool's app clients; it has a
// sub; exp has not passed and iat and nbf are not in the future, give or
// take the leeway ([WithLeeway]); the [RevocationStore] of
// [WithRevocationStore] does not report it signed out; and it meets the
// requirements of the Verifier and of the call (see Requirements below).
// Claim names are case-sensitive and a name given twice is refused
// (RFC 7519), so "EXP" or a second "sub" cannot stand in for the real
// claim.
//
// # Pools and issuers
//
// [WithPool] takes a user pool id, as aws-jwt-verify does. A pool's tokens
// carry one of two issuer forms, depending on its issuer configuration:
// ORIGINAL, https://cognito-idp.REGION.amazonaws.com/POOL_ID, where REGION
// is the region that issued the token, and UPDATED,
// https://issuer-cognito-idp.PRIMARY.amazonaws.com/POOL_ID, where PRIMARY
// is the pool's primary region, the one its id begins with. Both are
// accepted, so that a pool can move from one to the other. A pool
// replicated to other regions issues tokens there too: name those regions
// with [WithReplicaRegions]. [Claims].UserPoolID is the pool whatever the
// form, and revocation records are kept by pool id, so that a sign-out
// recorded through one form ends the session in every form. An issuer URL
// given to WithPool works as before: a Cognito one stands for its pool, and
// another https URL ending with the pool id (an emulator's) is accepted
// exactly as it is.
//
// # Keys
//
// A pool's JWKS is fetched from ISSUER/.well-known/jwks.json, at the host
// the token's iss names, then from the pool's other hosts when that one
// fails (with [WithEndpoint], from an emulator instead). It is fetched when
// [Verifier.Load] is called or the pool's first token arrives, then again
// only when a token names a key the Verifier does not know, at most once
// per [WithRefreshInterval], whatever the callers do: a fetch runs apart
// from the request that caused it, so a client that hangs up does not end
// it, and it counts. Known keys are read without a lock or a fetch. A
// JWKS answer is bounded to 1 MiB and each request for one to 10 seconds;
// redirects are refused.
//
// # Cache
//
// A token verified once is remembered by the SHA-256 of the whole token,
// until its exp ([WithCacheSize]). A client calls an API many times with
// one token: a repeated token costs a SHA-256 of the token, one cache
// lookup, the [RevocationStore]'s answer (a revocation.Store looks up the
// pool, the user and the session: up to three map lookups) and the
// requirements, and allocates nothing. Its exp, its revocation and the
// requirements are checked on every request, cached or not.
//
// # Requirements
//
// A [Requirement] is a condition on a valid token's claims: [AllScopes]
// and [AnyScope] for its scope claim, [AllGroups] and [AnyGroup] for its
// cognito:groups, [Check] for a rule of the application's own. Give
// requirements for every token with [WithRequirements], and for one route
// to [Verifier.Middleware] or one call to [Verifier.Verify]: one Verifier,
// and one cache, serve every route. A token that fails a scope or group
// requirement is refused with signout.ErrMissingScope (403 from the
// middleware).
//
// # Claims
//
// [Claims] holds the claims the Verifier checks. [Claims.Decode] decodes
// all of them, as strictly, into a type of the application's own: email,
// custom: attributes, claims a pre-token-generation Lambda trigger adds.
//
// # Readiness
//
// [Verifier.Load] fetches every pool's JWKS that is not loaded yet and
// returns nil once all are: call it at start, and from a readiness probe,
// for which it costs nothing once the keys are loaded.
//
// # Errors
//
// Verify returns *signout.Error values that never hold the token:
// signout.ErrTokenExpired, signout.ErrTokenRevoked, signout.ErrMissingScope
// (scope or group), signout.ErrInvalidToken for any other fault of the
// token (all of them match signout.ErrNotAuthorized), and
// signout.ErrNetwork, signout.ErrTimeout or signout.ErrService when the
// token could not be checked: the JWKS could not be fetched, or the
// revocation store failed closed. The middleware answers 401 or 403 for
// the first kind and 503 for the second, so that clients keep their tokens
// and retry.
package verify
