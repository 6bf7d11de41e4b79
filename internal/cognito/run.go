package cognito

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/transport"
)

// Runner runs the Cognito operations of one client: it picks the region,
// bounds each call with Timeout, counts and logs its attempts, and maps the
// outcome to an *Error with secrets redacted. Its fields are set once.
type Runner struct {
	Region        string // wins over a call's region hint (WithRegion)
	DefaultRegion string // when neither Region nor the hint names one
	HasEndpoint   bool   // a fixed endpoint works without a region
	Timeout       time.Duration
	Logger        *slog.Logger
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

// Run sends one operation: the region is r.Region, else hint, else
// r.DefaultRegion. It returns nil on success, else the error Errors.FromSDK
// makes of the failure.
func (r *Runner) Run(ctx context.Context, op, hint string, secrets []string, send Send) error {
	region := r.Region
	if region == "" {
		region = hint
	}
	if region == "" {
		region = r.DefaultRegion
	}
	if region == "" && !r.HasEndpoint {
		return r.done(ctx, op, Errors.FromSDK(op, ErrNoRegion, nil, 0, secrets...), 0, secrets)
	}
	if dl, ok := ctx.Deadline(); r.Timeout > 0 && (!ok || time.Until(dl) > r.Timeout) {
		// Not already inside a budget as tight, such as a whole Logout's.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	cl := &call{op: op, region: region, secrets: secrets}
	var optFns []func(*cip.Options)
	if region != r.DefaultRegion {
		optFns = append(optFns, func(o *cip.Options) { o.Region = region })
	}
	err := send(context.WithValue(ctx, callKey{}, cl), optFns...)
	attempts := -1
	if r.Counted {
		attempts = int(cl.attempts.Load())
	}
	if err != nil {
		err = Errors.FromSDK(op, err, ctx.Err(), attempts, secrets...)
	}
	return r.done(ctx, op, err, attempts, secrets)
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
