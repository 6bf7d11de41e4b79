package redact

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sdkChain(inner error) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}
	return &smithy.OperationError{
		ServiceID:     "Cognito Identity Provider",
		OperationName: "GlobalSignOut",
		Err: &retry.MaxAttemptsError{Attempt: 1, Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: resp, Err: inner},
			RequestID:     "req-1",
		}},
	}
}

func TestErrorKeepsTypesAndDropsSecret(t *testing.T) {
	msg := jwt
	tests := []struct {
		name  string
		inner error
		check func(t *testing.T, got error)
	}{
		{"modeled exception", &types.NotAuthorizedException{Message: &msg}, func(t *testing.T, got error) {
			var na *types.NotAuthorizedException
			require.True(t, errors.As(got, &na))
			assert.Equal(t, Mask, *na.Message)
			assert.Equal(t, jwt, msg, "the original is untouched")
		}},
		{"generic api error", &smithy.GenericAPIError{Code: "Odd", Message: "saw " + jwt}, func(t *testing.T, got error) {
			var ae smithy.APIError
			require.True(t, errors.As(got, &ae))
			assert.Equal(t, "Odd", ae.ErrorCode())
			assert.Equal(t, "saw "+Mask, ae.ErrorMessage())
		}},
		{"echoed error code", &smithy.GenericAPIError{Code: jwt, Message: "odd"}, func(t *testing.T, got error) {
			var ae smithy.APIError
			require.True(t, errors.As(got, &ae))
			assert.Equal(t, Mask, ae.ErrorCode())
		}},
		{"modeled exception with an overridden code", &types.NotAuthorizedException{ErrorCodeOverride: &msg}, func(t *testing.T, got error) {
			var na *types.NotAuthorizedException
			require.True(t, errors.As(got, &na))
			assert.Equal(t, Mask, na.ErrorCode())
			assert.Nil(t, na.Message)
		}},
		{"deserialization snapshot", &smithy.DeserializationError{Err: fmt.Errorf("bad body"), Snapshot: []byte(jwt)}, func(t *testing.T, got error) {
			var de *smithy.DeserializationError
			require.True(t, errors.As(got, &de))
			assert.Nil(t, de.Snapshot)
		}},
		{"unknown wrapper", fmt.Errorf("wrapped %s: %w", jwt, errors.New("root")), func(t *testing.T, got error) {
			var r *redacted
			require.True(t, errors.As(got, &r))
			assert.Equal(t, "wrapped "+Mask+": root", r.Error())
			assert.Equal(t, "root", errors.Unwrap(r).Error())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Error(sdkChain(tc.inner), jwt)
			assert.False(t, Contains(got.Error(), jwt), got.Error())
			assert.False(t, Contains(fmt.Sprintf("%+v %#v", got, got), jwt))
			var re *awshttp.ResponseError
			require.True(t, errors.As(got, &re))
			assert.Equal(t, "req-1", re.ServiceRequestID())
			assert.Equal(t, 400, re.HTTPStatusCode())
			var ma *retry.MaxAttemptsError
			require.True(t, errors.As(got, &ma))
			tc.check(t, got)
		})
	}
}

func TestErrorRedactsEchoedRequestID(t *testing.T) {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}
	err := &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: resp, Err: errors.New("boom")},
		RequestID:     "id-" + jwt,
	}
	got := Error(err, jwt)
	var re *awshttp.ResponseError
	require.True(t, errors.As(got, &re))
	assert.Equal(t, "id-"+Mask, re.ServiceRequestID())
	assert.False(t, Contains(got.Error(), jwt), got.Error())
	assert.Equal(t, "id-"+jwt, err.RequestID, "the original is untouched")
}

func TestErrorPassesCleanErrorsThrough(t *testing.T) {
	plain := errors.New("connection refused")
	assert.Same(t, plain, Error(plain, jwt))
	assert.Nil(t, Error(nil, jwt))
}
