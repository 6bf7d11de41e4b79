package signouttest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ signout.Signer = (*signouttest.Signer)(nil)

func sdkFor(t *testing.T, srv *signouttest.Server) *cip.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return cip.New(cip.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
		HTTPClient: &http.Client{Transport: tr}, RetryMaxAttempts: 1})
}

func apiCode(t *testing.T, err error) (string, string) {
	t.Helper()
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	return api.ErrorCode(), api.ErrorMessage()
}

func TestServerAnswersLikeCognito(t *testing.T) {
	srv := signouttest.NewServer(signouttest.Region("eu-central-1"))
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	ctx := context.Background()
	tokens := srv.SignIn("alice")
	tamperedSig := tokens.AccessToken[:len(tokens.AccessToken)-4] + "AAAA"

	tests := []struct {
		name     string
		tok      string
		code     string
		message  string
		wantUser string
	}{
		{"valid", tokens.AccessToken, "", "", "alice"},
		{"id token", tokens.IDToken, "NotAuthorizedException", "Invalid Access Token", ""},
		{"tampered signature", tamperedSig, "NotAuthorizedException", "Invalid Access Token", ""},
		{"garbage", "abc", "NotAuthorizedException", "Invalid Access Token", ""},
		{"expired", srv.AccessToken("bob", signouttest.ExpiresIn(-time.Minute)), "NotAuthorizedException", "Access Token has expired", ""},
		{"no scope", srv.AccessToken("carol", signouttest.Scope("openid")), "NotAuthorizedException", "Access Token does not have required scopes", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sdk.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(tc.tok)})
			if tc.code == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.wantUser, aws.ToString(out.Username))
				return
			}
			code, msg := apiCode(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)
		})
	}
	assert.Equal(t, "https://cognito-idp.eu-central-1.amazonaws.com/"+srv.UserPoolID, srv.Issuer)
	assert.True(t, strings.HasPrefix(srv.UserPoolID, "eu-central-1_"))
}

func TestServerGlobalSignOutAndRefresh(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	ctx := context.Background()
	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	refresh := func(rt string) error {
		_, err := sdk.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			ClientId: aws.String(srv.ClientID), AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
		return err
	}
	require.NoError(t, refresh(alice.RefreshToken))
	_, err := sdk.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(alice.AccessToken)})
	require.NoError(t, err)

	_, err = sdk.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(alice.AccessToken)})
	code, msg := apiCode(t, err)
	assert.Equal(t, "NotAuthorizedException", code)
	assert.Equal(t, "Access Token has been revoked", msg)
	_, msg = apiCode(t, refresh(alice.RefreshToken))
	assert.Equal(t, "Refresh Token has been revoked", msg)
	_, msg = apiCode(t, refresh("unknown"))
	assert.Equal(t, "Invalid Refresh Token", msg)
	require.NoError(t, refresh(bob.RefreshToken))

	srv.DeleteUser("bob")
	code, _ = apiCode(t, refresh(bob.RefreshToken))
	assert.Equal(t, "UserNotFoundException", code)
	assert.Equal(t, 2, srv.Requests("GlobalSignOut"))
	assert.Equal(t, 5, srv.Requests("InitiateAuth"))
	assert.Equal(t, 7, srv.Requests(""))
}

func TestServerMissingParameter(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GlobalSignOut")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, "InvalidParameterException", resp.Header.Get("X-Amzn-Errortype"))
	assert.Contains(t, string(body), `"__type":"InvalidParameterException"`)
	http.DefaultClient.CloseIdleConnections()
}

func TestServerJWKSVerifiesTokens(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/" + srv.UserPoolID + "/.well-known/jwks.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	require.Len(t, set.Keys, 1)
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	tok := strings.Split(srv.SignIn("alice").AccessToken, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(tok[2])
	sum := sha256.Sum256([]byte(tok[0] + "." + tok[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig))
	http.DefaultClient.CloseIdleConnections()
}

func TestFaultTimesThenNormal(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GetUser", signouttest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 2})
	for range 2 {
		_, err := sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
		code, _ := apiCode(t, err)
		assert.Equal(t, "TooManyRequestsException", code)
	}
	_, err := sdk.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	require.NoError(t, err, "a fault for GetUser leaves GlobalSignOut alone")
	_, err = sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
	_, msg := apiCode(t, err)
	assert.Equal(t, "Access Token has been revoked", msg, "after Times the server answers normally")
}

func TestCloseEndsHangingRequests(t *testing.T) {
	srv := signouttest.NewServer()
	srv.InjectFault("", signouttest.Fault{Hang: true})
	done := make(chan error, 1)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GlobalSignOut")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.Requests("GlobalSignOut") == 1 }, 5*time.Second, time.Millisecond)
	srv.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a hanging request behind")
	}
}

func TestSigner(t *testing.T) {
	s := &signouttest.Signer{Results: []error{signout.ErrThrottled}, Err: signout.ErrTokenRevoked}
	ctx := context.Background()
	assert.ErrorIs(t, s.SignOut(ctx, "t1"), signout.ErrThrottled)
	assert.ErrorIs(t, s.SignOut(ctx, "t2"), signout.ErrTokenRevoked)
	assert.ErrorIs(t, s.SignOut(ctx, "t3"), signout.ErrTokenRevoked)
	assert.Equal(t, []string{"t1", "t2", "t3"}, s.Calls())

	var zero signouttest.Signer
	assert.NoError(t, zero.SignOut(ctx, "x"))
	assert.Equal(t, []string{"x"}, zero.Calls())
}

func TestSignerScriptsTypedErrors(t *testing.T) {
	s := &signouttest.Signer{Err: &signout.Error{Op: "GlobalSignOut", Kind: signout.ErrThrottled}}
	err := s.SignOut(context.Background(), "t")
	var se *signout.Error
	require.True(t, errors.As(err, &se))
	assert.True(t, se.Retryable())
	assert.ErrorIs(t, err, signout.ErrThrottled)
}

func TestCertificatePEMPanicsWithoutTLS(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	assert.PanicsWithValue(t, "signouttest: CertificatePEM on a server started without TLS()", func() { srv.CertificatePEM() })
}

func TestRateLimit(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	tok := srv.SignIn("alice").AccessToken
	srv.RateLimit(0.001, 3) // three requests, then next to none
	var throttled int
	for range 5 {
		_, err := sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
		if err != nil {
			code, msg := apiCode(t, err)
			require.Equal(t, "TooManyRequestsException", code)
			require.Equal(t, "Rate exceeded", msg)
			throttled++
		}
	}
	assert.Equal(t, 2, throttled)
	assert.Equal(t, 2, srv.Throttled())
	srv.RateLimit(0, 0)
	_, err := sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
	assert.NoError(t, err, "off again")
}

func TestFaultEvery(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GetUser", signouttest.Fault{Code: "InternalErrorException", Message: "boom", Every: 3})
	var failed []int
	for i := 1; i <= 9; i++ {
		if _, err := sdk.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)}); err != nil {
			failed = append(failed, i)
		}
	}
	assert.Equal(t, []int{3, 6, 9}, failed)
}

func TestFaultDelayOnlyAnswersNormally(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	sdk := sdkFor(t, srv)
	tok := srv.SignIn("alice").AccessToken
	srv.InjectFault("GlobalSignOut", signouttest.Fault{Delay: 30 * time.Millisecond})
	start := time.Now()
	_, err := sdk.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "held back")
	_, err = sdk.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	_, msg := apiCode(t, err)
	assert.Equal(t, "Access Token has been revoked", msg, "the slow request was processed for real")
}
