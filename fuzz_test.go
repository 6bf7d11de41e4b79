package signout_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/cognitogo/signout"
)

// answer is a RoundTripper that answers every request with one canned
// response, so that the fuzzer exercises the SDK's deserializer and the
// library's mapping without a network.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: r}, nil
}

const fuzzToken = "CANARY-fuzz-token-0123456789abcdef"

var sentinels = []error{
	signout.ErrNotAuthorized, signout.ErrUserNotFound, signout.ErrUserNotConfirmed, signout.ErrPasswordResetRequired,
	signout.ErrResourceNotFound, signout.ErrForbidden, signout.ErrThrottled, signout.ErrInvalidParameter,
	signout.ErrOperationNotEnabled, signout.ErrService, signout.ErrNetwork, signout.ErrTimeout,
	signout.ErrUnauthorizedClient, signout.ErrUnsupportedTokenType,
}

// FuzzErrorMapping feeds SignOut arbitrary Cognito answers (status, error
// type header, request id header, body; "TOKEN" in them stands for the
// token, as servers echo it) and checks that every failure is an *Error
// matching one documented sentinel, and that the token shows nowhere: not
// in the error, its chain, or the debug log.
func FuzzErrorMapping(f *testing.F) {
	f.Add(400, "NotAuthorizedException", "req-1", `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`)
	f.Add(400, "NotAuthorizedException", "req-1", `{"__type":"NotAuthorizedException","message":"Access Token has expired"}`)
	f.Add(400, "", "req-1", `{"__type":"NotAuthorizedException","message":"TOKEN"}`)
	f.Add(400, "TooManyRequestsException", "req-1", `{"__type":"TooManyRequestsException","message":"Rate exceeded"}`)
	f.Add(500, "InternalErrorException", "req-1", `{"__type":"InternalErrorException","message":"Internal server error"}`)
	f.Add(400, "", "req-1", `{"__type":"com.amazonaws.cognito#InvalidParameterException:http://internal","message":"x"}`)
	f.Add(502, "", "req-1", `<html>Bad Gateway TOKEN</html>`)
	f.Add(200, "", "req-1", `{"AccessToken":"TOKEN"`)
	f.Add(200, "", "req-1", `{}`)
	f.Add(403, "", "req-1", ``)
	f.Add(400, "TOKEN", "TOKEN", `{"__type":"TOKEN","message":"TOKEN"}`)
	f.Fuzz(func(t *testing.T, status int, errType, reqID, body string) {
		if status < 200 || status > 599 {
			t.Skip()
		}
		h := http.Header{"Content-Type": {"application/x-amz-json-1.1"}}
		if errType != "" {
			h.Set("X-Amzn-Errortype", strings.ReplaceAll(errType, "TOKEN", fuzzToken))
		}
		if reqID != "" {
			h.Set("X-Amzn-Requestid", strings.ReplaceAll(reqID, "TOKEN", fuzzToken))
		}
		var log strings.Builder
		rt := answer{status: status, header: h, body: strings.ReplaceAll(body, "TOKEN", fuzzToken)}
		c, err := signout.New(signout.WithHTTPClient(&http.Client{Transport: rt}), signout.WithRegion("us-east-1"),
			signout.WithTokenChecks(false), signout.WithRetryMaxAttempts(1),
			signout.WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		if err != nil {
			t.Fatal(err)
		}
		err = c.SignOut(context.Background(), fuzzToken)
		if strings.Contains(log.String(), fuzzToken) {
			t.Fatalf("token logged: %s", log.String())
		}
		if err == nil {
			return
		}
		var se *signout.Error
		if !errors.As(err, &se) {
			t.Fatalf("not an *Error: %v", err)
		}
		matched := 0
		for _, s := range sentinels {
			if errors.Is(err, s) && s != signout.ErrNotAuthorized {
				matched++
			}
		}
		if matched != 1 && !errors.Is(err, signout.ErrNotAuthorized) {
			t.Fatalf("matches %d sentinels: %v", matched, err)
		}
		_ = se.Retryable()
		text := fmt.Sprintf("%v %+v %#v", err, err, err)
		for e := err; e != nil; e = errors.Unwrap(e) {
			text += "\n" + e.Error()
		}
		if strings.Contains(text, fuzzToken) {
			t.Fatalf("token leaked: %s", text)
		}
	})
}
