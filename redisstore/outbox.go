package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cognitogo/signout"
)

var _ signout.RevocationStore = (*Store)(nil)

// maxEntryData bounds an entry's Data: the Client's are a few KiB.
const maxEntryData = 64 << 10

// The outbox's keys, after the prefix: every entry is a hash
// (outbox:entry:ID, holding created, due, due_ms, attempts, data and the
// owner of its last lease), and three sorted sets of entry ids keep the
// order: outbox:due holds the entries no lease holds, by Due;
// outbox:leased the leased ones, by the end of their lease; outbox:created
// every entry, by Created. Times in scores are Unix milliseconds; times in
// the hash Unix nanoseconds.
const (
	keyEntry   = "outbox:entry:"
	keyDue     = "outbox:due"
	keyLeased  = "outbox:leased"
	keyCreated = "outbox:created"
)

// The scripts make each method one atomic step on the server, and read
// the time on the server's clock (TIME), so that Clients whose clocks
// differ share the outbox safely. ARGV offset_ms shifts that clock, for
// tests only; it is 0 otherwise.
var (
	// KEYS: entry, due, created, leased. ARGV: id, created_ns, due_ns,
	// due_ms, attempts, data, created_ms, offset_ms.
	enqueueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if tonumber(ARGV[4]) < tonumber(redis.call('HGET', KEYS[1], 'due_ms')) then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[8])
    local lease = redis.call('ZSCORE', KEYS[4], ARGV[1])
    if lease and tonumber(lease) > now then return 0 end
    redis.call('ZREM', KEYS[4], ARGV[1])
    redis.call('HSET', KEYS[1], 'due', ARGV[3], 'due_ms', ARGV[4])
    redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  end
  return 0
end
redis.call('HSET', KEYS[1], 'created', ARGV[2], 'due', ARGV[3], 'due_ms', ARGV[4], 'attempts', ARGV[5], 'data', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
return 1`)

	// KEYS: due, leased. ARGV: entry key prefix, owner, lease_ms, max,
	// offset_ms. It returns {id, created_ns, due_ns, attempts, data} for
	// each entry leased. A lease's end is a millisecond past now +
	// lease_ms: now is TIME cut to the millisecond, up to 1 ms before the
	// lease began, and a lease ended early is an entry leased twice.
	claimScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[5])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[2], id)
  local due = redis.call('HGET', ARGV[1] .. id, 'due_ms')
  if due then redis.call('ZADD', KEYS[1], due, id) end
end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))) do
  local key = ARGV[1] .. id
  redis.call('ZREM', KEYS[1], id)
  local f = redis.call('HMGET', key, 'created', 'due', 'attempts', 'data')
  if f[1] then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]) + 1, id)
    redis.call('HSET', key, 'owner', ARGV[2])
    table.insert(out, {id, f[1], f[2], f[3], f[4]})
  end
end
return out`)

	// KEYS: entry, due, leased. ARGV: id, owner, due_ns, due_ms, attempts,
	// data.
	rescheduleScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'due', ARGV[3], 'due_ms', ARGV[4], 'attempts', ARGV[5], 'data', ARGV[6])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1`)

	// KEYS: entry, due, leased, created. ARGV: id.
	completeScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1`)

	// KEYS: created. ARGV: entry key prefix. It returns {n, created_ns of
	// the oldest}.
	pendingScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
