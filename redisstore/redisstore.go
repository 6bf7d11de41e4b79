package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
)

// Store is a signout.RevocationStore shared through Redis, a
// verify.RevocationStore that answers from a local view, and the
// outbox of that signout.RevocationStore, in Redis. It is safe for concurrent use. Make one per
// process with New and Close it when done.
type Store struct {
	rdb      *redis.Client
	local    *revocation.Store
	keys     string // the pattern of record keys
	channel  string
	prefix   string
	bound    time.Duration
	failOpen bool
	now      func() time.Time
	// clockOffset shifts the Redis server's clock as the outbox reads it:
	// tests move time with it.
	clockOffset time.Duration

	// fresh is the Unix nanosecond time T (by now) such that every record
	// written to Redis before T is in local.
	fresh   atomic.Int64
	lastErr atomic.Pointer[string] // why the view is not confirmed, for errors

	mu      sync.Mutex
	ps      *redis.PubSub
	synced  bool          // local holds every record since ps subscribed
	changed chan struct{} // closed when fresh moves

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var _ signout.RevocationStore = (*Store)(nil)

// record is a Revocation as stored in Redis and published.
type record struct {
	Pool      string    `json:"pool"`
	Subject   string    `json:"sub,omitempty"`
	OriginJTI string    `json:"origin_jti,omitempty"`
	At        time.Time `json:"at"`
	Expires   time.Time `json:"exp"`
}

// New starts a Store on rdb and returns once the Store has subscribed and
// loaded every live record, or with an error when ctx ends first: an
// *signout.Error matching signout.ErrTimeout or signout.ErrNetwork, or
// signout.ErrInvalidOption for a bad option. rdb must be built with
// ContextTimeoutEnabled: true, without which go-redis ignores the
// deadlines of contexts and a hung Redis holds every call for its
// ReadTimeout; New refuses it, with ErrInvalidOption. rdb stays the
// caller's: Close does not close it. Cluster clients are not supported; a
// failover (Sentinel) client is a *redis.Client and works.
func New(ctx context.Context, rdb *redis.Client, opts ...Option) (*Store, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if rdb == nil {
		return nil, &signout.Error{Op: "New", Kind: signout.ErrInvalidOption, Message: "nil *redis.Client"}
	}
	if !rdb.Options().ContextTimeoutEnabled {
		return nil, &signout.Error{Op: "New", Kind: signout.ErrInvalidOption,
			Message: "the *redis.Client ignores the deadlines of contexts: set ContextTimeoutEnabled: true in its redis.Options"}
	}
	return start(ctx, rdb, o, time.Now)
}

func start(ctx context.Context, rdb *redis.Client, o options, now func() time.Time) (*Store, error) {
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Store{
		rdb:      rdb,
		local:    revocation.New(),
		keys:     o.prefix + "rev:*",
		channel:  o.prefix + "revocations",
		prefix:   o.prefix,
		bound:    o.bound,
		failOpen: o.failOpen,
		now:      now,
		changed:  make(chan struct{}),
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	s.ps = rdb.Subscribe(runCtx, s.channel)
	go s.run(runCtx)
	if err := s.Sync(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the Store's goroutine and its subscription connection. After
// Close, Revoked answers from the view as it was, and fails closed once it
// is older than the bound.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.mu.Lock()
		ps := s.ps
		s.mu.Unlock()
		_ = ps.Close()
		<-s.done
	})
	return nil
}

// Revoke applies r to this process's view, then writes it to Redis, with a
// TTL at its Expires, and publishes it to the other Stores. A record
// without Expires gets At + 24 hours; an expired one is
// not written. It returns an *signout.Error: signout.ErrInvalidParameter for
// an incomplete record (nothing is written), or signout.ErrNetwork,
// ErrTimeout or ErrService when Redis did not take it (this process still
// refuses the tokens r covers).
func (s *Store) Revoke(ctx context.Context, r signout.Revocation) error {
	if err := s.local.Revoke(ctx, r); err != nil {
		return err
	}
	rec := record{Pool: r.UserPoolID, Subject: r.Subject, OriginJTI: r.OriginJTI, At: r.At, Expires: revocation.Expires(r)}
	if !rec.Expires.After(time.Now()) {
		return nil
	}
	payload, err := json.Marshal(rec)
	if err != nil {
		return &signout.Error{Op: "Revoke", Kind: signout.ErrInvalidParameter, Message: "record cannot be encoded"}
	}
	sum := sha256.Sum256(payload)
	key := s.prefix + "rev:" + hex.EncodeToString(sum[:16])
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "SET", key, payload, "PXAT", rec.Expires.UnixMilli())
		p.Publish(ctx, s.channel, payload)
		return nil
	})
	if err != nil {
		return redisError(ctx, "Revoke", err)
	}
	return nil
}

