package cognito

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/token"
	"github.com/cognitogo/signout/internal/transport"
)

// Runner runs the Cognito operations of one client: it picks the regions
// of each call, bounds it with Timeout, counts and logs its attempts, and
// maps the outcome to an error with secrets redacted. Its fields are set
// once.
type Runner struct {
	Region        string // pins every call to one region (WithRegion): no failover
	DefaultRegion string // when neither Region nor the call's pool names one
	HasEndpoint   bool   // a fixed endpoint works without a region, and is one place: no failover
	// Replicas lists, by user pool id, the regions of the pool's replicas,
	// in the order a call that failed in its first region and in the
	// pool's primary region tries them.
	Replicas map[string][]string
	Timeout  time.Duration
	Logger   *slog.Logger
	// Counted is true when requests pass through a transport.Doer whose
	// OnAttempt is the Runner's; otherwise attempts come from the SDK error.
	Counted bool
}

// Send is one SDK call; optFns carry the region the Runner chose.
type Send func(ctx context.Context, optFns ...func(*cip.Options)) error

// call is what a running operation tells OnAttempt through its context.
type call struct {
	op       string
	region   string
	secrets  []string
	attempts atomic.Int32
}

type callKey struct{}

// Run sends one operation for pool, the user pool that a token's iss names
// (zero when it names none). The call goes to r.Region when set, else to
// pool.Region, else to r.DefaultRegion. For a pool with Replicas, a failure
// that Errors.Regional calls regional is tried again in the next region:
// the pool's primary, the region its id begins with, then its replicas,
// never a region twice, each given an equal share of the time left to the
// call. Run returns nil on success, else the error Errors.FromSDK makes of
// the failure that ended the call, counting the requests of every region:
// an answer that is not regional, such as a token error, at once; when
// every region failed, the last failure that Errors.Retryable calls
// retryable, or else the last one.
func (r *Runner) Run(ctx context.Context, op string, pool token.Issuer, secrets []string, send Send) error {
	var buf [4]string
	regions := r.regions(pool, buf[:0])
	if regions[0] == "" && !r.HasEndpoint {
		return r.done(ctx, op, Errors.FromSDK(op, ErrNoRegion, nil, 0, secrets...), 0, secrets)
	}
	if dl, ok := ctx.Deadline(); r.Timeout > 0 && (!ok || time.Until(dl) > r.Timeout) {
		// Not already inside a budget as tight, such as a whole Logout's.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	total := 0 // requests sent, in every region
	var kept struct {
		err, sdkErr, ctxErr error
		at                  int // the index of its region
	}
	for i, region := range regions {
		n, sdkErr, ctxErr := r.send(ctx, op, region, len(regions)-i, secrets, send)
		total += n
		if sdkErr == nil {
			return r.done(ctx, op, nil, r.attempts(total), secrets)
		}
		err := Errors.FromSDK(op, sdkErr, ctxErr, r.attempts(total), secrets...)
		if ctx.Err() != nil || !Errors.Regional(err) {
			// An answer, or the end of the call's time.
			return r.done(ctx, op, err, r.attempts(total), secrets)
		}
		if kept.err == nil || Errors.Retryable(err) {
			// A region that could not be reached says more than one that
			// does not offer the operation: the call may succeed there later.
			kept.err, kept.sdkErr, kept.ctxErr, kept.at = err, sdkErr, ctxErr, i
		}
		if i < len(regions)-1 && r.Logger != nil {
			r.Logger.LogAttrs(ctx, slog.LevelDebug, "signout: failover",
				slog.String("op", op), slog.String("from", region), slog.String("to", regions[i+1]),
				slog.String("error", redact.String(err.Error(), secrets...)))
		}
	}
	if kept.at < len(regions)-1 {
		kept.err = Errors.FromSDK(op, kept.sdkErr, kept.ctxErr, r.attempts(total), secrets...)
	}
	return r.done(ctx, op, kept.err, r.attempts(total), secrets)
}

// regions appends to dst the regions to try a call for pool in, in order;
// the first is "" when none is known.
func (r *Runner) regions(pool token.Issuer, dst []string) []string {
	if r.Region != "" {
		return append(dst, r.Region)
	}
	first := cmp.Or(pool.Region, r.DefaultRegion)
	replicas := r.Replicas[pool.PoolID]
	regions := append(dst, first)
	if first == "" || r.HasEndpoint || len(replicas) == 0 {
		return regions
	}
	if primary, ok := token.PoolRegion(pool.PoolID); ok && primary != first {
		regions = append(regions, primary)
	}
	for _, rg := range replicas {
		if !slices.Contains(regions, rg) {
			regions = append(regions, rg)
		}
	}
	return regions
}

// send makes the call in region, with a share of ctx's time when left
// regions, this one included, are still to be tried. It returns the
// requests it counted, the SDK's error, and the error of the context the
// call ran in.
func (r *Runner) send(ctx context.Context, op, region string, left int, secrets []string, send Send) (requests int, err, ctxErr error) {
	if dl, ok := ctx.Deadline(); ok && left > 1 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/time.Duration(left)))
		defer cancel()
	}
	cl := &call{op: op, region: region, secrets: secrets}
	var optFns []func(*cip.Options)
	if region != r.DefaultRegion {
		optFns = append(optFns, func(o *cip.Options) { o.Region = region })
	}
	err = send(context.WithValue(ctx, callKey{}, cl), optFns...)
	return int(cl.attempts.Load()), err, ctx.Err()
}

// attempts is what FromSDK is told of the requests sent: n, or -1 when
// they are not counted.
func (r *Runner) attempts(n int) int {
	if !r.Counted {
		return -1
	}
	return n
}

// Fail logs an operation that failed before any request, when a Logger is
// set, and returns err.
func (r *Runner) Fail(ctx context.Context, op string, err error, secrets ...string) error {
	return r.done(ctx, op, err, 0, secrets)
}

// done logs the outcome of an operation when a Logger is set, and returns
// err, nil for success.
func (r *Runner) done(ctx context.Context, op string, err error, attempts int, secrets []string) error {
	if r.Logger == nil {
		return err
	}
	if err == nil {
		r.Logger.LogAttrs(ctx, slog.LevelDebug, "signout: done", slog.String("op", op))
		return nil
	}
	r.Logger.LogAttrs(ctx, slog.LevelDebug, "signout: failed",
		slog.String("op", op),
		slog.String("error", redact.String(err.Error(), secrets...)),
		slog.Int("attempts", max(attempts, 0)),
		slog.Bool("retryable", Errors.Retryable(err)))
	return err
}

// OnAttempt counts and logs one request of a running operation; give it to
// the transport.Doer the SDK client sends through.
func (r *Runner) OnAttempt(req *http.Request, a transport.Attempt) {
	cl, _ := req.Context().Value(callKey{}).(*call)
	if cl == nil {
		return
	}
	n := cl.attempts.Add(1)
	if r.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", cl.op),
		slog.String("region", cl.region),
		slog.String("endpoint", req.URL.Scheme+"://"+req.URL.Host),
		slog.Int("attempt", int(n)),
		slog.Int("status", a.Status),
		slog.String("request_id", Clip(redact.String(a.RequestID, cl.secrets...))),
		slog.Duration("latency", a.Latency),
	}
	if a.Err != nil {
		attrs = append(attrs, slog.String("error", Clip(redact.String(a.Err.Error(), cl.secrets...))))
	}
	r.Logger.LogAttrs(req.Context(), slog.LevelDebug, "signout: attempt", attrs...)
}