local created = false
if first[1] then created = redis.call('HGET', ARGV[1] .. first[1], 'created') end
return {n, created}`)
)

func (s *Store) key(name string) string { return s.prefix + name }

// Enqueue adds e to the outbox in Redis, unless an entry with its ID is
// there, whose Due it brings forward to e's when no lease holds it. See
// signout.RevocationStore. It returns an *signout.Error:
// signout.ErrInvalidParameter for an entry without an ID or with more than
// 64 KiB of Data (nothing is written), or ErrTimeout, ErrNetwork or
// ErrService when Redis did not take it.
func (s *Store) Enqueue(ctx context.Context, e signout.OutboxEntry) error {
	switch {
	case e.ID == "":
		return &signout.Error{Op: "Enqueue", Kind: signout.ErrInvalidParameter, Message: "OutboxEntry.ID is empty"}
	case len(e.Data) > maxEntryData:
		return &signout.Error{Op: "Enqueue", Kind: signout.ErrInvalidParameter, Message: "OutboxEntry.Data is over 64 KiB"}
	}
	err := enqueueScript.Run(ctx, s.rdb,
		[]string{s.key(keyEntry + e.ID), s.key(keyDue), s.key(keyCreated), s.key(keyLeased)},
		e.ID, unixNanos(e.Created), unixNanos(e.Due), millis(e.Due), e.Attempts, e.Data, millis(e.Created),
		s.clockOffset.Milliseconds()).Err()
	if err != nil {
		return redisError(ctx, "Enqueue", err)
	}
	return nil
}

// Claim leases up to max due entries to owner, for lease from now on the
// Redis server's clock, earliest Due first. See signout.RevocationStore. Its errors
// are as Enqueue's.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, max int) ([]signout.OutboxEntry, error) {
	if max <= 0 {
		return nil, nil
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{s.key(keyDue), s.key(keyLeased)},
		s.key(keyEntry), owner, ceilMillis(lease), max, s.clockOffset.Milliseconds()).Slice()
	if err != nil {
		return nil, redisError(ctx, "Claim", err)
	}
	out := make([]signout.OutboxEntry, 0, len(res))
	for _, r := range res {
		f, ok := r.([]any)
		if !ok || len(f) != 5 {
			return out, &signout.Error{Op: "Claim", Kind: signout.ErrService, Message: "redis: unexpected answer to the claim script"}
		}
		id, _ := f[0].(string)
		created, _ := f[1].(string)
		due, _ := f[2].(string)
		attempts, _ := f[3].(string)
		data, _ := f[4].(string)
		e := signout.OutboxEntry{ID: id, Created: nanos(created), Due: nanos(due), Data: []byte(data)}
		e.Attempts, _ = strconv.Atoi(attempts)
		out = append(out, e)
	}
	return out, nil
}

// Reschedule puts an entry owner claimed back for e.Due. See
// signout.RevocationStore. Its errors are as Enqueue's.
func (s *Store) Reschedule(ctx context.Context, owner string, e signout.OutboxEntry) error {
	if len(e.Data) > maxEntryData {
		return &signout.Error{Op: "Reschedule", Kind: signout.ErrInvalidParameter, Message: "OutboxEntry.Data is over 64 KiB"}
	}
	err := rescheduleScript.Run(ctx, s.rdb,
		[]string{s.key(keyEntry + e.ID), s.key(keyDue), s.key(keyLeased)},
		e.ID, owner, unixNanos(e.Due), millis(e.Due), e.Attempts, e.Data).Err()
	if err != nil {
		return redisError(ctx, "Reschedule", err)
	}
	return nil
}

// Complete removes an entry. See signout.RevocationStore. Its errors are as
// Enqueue's.
func (s *Store) Complete(ctx context.Context, id string) error {
	err := completeScript.Run(ctx, s.rdb,
		[]string{s.key(keyEntry + id), s.key(keyDue), s.key(keyLeased), s.key(keyCreated)}, id).Err()
	if err != nil {
		return redisError(ctx, "Complete", err)
	}
	return nil
}

// Pending returns how many entries the outbox holds and the Created time
// of the oldest. See signout.RevocationStore. Its errors are as Enqueue's.
func (s *Store) Pending(ctx context.Context) (n int, oldest time.Time, err error) {
	res, err := pendingScript.Run(ctx, s.rdb, []string{s.key(keyCreated)}, s.key(keyEntry)).Slice()
	if err != nil {
		return 0, time.Time{}, redisError(ctx, "Pending", err)
	}
	if len(res) > 0 {
		count, _ := res[0].(int64)
		n = int(count)
	}
	if len(res) > 1 {
		if created, ok := res[1].(string); ok {
			oldest = nanos(created)
		}
	}
	return n, oldest, nil
}

// millis is t in Unix milliseconds, rounded up, so that an entry is never
// claimed before its Due.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// ceilMillis is d in whole milliseconds, rounded up.
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// unixNanos is t in Unix nanoseconds, and "" for the zero time.
func unixNanos(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// nanos parses Unix nanoseconds; the zero time when s holds none.
func nanos(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}
