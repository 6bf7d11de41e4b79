package cognito_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/cognito"
	"github.com/cognitogo/signout/internal/token"
)

// Errors as the SDK returns them.
var (
	down = &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Net: "tcp",
		Err: errors.New("connection reset by peer")}}
	unavailable = &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}},
		Err: errors.New("service unavailable")}
	notHere   = &smithy.GenericAPIError{Code: "OperationNotEnabledException", Message: "not available in the current region"}
	revoked   = &smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "Access Token has been revoked"}
	throttled = &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}
	disabled  = &smithy.GenericAPIError{Code: "UnsupportedOperationException", Message: "Token revocation is not enabled"}
)

// regions is a Send that answers in each region as told, and records the
// regions the calls went to and the deadline each was given.
type regions struct {
	answers map[string]error // by region; a region not named succeeds
	hang    string           // a region that answers when the call's context ends

	mu        sync.Mutex
	tried     []string
	deadlines []time.Time
}

func (rs *regions) send(ctx context.Context, optFns ...func(*cip.Options)) error {
	o := cip.Options{Region: "default-region"}
	for _, f := range optFns {
		f(&o)
	}
	dl, _ := ctx.Deadline()
	rs.mu.Lock()
	rs.tried, rs.deadlines = append(rs.tried, o.Region), append(rs.deadlines, dl)
	rs.mu.Unlock()
	if o.Region == rs.hang {
		<-ctx.Done()
		return &smithy.OperationError{Err: ctx.Err()}
	}
	return rs.answers[o.Region]
}

const pool = "us-east-1_AbC123"

var (
	original  = token.Issuer{Region: "us-east-1", PoolID: pool}                // issued at the primary
	atReplica = token.Issuer{Region: "eu-west-1", PoolID: pool}                // issued at the replica, ORIGINAL form
	updated   = token.Issuer{Region: "us-east-1", PoolID: pool, Updated: true} // either region, UPDATED form
)

func TestRunPicksRegions(t *testing.T) {
	replicas := map[string][]string{pool: {"eu-west-1", "us-east-1", "ap-south-1", "eu-west-1"}}
	tests := []struct {
		name   string
		runner cognito.Runner
		pool   token.Issuer
		want   []string // the regions tried when each one is down
	}{
		{"no replicas: the token's region", cognito.Runner{}, atReplica, []string{"eu-west-1"}},
		{"the primary first, then each replica once", cognito.Runner{Replicas: replicas}, updated,
			[]string{"us-east-1", "eu-west-1", "ap-south-1"}},
		{"a replica's token: that region, the primary, the other replicas", cognito.Runner{Replicas: replicas}, atReplica,
			[]string{"eu-west-1", "us-east-1", "ap-south-1"}},
		{"a region the application did not name comes first", cognito.Runner{Replicas: replicas},
			token.Issuer{Region: "ca-central-1", PoolID: pool}, []string{"ca-central-1", "us-east-1", "eu-west-1", "ap-south-1"}},
		{"another pool has no replicas", cognito.Runner{Replicas: replicas},
			token.Issuer{Region: "us-east-1", PoolID: "us-east-1_Other"}, []string{"us-east-1"}},
		{"WithRegion pins the call", cognito.Runner{Region: "us-west-2", Replicas: replicas}, updated, []string{"us-west-2"}},
		{"a fixed endpoint is one place", cognito.Runner{HasEndpoint: true, Replicas: replicas}, original, []string{"us-east-1"}},
		{"no pool: the default region", cognito.Runner{DefaultRegion: "default-region", Replicas: replicas}, token.Issuer{},
			[]string{"default-region"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &regions{answers: map[string]error{}}
			for _, r := range []string{"us-east-1", "eu-west-1", "ap-south-1", "ca-central-1", "us-west-2", "default-region"} {
				rs.answers[r] = down
			}
			err := tc.runner.Run(context.Background(), "GlobalSignOut", tc.pool, nil, rs.send)
			require.ErrorIs(t, err, signout.ErrNetwork)
			assert.Equal(t, tc.want, rs.tried)
		})
	}
}

