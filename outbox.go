package signout

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/time/rate"

	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
)

// OutboxEntry is one Cognito call waiting in a RevocationStore's outbox.
type OutboxEntry struct {
	// ID names the call: 32 lowercase hex digits, the same for the same
	// call made twice, such as a retried sign-out with the same token.
	ID string
	// Created is when the call was first queued.
	Created time.Time
	// Due is when it may be claimed next.
	Due time.Time
	// Attempts counts the times a Client made the call from the outbox.
	Attempts int
	// Data is the call, sealed by the Client: opaque to the outbox, and a
	// few KiB at most.
	Data []byte
}

// OutboxStats describes a Client's outbox: what it holds, for every
// Client that shares it, and what this Client did with it since New.
type OutboxStats struct {
	// Pending is how many calls wait in the outbox; OldestAge how long the
	// oldest of them has waited, 0 when none does.
	Pending   int
	OldestAge time.Duration
	// Queued counts the calls this Client put in the outbox, Completed
	// those it saw Cognito confirm (or find nothing left to end), Retried
	// its calls from the outbox that failed and were put back for later,
	// and GivenUp those it dropped with nothing more to try (each logged
	// at slog.LevelError with its reason).
	Queued, Completed, Retried, GivenUp int64
}

// OutboxStats returns the outbox's stats (see OutboxStats), or an *Error
// with Op "Outbox" when the store cannot say. Without WithRevocationStore it
// returns zero stats.
func (c *Client) OutboxStats(ctx context.Context) (OutboxStats, error) {
	if c.box == nil {
		return OutboxStats{}, nil
	}
	ctx, cancel := c.budget(ctx)
	defer cancel()
	s := OutboxStats{Queued: c.box.queued.Load(), Completed: c.box.completed.Load(),
		Retried: c.box.retried.Load(), GivenUp: c.box.givenUp.Load()}
	n, oldest, err := c.box.store.Pending(ctx)
	if err != nil {
		return s, storeError(ctx, "Outbox", err)
	}
	s.Pending = n
	if n > 0 && !oldest.IsZero() {
		s.OldestAge = max(time.Since(oldest), 0)
	}
	return s, nil
}

// Close stops the goroutine that drains the outbox, cancelling the calls it
// is making; their entries are claimable again when their leases end. It
// returns once the goroutine has ended, and always nil. The Client stays
// usable: its sign-outs still queue calls, for another Client to make.
func (c *Client) Close() error {
	if c.box != nil {
		c.box.closeOnce.Do(func() {
			c.box.stop()
			<-c.box.done
		})
	}
	return nil
}

const (
	opAdminSignOut = "AdminUserGlobalSignOut"

	// drainBatch is how many entries one Claim takes.
	drainBatch = 16
	// drainPoll is how often the outbox is asked for due entries when this
	// Client queued none: entries come due, and other Clients queue some.
	drainPoll = 500 * time.Millisecond
	// storeTimeout bounds each of the drain's calls into the outbox and the
	// RevocationStore without WithTimeout.
	storeTimeout = 10 * time.Second
	// recordMargin is how long before its record would lapse a waiting
	// call has it written again.
	recordMargin = 2 * time.Hour
)

// outbox is a Client's side of its outbox: sealing, pacing, draining.
type outbox struct {
	store  RevocationStore
	owner  string      // this Client, in leases
	aead   cipher.AEAD // seals Data
	idKey  []byte      // keys the HMAC of entry ids
	limits map[string]*rate.Limiter
	lease  time.Duration
	wake   chan struct{}
	// retryMin is the delay before a queued call's first retry, doubled for
	// each further one up to retryMax, jittered down by up to half.
	retryMin, retryMax time.Duration

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	queued, completed, retried, givenUp atomic.Int64
}

