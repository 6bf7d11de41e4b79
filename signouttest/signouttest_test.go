package signouttest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start starts a stand-in that the test closes.
func start(t *testing.T, opts ...signouttest.ServerOption) *signouttest.Server {
	t.Helper()
	srv := signouttest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// apiError returns the Cognito error code and message of err, or "" and ""
// when err is nil.
func apiError(t *testing.T, err error) (code, message string) {
	t.Helper()
	if err == nil {
		return "", ""
	}
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	return api.ErrorCode(), api.ErrorMessage()
}

// getUser calls GetUser with tok and returns the user name, or the error.
func getUser(t *testing.T, srv *signouttest.Server, tok string) (string, error) {
	t.Helper()
	out, err := srv.Client().GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Username), nil
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
	err    error
}

// post sends body to op as an unsigned AWS JSON 1.1 request, outside the
// SDK. It may run outside the test's goroutine.
func post(t *testing.T, srv *signouttest.Server, op, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
}
