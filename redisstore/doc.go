// Package redisstore shares signout's revocation records across a fleet of
// API servers through Redis, while each server checks tokens against a
// local view: no network round trip per request.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
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
//
// # Outbox
//
// A Store also keeps the fleet's outbox: give every process's Client the
// same signout.WithOutboxKey, and a Cognito call that failed for a passing
// reason waits in Redis until a Client of any process makes it:
//
//	c, _ := signout.New(signout.WithPool(userPoolID), signout.WithRevocationStore(store),
//		signout.WithOutboxKey(key)) // key: 32 bytes, the same everywhere
//	defer c.Close()
//
// Each entry is a hash (PREFIXoutbox:entry:ID) and three sorted sets order
// the entries: by Due, by the end of their lease, by Created. Each of
// [Store.Enqueue], [Store.Claim], [Store.Reschedule], [Store.Complete] and
// [Store.Pending] is one Lua script, one atomic step on the server: two
// Claims racing from any processes never lease the same entry. Due and
// lease times are compared with the Redis server's clock (TIME, read in
// the script), not with the processes' clocks. An entry leased by a
// process that was killed is claimable again when its lease ends. Run
// Redis with persistence (appendonly yes, appendfsync always) and an entry
// a caller was told is queued survives a Redis restart. It needs Redis 5
// or later.
//
// No token, client secret or user id is stored in the clear. An entry
// holds its ID (an HMAC of the call, keyed by WithOutboxKey), its times and
// attempts, the random name the Client leases under, and its Data, sealed
// by the Client with AES-256-GCM before Enqueue sees it. A revocation
// record holds a user pool id, a user's sub or a session's origin_jti, and
// times: what every verifier needs to refuse tokens, never a token.
//
// # Deadlines
//
// Every call into the Store ends by its context's deadline, as
// signout.WithTimeout and the logout handler's timeout need, even when
// Redis hangs. go-redis honours deadlines only when told to, so New
// refuses a client built without ContextTimeoutEnabled: true. It refuses
// rather than repairs: the client is the application's, with its pool,
// hooks, TLS and failover settings, and a copy built with the flag would
// be a second pool that skips them, while a call abandoned at its deadline
// would run on and hold its connection.
package redisstore
