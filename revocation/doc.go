// Package revocation keeps signout's revocation records in memory, so that a
// verifier in the same process refuses the tokens a sign-out ended, without
// a network call per request.
//
//	store := revocation.New()
//	c, _ := signout.New(signout.WithPool(userPoolID), signout.WithRevocationStore(store)) // records each sign-out
//	defer c.Close()
//	v, _ := verify.New(verify.WithPool(userPoolID, clientID), verify.WithRevocationStore(store))
//	http.Handle("/api/", v.Middleware(api)) // a signed-out token now gets 401
//	_ = c.SignOut(ctx, accessToken)
//
// A [Store] also keeps the outbox, in memory: the Cognito calls a Client
// could not make yet wait there, sealed, until it makes them; they last as
// long as the process.
//
// A [Store] serves one process. For a fleet of API servers use the redisstore
// module (github.com/cognitogo/signout/redisstore), which keeps a Store like
// this one as each process's local view.
//
// # What a record covers
//
// A token of user pool POOL (the pool id in its iss, whichever of the pool's
// issuer forms and regions it names) with claims sub, origin_jti and
// auth_time is revoked when the store holds a record with
//   - UserPoolID == POOL and no Subject or OriginJTI, and auth_time at or
//     before At's second: every session of the pool (incident response);
//   - UserPoolID == POOL, Subject == sub and no OriginJTI, and auth_time at
//     or before At's second: every session of the user (GlobalSignOut);
//   - UserPoolID == POOL and OriginJTI == origin_jti: that one session,
//     whatever its auth_time (RevokeToken).
//
// Cognito keeps auth_time and origin_jti across refreshes, so tokens
// refreshed after the sign-out are covered too. auth_time has whole seconds:
// a sign-in in the same second as a sign-out of its user is refused until
// the user signs in again, because the store cannot tell it from a session
// the sign-out ended. Refusing a fresh session is safe; accepting an ended
// one is not.
//
// # When records go
//
// A record without Expires gets At + 24 hours, Cognito's longest access or
// ID token lifetime; one whose Expires has already passed is not kept.
// [Store.Revoked] does not look at Expires: a record past it still counts
// until a sweep drops it, and [Store.Revoke] sweeps every expired record at
// most once a minute. So a store that receives no new records keeps its
// expired ones in memory. That is harmless for correctness: a token a record
// covers has expired by the record's Expires, and the verifier refuses it
// as expired.
package revocation
