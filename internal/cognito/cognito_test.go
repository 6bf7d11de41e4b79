package cognito_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	_ "github.com/cognitogo/signout" // sets cognito.Errors
	"github.com/cognitogo/signout/internal/cognito"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClip(t *testing.T) {
	long := strings.Repeat("é", cognito.MaxText)
	c := cognito.Clip(long)
	assert.LessOrEqual(t, len(c), cognito.MaxText+3)
	assert.True(t, strings.HasSuffix(c, "..."))
	assert.NotContains(t, c, "\uFFFD", "a rune is not cut in half")
	assert.Equal(t, "short", cognito.Clip("short"))
}

func TestRetryerFollowsRetryable(t *testing.T) {
	r := cognito.NewRetryer(3, "")
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
		e := cognito.Errors.FromSDK("Op", tc.err, nil, 1)
		require.Equal(t, tc.want, cognito.Errors.Retryable(e), "Retryable agrees for %v", tc.err)
	}
}
