package cognito

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// NewRetryer returns the SDK's standard retryer, or its adaptive one for
// aws.RetryModeAdaptive, making at most maxAttempts attempts. It retries
// exactly the errors Retryable calls retryable, so that what a caller is
// told and what the client did agree.
func NewRetryer(maxAttempts int, mode aws.RetryMode) aws.Retryer {
	std := func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(isRetryable)}
	}
	if mode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, std)
		})
	}
	return retry.NewStandard(std)
}

func isRetryable(err error) aws.Ternary {
	var api smithy.APIError
	errors.As(err, &api)
	e := &Error{Kind: kindOf(err, api, nil), Err: err}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		e.StatusCode = hs.HTTPStatusCode()
	}
	return aws.BoolTernary(Retryable(e))
}