// Revoked reports whether a token with these claims was signed out,
// from the local view. When the view was not confirmed within the bound it
// fails closed with an *signout.Error matching signout.ErrNetwork, unless
// the view already has the token revoked, or WithFailOpen was given.
func (s *Store) Revoked(userPoolID, subject, originJTI string, authTime time.Time) (bool, error) {
	revoked, _ := s.local.Revoked(userPoolID, subject, originJTI, authTime)
	if revoked || s.failOpen {
		return revoked, nil
	}
	if age := time.Duration(s.now().UnixNano() - s.fresh.Load()); age > s.bound {
		return false, s.staleError(age)
	}
	return false, nil
}

func (s *Store) staleError(age time.Duration) error {
	why := "no answer from redis"
	if p := s.lastErr.Load(); p != nil {
		why = *p
	}
	msg := fmt.Sprintf("revocation view not confirmed for %s, over the %s bound (%s): failing closed",
		age.Round(time.Millisecond), s.bound, why)
	if s.fresh.Load() == 0 {
		msg = "revocation view never loaded from redis (" + why + "): failing closed"
	}
	return &signout.Error{Op: "Revoked", Kind: signout.ErrNetwork, Message: msg}
}

// Sync waits until the local view holds every record written to Redis
// before the call, by any process: for tests, and for readiness checks.
// It returns an *signout.Error matching signout.ErrTimeout or ErrNetwork
// when ctx ends first.
func (s *Store) Sync(ctx context.Context) error {
	t := s.now().UnixNano()
	s.mu.Lock()
	ps, synced := s.ps, s.synced
	s.mu.Unlock()
	if synced {
		// Errors surface in the receiving loop, which reconnects.
		_ = ps.Ping(ctx, strconv.FormatInt(t, 10))
	}
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if s.fresh.Load() >= t {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s.waitError(ctx)
		}
	}
}

func (s *Store) waitError(ctx context.Context) error {
	why := "no answer from redis"
	if p := s.lastErr.Load(); p != nil {
		why = *p
	}
	kind := signout.ErrNetwork
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = signout.ErrTimeout
	}
	return &signout.Error{Op: "Sync", Kind: kind, Message: "revocation view not loaded from redis: " + why}
}

