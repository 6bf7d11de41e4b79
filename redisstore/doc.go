// Package redisstore shares signout's revocation records across a fleet of
// API servers through Redis, while each server checks tokens against a
// local view: no network round trip per request.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, err := redisstore.New(ctx, rdb) // returns once every live record is loaded
//	if err != nil { return err }
//	defer store.Close()
//	v, _ := verify.New(verify.WithPool(userPoolID, clientID), verify.WithRevocationStore(store))
//
// Give the same store to signout.WithRevocationStore in the process that
// signs users out: each sign-out's record then reaches every server.
//
// # How a record travels
//
// [Store.Revoke] applies the record to its own process's view at once, then
// writes it to Redis as one key that expires at the record's Expires (SET
// with PXAT) and publishes it on a channel, in one MULTI/EXEC. Every Store
// subscribes to the channel, and on start and after every reconnection
// loads all live keys (SCAN) before it trusts its view again. Records are
// merged, never removed before their Expires: a Redis that lost its data
// does not bring a revoked token back in a running process. To keep records
// across a Redis restart for processes that start later, run Redis with
// persistence (appendonly yes; appendfsync always makes each Revoke durable
// before it returns).
//
// # Staleness bound
//
// A Store confirms its view by a PING on its subscription every fifth of
// the bound: Redis answers it after every message published before it, so
// a PONG for a PING sent at T proves the view holds every record written
// before T. [Store.Revoked] answers from the view while it was confirmed
// within the bound (5 seconds, or [WithStalenessBound]). So a
// revocation written at time t is refused by every server from t + the
// bound on; on a healthy network it takes one pub/sub delivery (a
// millisecond or so).
//
// When the view has not been confirmed within the bound, because Redis or
// the network to it is down, Revoked fails closed: it returns an
// *signout.Error matching signout.ErrNetwork, which the verifier passes on
// (its middleware answers 503), except for tokens the view already knows
// to be revoked, which are refused as revoked. [WithFailOpen] answers from
// the view however old it is instead.
package redisstore
