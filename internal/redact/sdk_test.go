package redact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers every request with status and body, echoing the
// access token it was sent in headers and in the request id.
func echoServer(t *testing.T, status int, body func(tok string) string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tok := token // what a server that parses the body would have
		if len(b) == 0 {
			tok = ""
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "rid-"+tok)
		w.Header().Set("X-Echo", "Bearer "+tok)
		w.Header().Set("X-Kept", "plain")
		w.WriteHeader(status)
		io.WriteString(w, body(tok))
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// cognito returns an SDK client for url that makes attempts attempts and
// does not wait between them; quota, if not 0, is its retry quota.
func cognito(t *testing.T, url string, attempts int, quota uint) *cip.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		HTTPClient:   &http.Client{Transport: tr},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			if quota > 0 {
				o.RateLimiter = ratelimit.NewTokenRateLimit(quota)
			}
		}),
	})
}

func signOut(api *cip.Client) error {
	_, err := api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(token)})
	return err
}

// TestErrorOfRealSDKCalls: the raw errors of SDK calls to a server that
// echoes the token hold it (Find proves the check can fail); the copies
// Error makes hold it nowhere, and keep what a caller uses.
func TestErrorOfRealSDKCalls(t *testing.T) {
	notAuthorized := func(tok string) string {
		return `{"__type":"NotAuthorizedException","message":"Invalid token ` + tok + `"}`
	}
	tests := []struct {
		name   string
		status int
		body   func(tok string) string
		check  func(t *testing.T, cp error)
	}{
		{"400 modeled exception", 400, notAuthorized, func(t *testing.T, cp error) {
			var na *types.NotAuthorizedException
			require.ErrorAs(t, cp, &na)
			assert.Equal(t, "Invalid token "+Mask, na.ErrorMessage())
		}},
		{"500 retried", 500, func(tok string) string {
			return `{"__type":"InternalErrorException","message":"` + tok + `"}`
		}, func(t *testing.T, cp error) {
			var ma *retry.MaxAttemptsError
			require.ErrorAs(t, cp, &ma)
			assert.Equal(t, 2, ma.Attempt)
			var ie *types.InternalErrorException
			assert.ErrorAs(t, cp, &ie)
		}},
		{"400 unreadable body", 400, func(tok string) string { return `{"message":"` + tok }, func(t *testing.T, cp error) {
			var de *smithy.DeserializationError
			require.ErrorAs(t, cp, &de)
			assert.Nil(t, de.Snapshot)
		}},
		{"400 unknown code", 400, func(tok string) string {
			return `{"__type":"` + tok + `","message":"odd"}`
		}, func(t *testing.T, cp error) {
			var ae smithy.APIError
			require.ErrorAs(t, cp, &ae)
			assert.Equal(t, Mask, ae.ErrorCode())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := signOut(cognito(t, echoServer(t, tc.status, tc.body), 2, 0))
			require.Error(t, raw)
			path := Find(raw, token)
			require.NotEmpty(t, path, "the raw error holds the token")
			t.Log(path)

			cp := Error(raw, token)
			assert.Empty(t, Find(cp, token))
			assert.False(t, Contains(fmt.Sprintf("%v %+v %#v", cp, cp, cp), token))
			checkResponse(t, cp, tc.status)
			tc.check(t, cp)
		})
	}
}

// checkResponse checks what the copy of an SDK error keeps of the answer.
func checkResponse(t *testing.T, cp error, status int) {
	t.Helper()
	var op *smithy.OperationError
	require.ErrorAs(t, cp, &op)
	assert.Equal(t, "GlobalSignOut", op.Operation())
	var re *awshttp.ResponseError
	require.ErrorAs(t, cp, &re)
	assert.Equal(t, "rid-"+Mask, re.ServiceRequestID())
	assert.Equal(t, status, re.HTTPStatusCode())
	var sre *smithyhttp.ResponseError
	require.ErrorAs(t, cp, &sre)
	resp := sre.Response.Response
	assert.Nil(t, resp.Request, "no live request")
	assert.Equal(t, http.NoBody, resp.Body, "no live body")
	assert.Nil(t, resp.TLS)
	assert.Equal(t, "Bearer "+Mask, resp.Header.Get("X-Echo"))
	assert.Equal(t, "plain", resp.Header.Get("X-Kept"))
	assert.Equal(t, status, resp.StatusCode)
	assert.Equal(t, fmt.Sprintf("%d %s", status, http.StatusText(status)), resp.Status)
}

// TestErrorAfterTheRetryQuota: once the retryer's quota is spent, the SDK
// joins the attempt's error and the quota's with errors.Join.
func TestErrorAfterTheRetryQuota(t *testing.T) {
	api := cognito(t, echoServer(t, 500, func(tok string) string {
		return `{"__type":"InternalErrorException","message":"` + tok + `"}`
	}), 3, 5)
	var raw error
	for range 10 {
		raw = signOut(api)
		if joined(raw) {
			break
		}
	}
	require.True(t, joined(raw), "no joined error after 10 calls: %v", raw)
	require.NotEmpty(t, Find(raw, token))

	cp := Error(raw, token)
	assert.Empty(t, Find(cp, token))
	assert.True(t, joined(cp), "the copy is still a join")
	var qe ratelimit.QuotaExceededError
	assert.ErrorAs(t, cp, &qe)
	checkResponse(t, cp, 500)
}

// joined reports whether err's chain holds an errors.Join-style error.
func joined(err error) bool {
	for err != nil {
		if _, ok := err.(interface{ Unwrap() []error }); ok {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// TestErrorOfSilentServer: a server that echoes nothing still leaves the
// token inside the raw error, in the request the SDK sent (its context
// carries the operation's input, its body the serialized one).
func TestErrorOfSilentServer(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`)
	}))
	t.Cleanup(ts.Close)
	raw := signOut(cognito(t, ts.URL, 1, 0))
	require.Error(t, raw)
	path := Find(raw, token)
	assert.Contains(t, path, ".Request.", "the token is in the request the SDK sent")
	t.Log(path)

	cp := Error(raw, token)
	assert.Empty(t, Find(cp, token))
	var na *types.NotAuthorizedException
	require.ErrorAs(t, cp, &na)
	assert.Equal(t, "Access Token has been revoked", na.ErrorMessage())
}