// newOutbox prepares o's outbox; Client.drain starts draining it.
func newOutbox(o *options) (*outbox, error) {
	key := o.outboxKey
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	// One key for each use, derived from the one given.
	sealKey, idKey := hmac.New(sha256.New, key), hmac.New(sha256.New, key)
	sealKey.Write([]byte("signout outbox: seal"))
	idKey.Write([]byte("signout outbox: id"))
	block, err := aes.NewCipher(sealKey.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	b := &outbox{store: o.store, owner: rand.Text(), aead: aead, idKey: idKey.Sum(nil),
		limits: map[string]*rate.Limiter{}, wake: make(chan struct{}, 1), done: make(chan struct{}),
		retryMin: o.retryMin, retryMax: o.retryMax}
	slowest := 0.0
	for category, perSecond := range o.rates {
		b.limits[category] = rate.NewLimiter(rate.Limit(perSecond), 1)
		if slowest == 0 || perSecond < slowest {
			slowest = perSecond
		}
	}
	// A lease outlasts a batch's wait for its turn and its calls.
	callTime := o.timeout
	if callTime == 0 {
		callTime = storeTimeout
	}
	b.lease = 2*callTime + time.Duration(float64(drainBatch)/slowest*float64(time.Second))
	return b, nil
}

// call is what an OutboxEntry's Data seals: one Cognito call, and the
// record that goes with it.
type call struct {
	Op        string    `json:"op"`
	Pool      string    `json:"pool"`
	Region    string    `json:"region,omitempty"`
	Subject   string    `json:"sub,omitempty"`
	Username  string    `json:"username,omitempty"`
	OriginJTI string    `json:"origin_jti,omitempty"`
	ClientID  string    `json:"client_id,omitempty"`
	Token     string    `json:"token,omitempty"` // the access token of GlobalSignOut, the refresh token of RevokeToken
	TokenExp  time.Time `json:"token_exp,omitzero"`
	// At is the sign-out's time, and RecordExpires when its record lapses
	// unless written again.
	At            time.Time `json:"at"`
	RecordExpires time.Time `json:"record_expires"`
	LastError     string    `json:"last_error,omitempty"`
}

// record is the Revocation of c: its session for RevokeToken, else every
// session of its user up to At.
func (c *call) record(expires time.Time) Revocation {
	r := Revocation{UserPoolID: c.Pool, Subject: c.Subject, At: c.At, Expires: expires}
	if c.Op == opRevokeToken {
		r.OriginJTI = c.OriginJTI
	}
	return r
}

// issuer is the user pool of c's token, for the region of its requests.
func (c *call) issuer() token.Issuer { return token.Issuer{Region: c.Region, PoolID: c.Pool} }

// id names a call by what makes it the same call: its token, or for an
// admin sign-out its user.
func (b *outbox) id(parts ...string) string {
	m := hmac.New(sha256.New, b.idKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (b *outbox) seal(id string, cl *call) []byte {
	plain, _ := json.Marshal(cl) // a struct of strings and times always encodes
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plain, []byte(id))
}

// errSealed means an entry's Data cannot be opened with this Client's key.
var errSealed = errors.New("sealed with another key, or damaged")

func (b *outbox) open(e OutboxEntry) (*call, error) {
	n := b.aead.NonceSize()
	if len(e.Data) < n {
		return nil, errSealed
	}
	plain, err := b.aead.Open(nil, e.Data[:n], e.Data[n:], []byte(e.ID))
	if err != nil {
		return nil, errSealed
	}
	var cl call
	if json.Unmarshal(plain, &cl) != nil {
		return nil, errSealed
	}
	return &cl, nil
}

// limiter paces op's calls by its quota category.
func (b *outbox) limiter(op string) *rate.Limiter {
	if op == opRevokeToken {
		return b.limits[quotaUserToken]
	}
	return b.limits[quotaUserUpdate]
}

// retryAt returns when to retry a call that has failed attempts times.
func (b *outbox) retryAt(now time.Time, attempts int) time.Time {
	d := b.retryMax
	if attempts < 8 {
		d = min(b.retryMin<<attempts, b.retryMax)
	}
	return now.Add(d/2 + mrand.N(d/2+1))
}

// queueAhead puts cl in the outbox before its call is made with cctx, due
// a first retry's delay after cctx's deadline (or a lease from now without
// one), when the call will have ended, and reports whether it did. If the
// call fails for a passing reason, queue brings the Due forward.
func (c *Client) queueAhead(ctx, cctx context.Context, id string, cl *call) bool {
	now := time.Now()
	end, ok := cctx.Deadline()
	if !ok {
		end = now.Add(c.box.lease)
	}
	e := OutboxEntry{ID: id, Created: now, Due: c.box.retryAt(end, 0), Data: c.box.seal(id, cl)}
	return c.box.store.Enqueue(ctx, e) == nil
}

// unqueue removes the entry of a call Cognito has answered for good. If
// that fails, the call is made again from the outbox, which is harmless:
// Cognito answers it as done, or ends what began since.
func (c *Client) unqueue(ctx context.Context, id string) {
	if err := c.box.store.Complete(ctx, id); err != nil {
		c.log(ctx, slog.LevelWarn, "signout: outbox entry of a call made not removed", slog.String("id", id),
			slog.String("error", storeError(ctx, "Outbox", err).Error()))
	}
}

// queue puts cl in the outbox after Cognito failed it with cause, a
// retryable *Error, or brings forward the Due of the entry queueAhead put
// there (ahead), and returns the error the caller gets: ErrQueued keeping
// cause's details, or cause when cl could not be queued.
func (c *Client) queue(ctx context.Context, id string, cl *call, cause error, ahead bool) error {
	var ce *Error
	if c.box == nil || !errors.As(cause, &ce) {
		return cause
	}
	now := time.Now()
	cl.LastError = ce.Error()
	e := OutboxEntry{ID: id, Created: now, Due: c.box.retryAt(now, 0)}
	e.Data = c.box.seal(id, cl)
	if err := c.box.store.Enqueue(ctx, e); err != nil {
		if !ahead {
			c.log(ctx, slog.LevelError, "signout: not queued", slog.String("op", cl.Op), slog.String("error", storeError(ctx, "Outbox", err).Error()))
			return cause
		}
		// Queued all the same, for a retry after the call's deadline.
		c.log(ctx, slog.LevelWarn, "signout: queued call not brought forward", slog.String("op", cl.Op),
			slog.String("error", storeError(ctx, "Outbox", err).Error()))
	}
	c.box.queued.Add(1)
	select {
	case c.box.wake <- struct{}{}:
	default:
	}
	c.log(ctx, slog.LevelInfo, "signout: queued", slog.String("op", cl.Op), slog.String("id", id), slog.String("error", ce.Error()))
	return &Error{Op: ce.Op, Kind: ErrQueued, Code: ce.Code, Message: ce.Message, RequestID: ce.RequestID,
		StatusCode: ce.StatusCode, Attempts: ce.Attempts, Err: ce.Err}
}

// log logs at level when WithLogger is given. Its attributes hold no token.
func (c *Client) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if c.run.Logger != nil {
		c.run.Logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// drain makes the outbox's due calls until ctx ends.
func (c *Client) drain(ctx context.Context) {
	defer close(c.box.done)
	poll := time.NewTimer(0)
	defer poll.Stop()
	failing := false // the last Claim failed; its failure was logged
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.box.wake:
		case <-poll.C:
		}
		for c.drainOnce(ctx, &failing) == drainBatch {
		}
		poll.Reset(drainPoll)
	}
}

// drainOnce claims a batch of due entries and works on them, each at its
// quota's pace, and returns how many it claimed. It logs a Claim that
// fails when the one before did not, and one that works again.
func (c *Client) drainOnce(ctx context.Context, failing *bool) int {
	sctx, cancel := c.storeContext(ctx)
	entries, err := c.box.store.Claim(sctx, c.box.owner, c.box.lease, drainBatch)
	switch {
	case err != nil && !*failing && ctx.Err() == nil:
		c.log(ctx, slog.LevelError, "signout: outbox unreachable", slog.String("error", storeError(sctx, "Outbox", err).Error()))
	case err == nil && *failing:
		c.log(ctx, slog.LevelInfo, "signout: outbox reachable again")
	}
	*failing = err != nil
	cancel()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Go(func() { c.retry(ctx, e) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return 0
	}
	return len(entries)
}

// storeContext bounds one of the drain's calls into a store.
func (c *Client) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.run.Timeout > 0 {
		return context.WithTimeout(ctx, c.run.Timeout)
	}
	return context.WithTimeout(ctx, storeTimeout)
}

// retry makes the call of one claimed entry, once, and completes,
// reschedules or gives up the entry by the outcome.
func (c *Client) retry(ctx context.Context, e OutboxEntry) {
	b := c.box
	cl, err := b.open(e)
	now := time.Now()
	switch {
	case now.Sub(e.Created) >= c.refreshValidity:
		c.giveUp(ctx, e, cl, "no refresh token it would end can still be used (WithRefreshTokenValidity)")
		return
	case err != nil:
		// Leave it to a Client holding its key, until it is given up.
		c.log(ctx, slog.LevelError, "signout: outbox entry unreadable: give every Client sharing the outbox the same WithOutboxKey",
			slog.String("id", e.ID))
		e.Due = now.Add(b.lease)
		c.reschedule(ctx, e)
		return
	case cl.Op == opGlobalSignOut && !now.Before(cl.TokenExp):
		if c.admin == nil {
			c.giveUp(ctx, e, cl, "the access token expired before Cognito confirmed; WithAdmin would sign the user out with AdminUserGlobalSignOut")
			return
		}
		cl.Op, cl.Token = opAdminSignOut, ""
	}
	if cl.Op == opRevokeToken && cl.ClientID != c.clientID || cl.Op == opAdminSignOut && c.admin == nil {
		// Queued by a Client of another app client, or with WithAdmin:
		// leave it to one, until it is given up.
		c.log(ctx, slog.LevelWarn, "signout: outbox entry left for a Client with another WithAppClient or with WithAdmin",
			slog.String("op", cl.Op), slog.String("id", e.ID))
		e.Due = now.Add(b.lease)
		c.reschedule(ctx, e)
		return
	}
	if err := b.limiter(cl.Op).Wait(ctx); err != nil {
		c.release(ctx, e)
		return
	}
	cctx, cancel := c.storeContext(ctx)
	defer cancel()
	if cl.RecordExpires.Before(now.Add(recordMargin)) {
		// The call has waited almost as long as its record lives.
		expires := now.Add(cognito.MaxTokenLifetime)
		if c.store.Revoke(cctx, cl.record(expires)) == nil {
			cl.RecordExpires = expires
		}
	}
	err = c.send(cctx, cl)
	if ctx.Err() != nil {
		c.release(ctx, e)
		return
	}
	switch k := kind(err); {
	case err == nil, k == ErrUserNotFound:
		// Cognito confirmed, or the user is gone and nothing is left to end.
		c.complete(ctx, e, cl)
	case k == ErrTokenRevoked && cl.Op == opGlobalSignOut && c.admin == nil:
		// Most likely the first attempt went through but its answer was
		// lost; only AdminUserGlobalSignOut could tell for sure.
		c.complete(ctx, e, cl)
	case errors.Is(err, ErrNotAuthorized) && cl.Op == opGlobalSignOut && c.admin != nil:
		cl.Op, cl.Token, cl.LastError = opAdminSignOut, "", err.Error()
		e.Due, e.Data = now, b.seal(e.ID, cl)
		c.reschedule(ctx, e)
	case retryableErr(err):
		b.retried.Add(1)
		cl.LastError = err.Error()
		e.Attempts++
		e.Due, e.Data = b.retryAt(time.Now(), e.Attempts), b.seal(e.ID, cl)
		c.reschedule(ctx, e)
	default:
		c.giveUp(ctx, e, cl, "Cognito refused the call: "+err.Error())
	}
}

// send makes cl's call with one attempt: the outbox retries, at its pace.
// The Client has what the call needs (see retry).
func (c *Client) send(ctx context.Context, cl *call) error {
	once := func(o *cip.Options) { o.Retryer = aws.NopRetryer{} }
	switch cl.Op {
	case opGlobalSignOut:
		in := &cip.GlobalSignOutInput{AccessToken: &cl.Token}
		return c.run.Run(ctx, opGlobalSignOut, cl.issuer(), []string{cl.Token}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
			_, err := c.api.GlobalSignOut(ctx, in, append(optFns, once)...)
			return err
		})
	case opRevokeToken:
		in := &cip.RevokeTokenInput{ClientId: &c.clientID, Token: &cl.Token}
		if c.clientSecret != "" {
			in.ClientSecret = &c.clientSecret
		}
		return c.run.Run(ctx, opRevokeToken, cl.issuer(), []string{cl.Token, c.clientSecret}, func(ctx context.Context, optFns ...func(*cip.Options)) error {
			_, err := c.api.RevokeToken(ctx, in, append(optFns, once)...)
			return err
		})
	case opAdminSignOut:
		return c.adminSignOut(ctx, cl.Pool, cl.Username)
	}
	return &Error{Op: cl.Op, Kind: ErrInvalidParameter, Message: "not a call the outbox makes"}
}

