package signouttest

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at        time.Duration // after t0
		requests  int
		wantTaken int
	}
	tests := []struct {
		name      string
		rate      float64
		steps     []step
		served    int
		throttled int
	}{
		{"off", 0, []step{{0, 1000, 1000}}, 1000, 0},
		{"starts full", 25, []step{{0, 15, 5}}, 5, 10},
		{"refills at the rate", 25, []step{{0, 5, 5}, {time.Second, 40, 5}, {time.Second + 200*time.Millisecond, 40, 5}}, 15, 70},
		{"a paced client is never throttled", 25, []step{{0, 1, 1}, {40 * time.Millisecond, 1, 1}, {80 * time.Millisecond, 1, 1},
			{120 * time.Millisecond, 1, 1}, {160 * time.Millisecond, 1, 1}, {200 * time.Millisecond, 1, 1}, {240 * time.Millisecond, 1, 1}}, 7, 0},
		{"holds no more than the burst", 25, []step{{0, 5, 5}, {time.Hour, 30, 5}}, 10, 25},
		{"a clock going back takes nothing", 25, []step{{time.Second, 5, 5}, {0, 5, 0}}, 5, 5},
		{"burst is at least one", 1, []step{{0, 3, 1}, {500 * time.Millisecond, 1, 0}, {time.Second, 1, 1}}, 2, 3},
		{"scaled", 25 * 20, []step{{0, 300, 100}, {100 * time.Millisecond, 300, 50}}, 150, 450},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &bucket{rate: tc.rate, burst: max(1, tc.rate*burstSeconds)}
			for i, st := range tc.steps {
				taken := 0
				for range st.requests {
					if b.take(t0.Add(st.at)) {
						taken++
					}
				}
				assert.Equal(t, st.wantTaken, taken, "step %d", i)
			}
			assert.Equal(t, tc.served, b.served)
			assert.Equal(t, tc.throttled, b.throttled)
		})
	}
}

// stoppedClock makes srv's quotas see a time the test moves.
func stoppedClock(srv *Server) (advance func(time.Duration)) {
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	srv.clock = func() time.Time { return time.Unix(0, now.Load()) }
	return func(d time.Duration) { now.Add(int64(d)) }
}

// code returns err's Cognito error code, or "".
func code(t *testing.T, err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	require.ErrorAs(t, err, &api)
	require.ErrorAs(t, err, &resp)
	if api.ErrorCode() == "TooManyRequestsException" {
		assert.Equal(t, "Rate exceeded", api.ErrorMessage())
		assert.Equal(t, 400, resp.HTTPStatusCode())
	}
	return api.ErrorCode()
}

func TestQuotasPerCategory(t *testing.T) {
	srv := NewServer(Quotas(1))
	t.Cleanup(srv.Close)
	advance := stoppedClock(srv)
	ctx, c := context.Background(), srv.Client()
	tok := srv.SignIn("alice").AccessToken
	adminSignOut := func() error {
		_, err := c.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(srv.UserPoolID), Username: aws.String("nobody")})
		return err
	}
	globalSignOut := func() error {
		_, err := c.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String("not-a-token")})
		return err
	}
	list := func() error {
		_, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(srv.UserPoolID)})
		return err
	}
	get := func() error {
		_, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(tok)})
		return err
	}
	revoke := func() error {
		_, err := c.RevokeToken(ctx, &cip.RevokeTokenInput{Token: aws.String("x"), ClientId: aws.String(srv.ClientID)})
		return err
	}
	count := func(call func() error, n int) (throttled int) {
		for range n {
			if code(t, call()) == "TooManyRequestsException" {
				throttled++
			}
		}
		return throttled
	}
	// Buckets hold a fifth of a second: UserUpdate 5, UserList 6, UserToken and UserRead 24.
	assert.Equal(t, 0, count(adminSignOut, 3))
	assert.Equal(t, 8, count(globalSignOut, 10), "GlobalSignOut shares UserUpdate with AdminUserGlobalSignOut")
	assert.Equal(t, 4, count(list, 10))
	assert.Equal(t, 6, count(get, 30))
	assert.Equal(t, 6, count(revoke, 30))
	advance(time.Second)
	assert.Equal(t, 5, count(adminSignOut, 10), "refilled to the burst, not to a second's worth")
	advance(120 * time.Millisecond)
	assert.Equal(t, 0, count(adminSignOut, 3))

	for cat, want := range map[string][2]int{"UserUpdate": {13, 13}, "UserList": {6, 4}, "UserRead": {24, 6}, "UserToken": {24, 6}} {
		served, throttled := srv.QuotaUsage(cat)
		assert.Equal(t, want, [2]int{served, throttled}, cat)
	}
	assert.Equal(t, 26, srv.Requests("GlobalSignOut")+srv.Requests("AdminUserGlobalSignOut"), "throttled requests are counted too")
}

func TestQuotasOffByDefault(t *testing.T) {
	for _, opts := range [][]ServerOption{nil, {Quotas(0)}} {
		srv := NewServer(opts...)
		for range 60 {
			_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("x")})
			assert.Equal(t, "NotAuthorizedException", code(t, err))
		}
		served, throttled := srv.QuotaUsage("UserUpdate")
		assert.Equal(t, [2]int{60, 0}, [2]int{served, throttled})
		srv.Close()
	}
}

func TestFaultsUseNoQuota(t *testing.T) {
	srv := NewServer(Quotas(1))
	t.Cleanup(srv.Close)
	stoppedClock(srv)
	srv.InjectFault("GlobalSignOut", Fault{Mode: ErrorReply, Code: "InternalErrorException", Times: 10})
	for range 10 {
		_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("x")})
		assert.Equal(t, "InternalErrorException", code(t, err))
	}
	served, throttled := srv.QuotaUsage("UserUpdate")
	assert.Equal(t, [2]int{0, 0}, [2]int{served, throttled})
	_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("x")})
	assert.Equal(t, "NotAuthorizedException", code(t, err), "the bucket is still full")
}

// TestQuotasUnderABurst sends three seconds' worth of requests at once, on
// the real clock: whatever the time they take, the server serves the burst
// and no more than the rate allows over that time.
func TestQuotasUnderABurst(t *testing.T) {
	const scale, callers = 0.4, 8 // UserUpdate: 10 a second, burst 2
	const rate, burst, total = 25 * scale, 2, 3 * 25 * scale
	srv := NewServer(Quotas(scale))
	t.Cleanup(srv.Close)
	var wg sync.WaitGroup
	var unexpected atomic.Int32
	next := make(chan struct{}, int(total))
	for range int(total) {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for range next {
				_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String("x")})
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != "NotAuthorizedException" && api.ErrorCode() != "TooManyRequestsException" {
					unexpected.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	served, throttled := srv.QuotaUsage("UserUpdate")
	assert.Zero(t, unexpected.Load())
	assert.Equal(t, int(total), served+throttled)
	assert.GreaterOrEqual(t, served, burst)
	assert.LessOrEqual(t, served, burst+int(math.Ceil(rate*elapsed.Seconds())), "served within the bucket's bound over %v", elapsed)
}

func TestQuotasPanicsOnMisuse(t *testing.T) {
	for _, scale := range []float64{-1, math.NaN(), math.Inf(1)} {
		assert.PanicsWithValue(t, "signouttest: Quotas: scale must be a finite number >= 0", func() { Quotas(scale) })
	}
	srv := NewServer()
	defer srv.Close()
	assert.PanicsWithValue(t, "signouttest: QuotaUsage: unknown quota category UserAuthentication",
		func() { srv.QuotaUsage("UserAuthentication") })
}