func TestRunFailsOver(t *testing.T) {
	replicas := map[string][]string{pool: {"eu-west-1"}}
	tests := []struct {
		name      string
		pool      token.Issuer
		answers   map[string]error
		want      error // nil: done
		retryable bool
		tried     []string
	}{
		{"the primary is down: done at the replica", updated, map[string]error{"us-east-1": down}, nil, false,
			[]string{"us-east-1", "eu-west-1"}},
		{"a 5xx fault is regional", updated, map[string]error{"us-east-1": unavailable}, nil, false,
			[]string{"us-east-1", "eu-west-1"}},
		{"the replica does not offer it: done at the primary", atReplica, map[string]error{"eu-west-1": notHere}, nil, false,
			[]string{"eu-west-1", "us-east-1"}},
		{"a token error is an answer", updated, map[string]error{"us-east-1": revoked}, signout.ErrTokenRevoked, false,
			[]string{"us-east-1"}},
		{"throttling is an answer", updated, map[string]error{"us-east-1": throttled}, signout.ErrThrottled, true,
			[]string{"us-east-1"}},
		{"revocation turned off is an answer", updated, map[string]error{"us-east-1": disabled}, signout.ErrOperationNotEnabled, false,
			[]string{"us-east-1"}},
		{"the replica's answer after the primary's fault", updated, map[string]error{"us-east-1": unavailable, "eu-west-1": revoked},
			signout.ErrTokenRevoked, false, []string{"us-east-1", "eu-west-1"}},
		{"the primary is down and the replica does not offer it: the primary's error", updated,
			map[string]error{"us-east-1": down, "eu-west-1": notHere}, signout.ErrNetwork, true, []string{"us-east-1", "eu-west-1"}},
		{"the replica does not offer it and the primary is down: the primary's error", atReplica,
			map[string]error{"eu-west-1": notHere, "us-east-1": down}, signout.ErrNetwork, true, []string{"eu-west-1", "us-east-1"}},
		{"every region down: the last one's error", updated, map[string]error{"us-east-1": down, "eu-west-1": unavailable},
			signout.ErrService, true, []string{"us-east-1", "eu-west-1"}},
		{"no region offers it", updated, map[string]error{"us-east-1": notHere, "eu-west-1": notHere},
			signout.ErrOperationNotEnabled, false, []string{"us-east-1", "eu-west-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cognito.Runner{Replicas: replicas}
			rs := &regions{answers: tc.answers}
			err := r.Run(context.Background(), "GlobalSignOut", tc.pool, nil, rs.send)
			assert.Equal(t, tc.tried, rs.tried)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.retryable, cognito.Errors.Retryable(err))
		})
	}
}

// TestRunSharesTheBudget: a region that hangs has its share of the call's
// time, and the next region the rest.
func TestRunSharesTheBudget(t *testing.T) {
	const budget = 200 * time.Millisecond
	r := cognito.Runner{Replicas: map[string][]string{pool: {"eu-west-1"}}, Timeout: budget}
	rs := &regions{hang: "us-east-1"}
	require.NoError(t, r.Run(context.Background(), "GlobalSignOut", updated, nil, rs.send))
	require.Equal(t, []string{"us-east-1", "eu-west-1"}, rs.tried)
	primary, replica := rs.deadlines[0], rs.deadlines[1]
	require.False(t, primary.IsZero())
	assert.True(t, primary.Before(replica), "the primary had a share, not the whole budget")
	assert.LessOrEqual(t, replica.Sub(primary), budget/2, "the primary's share is half of what was left")

	t.Run("a cancelled call is not tried elsewhere", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		rs := &regions{hang: "us-east-1"}
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx, "GlobalSignOut", updated, nil, rs.send) }()
		require.Eventually(t, func() bool {
			rs.mu.Lock()
			defer rs.mu.Unlock()
			return len(rs.tried) == 1
		}, 5*time.Second, time.Millisecond, "the call is in flight")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, []string{"us-east-1"}, rs.tried)
	})
}

func TestRunLogsTheFailover(t *testing.T) {
	var logs bytes.Buffer
	r := cognito.Runner{Replicas: map[string][]string{pool: {"eu-west-1"}},
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	rs := &regions{answers: map[string]error{"us-east-1": down}}
	require.NoError(t, r.Run(context.Background(), "GlobalSignOut", updated, nil, rs.send))
	assert.Contains(t, logs.String(), `"msg":"signout: failover","op":"GlobalSignOut","from":"us-east-1","to":"eu-west-1","error":"signout: GlobalSignOut: network error`)
}
