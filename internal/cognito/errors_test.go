package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFromSDK(t *testing.T) {
	const secret = "s3cret-token-0123456789abcdef"
	api := &smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "Invalid Access Token " + secret}
	tests := []struct {
		name     string
		err      error
		ctxErr   error
		attempts int
		kind     error
		want     int // attempts reported
	}{
		{"API error", api, nil, 1, ErrInvalidToken, 1},
		{"attempts from the SDK when not counted", &retry.MaxAttemptsError{Attempt: 3, Err: api}, nil, -1, ErrInvalidToken, 3},
		{"the caller's deadline wins", api, context.DeadlineExceeded, 2, ErrTimeout, 2},
		{"cancellation", fmt.Errorf("send: %w", context.Canceled), nil, 1, context.Canceled, 1},
		{"no code, status 429", &smithy.GenericAPIError{}, nil, 1, ErrService, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := FromSDK("Op", tc.err, tc.ctxErr, tc.attempts, secret)
			assert.Equal(t, tc.kind, e.Kind)
			assert.Equal(t, tc.want, e.Attempts)
			assert.NotContains(t, e.Error(), secret)
			if tc.ctxErr != nil {
				assert.ErrorIs(t, e.Err, tc.ctxErr)
			}
		})
	}
}

func TestKindForCode(t *testing.T) {
	assert.Equal(t, ErrThrottled, kindForCode("", "", 429), "a 429 is throttling without a code")
	assert.Equal(t, ErrTokenRevoked, kindForCode("NotAuthorizedException", "Refresh Token has been revoked", 503), "whatever the status")
	assert.Equal(t, ErrTimeout, kindForCode("RequestTimeoutException", "", 408))
	assert.Equal(t, ErrService, kindForCode("MysteryException", "", 400))
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", MaxMessage)
	c := clip(long)
	assert.LessOrEqual(t, len(c), MaxMessage+3)
	assert.True(t, strings.HasSuffix(c, "..."))
	assert.NotContains(t, c, "\uFFFD", "a rune is not cut in half")
	assert.Equal(t, "short", clip("short"))
}

func TestRetryerFollowsRetryable(t *testing.T) {
	r := NewRetryer(3, "")
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "TooManyRequestsException"}, true},
		{&smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "Invalid Access Token"}, false},
		{&smithy.GenericAPIError{Code: "RequestTimeoutException"}, true},
		{context.Canceled, false},
		{errors.New("something odd"), true},
	} {
		assert.Equal(t, tc.want, r.IsErrorRetryable(tc.err), "%v", tc.err)
		e := FromSDK("Op", tc.err, nil, 1)
		require.Equal(t, tc.want, Retryable(e), "Retryable agrees for %v", tc.err)
	}
}