// complete ends an entry Cognito confirmed. Its record is written again to
// live as long as the tokens issued before now can.
func (c *Client) complete(ctx context.Context, e OutboxEntry, cl *call) {
	c.log(ctx, slog.LevelInfo, "signout: queued call done", slog.String("op", cl.Op), slog.String("id", e.ID),
		slog.Int("attempts", e.Attempts+1), slog.Duration("waited", time.Since(e.Created)))
	c.box.completed.Add(1)
	c.finish(ctx, e, cl)
}

// giveUp drops an entry with nothing more to try; cl is nil when the entry
// could not be read.
func (c *Client) giveUp(ctx context.Context, e OutboxEntry, cl *call, why string) {
	op := ""
	if cl != nil {
		op = cl.Op
	}
	c.log(ctx, slog.LevelError, "signout: queued call given up: the sessions may live on at Cognito", slog.String("op", op),
		slog.String("id", e.ID), slog.String("reason", redact.String(why)), slog.Int("attempts", e.Attempts),
		slog.Duration("waited", time.Since(e.Created)))
	c.box.givenUp.Add(1)
	c.finish(ctx, e, cl)
}

// finish rewrites cl's record so that it lasts as long as the tokens issued
// until now (if cl could be read), then removes e.
func (c *Client) finish(ctx context.Context, e OutboxEntry, cl *call) {
	sctx, cancel := c.storeContext(ctx)
	defer cancel()
	if cl != nil {
		if err := c.store.Revoke(sctx, cl.record(time.Now().Add(cognito.MaxTokenLifetime))); err != nil {
			c.log(ctx, slog.LevelWarn, "signout: record not extended", slog.String("id", e.ID), slog.String("error", storeError(sctx, "RevocationStore", err).Error()))
		}
	}
	if err := c.box.store.Complete(sctx, e.ID); err != nil {
		c.log(ctx, slog.LevelWarn, "signout: outbox complete failed", slog.String("id", e.ID), slog.String("error", storeError(sctx, "Outbox", err).Error()))
	}
}

func (c *Client) reschedule(ctx context.Context, e OutboxEntry) {
	sctx, cancel := c.storeContext(ctx)
	defer cancel()
	if err := c.box.store.Reschedule(sctx, c.box.owner, e); err != nil {
		c.log(ctx, slog.LevelWarn, "signout: outbox reschedule failed", slog.String("id", e.ID), slog.String("error", storeError(sctx, "Outbox", err).Error()))
	}
}

// release puts back an entry the Client claimed but is closing before it
// could finish, as it was, for another Client to take at once rather than
// when the lease ends.
func (c *Client) release(ctx context.Context, e OutboxEntry) {
	sctx, cancel := c.storeContext(context.WithoutCancel(ctx))
	defer cancel()
	_ = c.box.store.Reschedule(sctx, c.box.owner, e)
}

// retryableErr reports whether err, an *Error, may succeed later.
func retryableErr(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}