// advance records that the view holds every record written before t.
func (s *Store) advance(t int64) {
	if t <= s.fresh.Load() {
		return
	}
	s.mu.Lock()
	if t > s.fresh.Load() {
		s.fresh.Store(t)
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
}

func (s *Store) setSynced(v bool) {
	s.mu.Lock()
	s.synced = v
	s.mu.Unlock()
}

func (s *Store) fail(err error) {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	s.lastErr.Store(&msg)
}

// run keeps the view current: it applies published records, reloads every
// record after each (re)subscription, and confirms the view with PINGs.
func (s *Store) run(ctx context.Context) {
	defer close(s.done)
	pingEvery := s.bound / 5
	var (
		needReload bool
		retryAt    time.Time
		lastPing   time.Time
		backoff    = newBackoff(pingEvery)
	)
	for ctx.Err() == nil {
		s.mu.Lock()
		ps, synced := s.ps, s.synced
		s.mu.Unlock()

		if needReload && !time.Now().Before(retryAt) {
			start := s.now().UnixNano()
			if err := s.reload(ctx); err != nil {
				s.fail(err)
				retryAt = time.Now().Add(backoff.next())
			} else {
				needReload, synced = false, true
				s.setSynced(true)
				backoff.reset()
				s.advance(start)
				lastPing = time.Time{}
			}
		}
		if synced && time.Since(lastPing) >= pingEvery {
			lastPing = time.Now()
			// A failed PING shows up as a failed receive below.
			_ = ps.Ping(ctx, strconv.FormatInt(s.now().UnixNano(), 10))
		}
		wait := pingEvery
		if needReload {
			wait = max(min(wait, time.Until(retryAt)), time.Millisecond)
		}
		msg, err := ps.ReceiveTimeout(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if synced && time.Duration(s.now().UnixNano()-s.fresh.Load()) > s.bound {
					// The subscription is alive but silent: start a new one.
					s.fail(errors.New("subscription stopped answering"))
					s.resubscribe(ctx, ps)
					needReload = false
				}
				continue
			}
			// go-redis reconnects and resubscribes on the next call; the
			// view is complete again only after the reload that follows.
			s.fail(err)
			s.setSynced(false)
			needReload = false
			select {
			case <-ctx.Done():
			case <-time.After(backoff.next()):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == s.channel {
				s.setSynced(false)
				needReload, retryAt = true, time.Now()
			}
		case *redis.Message:
			var rec record
			if json.Unmarshal([]byte(m.Payload), &rec) == nil {
				_ = s.local.Revoke(ctx, rec.revocation())
			}
		case *redis.Pong:
			if t, err := strconv.ParseInt(m.Payload, 10, 64); err == nil && synced {
				s.advance(t)
			}
		}
	}
	s.mu.Lock()
	_ = s.ps.Close()
	s.mu.Unlock()
}

// resubscribe replaces a silent subscription. It dials without holding
// s.mu, which Sync takes: Sync must not wait on a server that hangs.
func (s *Store) resubscribe(ctx context.Context, old *redis.PubSub) {
	s.setSynced(false)
	_ = old.Close()
	ps := s.rdb.Subscribe(ctx, s.channel)
	s.mu.Lock()
	s.ps = ps
	s.mu.Unlock()
}

// reload merges every live record in Redis into the view.
func (s *Store) reload(ctx context.Context) error {
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys, 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			values, err := s.rdb.MGet(ctx, keys...).Result()
			if err != nil {
				return err
			}
			for _, v := range values {
				str, ok := v.(string)
				if !ok {
					continue // expired since SCAN
				}
				var rec record
				if json.Unmarshal([]byte(str), &rec) == nil {
					_ = s.local.Revoke(ctx, rec.revocation())
				}
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func (r record) revocation() signout.Revocation {
	return signout.Revocation{UserPoolID: r.Pool, Subject: r.Subject, OriginJTI: r.OriginJTI, At: r.At, Expires: r.Expires}
}

// backoff doubles from 10ms up to a ceiling.
type backoff struct{ cur, ceiling time.Duration }

func newBackoff(ceiling time.Duration) *backoff {
	return &backoff{ceiling: max(ceiling, 10*time.Millisecond)}
}

func (b *backoff) next() time.Duration {
	b.cur = min(max(2*b.cur, 10*time.Millisecond), b.ceiling)
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// redisError maps a go-redis failure to the library's kinds. Records hold
// no token, so the cause's text is safe to keep, shortened.
func redisError(ctx context.Context, op string, err error) error {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	var ne net.Error
	var re redis.Error
	switch {
	case errors.Is(err, context.Canceled):
		return &signout.Error{Op: op, Kind: context.Canceled, Message: "redis: " + msg}
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return &signout.Error{Op: op, Kind: signout.ErrTimeout, Message: "redis: " + msg}
	case errors.As(err, &re):
		return &signout.Error{Op: op, Kind: signout.ErrService, Message: "redis: " + msg}
	}
	return &signout.Error{Op: op, Kind: signout.ErrNetwork, Message: "redis: " + msg}
}
