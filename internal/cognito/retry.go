package cognito

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// NewRetryer returns the SDK's standard retryer, or its adaptive one for
// aws.RetryModeAdaptive, making at most maxAttempts attempts. It retries
// exactly the errors Errors.Retryable calls retryable, so that what a
// caller is told and what the client did agree.
func NewRetryer(maxAttempts int, mode aws.RetryMode) aws.Retryer {
	std := func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			return aws.BoolTernary(Errors.Retryable(err))
		})}
	}
	if mode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, std)
		})
	}
	return retry.NewStandard(std)
}
