package signouttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/signouttest"
)

func TestFaultModes(t *testing.T) {
	tests := []struct {
		name   string
		f      signouttest.Fault
		status int
		header map[string]string
		body   string
		reset  bool
	}{
		{name: "error reply", f: signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"},
			status: 400, header: map[string]string{"X-Amzn-Errortype": "TooManyRequestsException", "Content-Type": "application/x-amz-json-1.1"},
			body: `{"__type":"TooManyRequestsException","message":"Rate exceeded"}`},
		{name: "internal error is a 500", f: signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException"},
			status: 500, body: `{"__type":"InternalErrorException","message":""}`},
		{name: "error reply with a status and request id", f: signouttest.Fault{Mode: signouttest.ErrorReply, Status: 503,
			Code: "ServiceUnavailable", Message: "down", RequestID: "rid-1"},
			status: 503, header: map[string]string{"X-Amzn-Requestid": "rid-1"}, body: `{"__type":"ServiceUnavailable","message":"down"}`},
		{name: "raw reply", f: signouttest.Fault{Mode: signouttest.RawReply, Status: 502, ContentType: "text/html", Body: "<html>bad gateway</html>"},
			status: 502, header: map[string]string{"Content-Type": "text/html", "X-Amzn-Errortype": ""}, body: "<html>bad gateway</html>"},
		{name: "raw reply with a delayed body", f: signouttest.Fault{Mode: signouttest.RawReply, Status: 200, Body: `{"x":1}`,
			BodyDelay: time.Millisecond}, status: 200, body: `{"x":1}`},
		{name: "delayed error reply", f: signouttest.Fault{Mode: signouttest.ErrorReply, Code: "X", Delay: time.Millisecond},
			status: 400, body: `{"__type":"X","message":""}`},
		{name: "slow", f: signouttest.Fault{Mode: signouttest.Slow, Delay: time.Millisecond},
			status: 400, header: map[string]string{"X-Amzn-Errortype": "InvalidParameterException"}},
		{name: "reset", f: signouttest.Fault{Mode: signouttest.Reset}, reset: true},
		{name: "delayed reset", f: signouttest.Fault{Mode: signouttest.Reset, Delay: time.Millisecond}, reset: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t)
			srv.InjectFault("GlobalSignOut", tc.f)
			a := post(t, srv, "GlobalSignOut", `{}`)
			assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
			if tc.reset {
				assert.Error(t, a.err)
				return
			}
			require.NoError(t, a.err)
			assert.Equal(t, tc.status, a.status)
			for k, v := range tc.header {
				assert.Equal(t, v, a.header.Get(k), k)
			}
			if tc.body != "" {
				assert.Equal(t, tc.body, a.body)
			}
		})
	}
}

func TestSlowFaultAnswersNormally(t *testing.T) {
	srv := start(t)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.Slow, Delay: time.Millisecond})
	ctx := context.Background()
	_, err := srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	require.NoError(t, err)
	_, err = srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	_, msg := apiError(t, err)
	assert.Equal(t, "Access Token has been revoked", msg, "the slow request was processed for real")
}

// outcomes sends n GetUser requests and returns the error code of each
// ("" for success).
func outcomes(t *testing.T, srv *signouttest.Server, tok string, n int) []string {
	t.Helper()
	var codes []string
	for range n {
		_, err := getUser(t, srv, tok)
		code, _ := apiError(t, err)
		codes = append(codes, code)
	}
	return codes
}

func TestFaultSchedules(t *testing.T) {
	const boom = "InternalErrorException"
	tests := []struct {
		name   string
		op     string
		times  int
		every  int
		remove bool
		want   []string
	}{
		{"always", "GetUser", 0, 0, false, []string{boom, boom, boom, boom}},
		{"times", "GetUser", 2, 0, false, []string{boom, boom, "", ""}},
		{"every", "GetUser", 0, 2, false, []string{"", boom, "", boom}},
		{"every, times", "GetUser", 1, 2, false, []string{"", boom, "", ""}},
		{"every operation", "", 0, 0, false, []string{boom, boom, boom, boom}},
		{"another operation", "GlobalSignOut", 0, 0, false, []string{"", "", "", ""}},
		{"removed", "GetUser", 0, 0, true, []string{"", "", "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t)
			remove := srv.InjectFault(tc.op, signouttest.Fault{Mode: signouttest.ErrorReply, Code: boom, Times: tc.times, Every: tc.every})
			if tc.remove {
				remove()
				remove()
			}
			assert.Equal(t, tc.want, outcomes(t, srv, srv.SignIn("alice").AccessToken, len(tc.want)))
		})
	}
}

func TestFaultsApplyInOrder(t *testing.T) {
	srv := start(t)
	srv.InjectFault("GetUser", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "First", Times: 1})
	removeSecond := srv.InjectFault("GetUser", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "Second"})
	tok := srv.SignIn("alice").AccessToken
	assert.Equal(t, []string{"First", "Second"}, outcomes(t, srv, tok, 2))
	removeSecond()
	assert.Equal(t, []string{""}, outcomes(t, srv, tok, 1))
}

func TestInjectFaultPanicsOnMisuse(t *testing.T) {
	tests := []struct {
		name string
		f    signouttest.Fault
	}{
		{"no mode", signouttest.Fault{Code: "X"}},
		{"unknown mode", signouttest.Fault{Mode: 42}},
		{"error reply without code", signouttest.Fault{Mode: signouttest.ErrorReply, Message: "x"}},
		{"error reply with body", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "X", Body: "x"}},
		{"raw reply without status", signouttest.Fault{Mode: signouttest.RawReply, Body: "x"}},
		{"raw reply with code", signouttest.Fault{Mode: signouttest.RawReply, Status: 500, Code: "X"}},
		{"hang with status", signouttest.Fault{Mode: signouttest.Hang, Status: 500}},
		{"reset with body delay", signouttest.Fault{Mode: signouttest.Reset, BodyDelay: 1}},
		{"slow with request id", signouttest.Fault{Mode: signouttest.Slow, Delay: 1, RequestID: "x"}},
		{"hang with delay", signouttest.Fault{Mode: signouttest.Hang, Delay: 1}},
		{"slow without delay", signouttest.Fault{Mode: signouttest.Slow}},
		{"negative times", signouttest.Fault{Mode: signouttest.Reset, Times: -1}},
		{"negative delay", signouttest.Fault{Mode: signouttest.Reset, Delay: -1}},
		{"negative every", signouttest.Fault{Mode: signouttest.Reset, Every: -1}},
		{"negative body delay", signouttest.Fault{Mode: signouttest.RawReply, Status: 200, BodyDelay: -1}},
		{"raw reply with message", signouttest.Fault{Mode: signouttest.RawReply, Status: 500, Message: "x"}},
		{"error reply with content type", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "X", ContentType: "text/html"}},
	}
	srv := start(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.PanicsWithValue(t, "signouttest: InjectFault: the Fault's fields do not fit its Mode", func() { srv.InjectFault("", tc.f) })
		})
	}
	_, err := getUser(t, srv, srv.SignIn("alice").AccessToken)
	assert.NoError(t, err, "a refused fault is not played")
}

func TestCloseEndsHangingRequests(t *testing.T) {
	for _, f := range []signouttest.Fault{
		{Mode: signouttest.Hang},
		{Mode: signouttest.Slow, Delay: time.Hour},
		{Mode: signouttest.RawReply, Status: 200, Body: "{}", BodyDelay: time.Hour},
	} {
		srv := signouttest.NewServer()
		srv.InjectFault("", f)
		done := make(chan answer, 1)
		go func() { done <- post(t, srv, "GlobalSignOut", "{}") }()
		require.Eventually(t, func() bool { return srv.Requests("GlobalSignOut") == 1 }, 5*time.Second, time.Millisecond)
		srv.Close()
		select {
		case a := <-done:
			assert.Error(t, a.err, "the connection drops, with no answer")
		case <-time.After(5 * time.Second):
			t.Fatal("Close left a hanging request behind")
		}
	}
}
