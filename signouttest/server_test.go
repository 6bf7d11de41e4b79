package signouttest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/signouttest"
)

func TestNewServerNamesItsPool(t *testing.T) {
	tests := []struct {
		name       string
		opts       []signouttest.ServerOption
		region     string
		https      bool
		withSecret bool
	}{
		{"defaults", nil, "us-east-1", false, false},
		{"region", []signouttest.ServerOption{signouttest.Region("eu-central-1")}, "eu-central-1", false, false},
		{"tls", []signouttest.ServerOption{signouttest.TLS()}, "us-east-1", true, false},
		{"confidential", []signouttest.ServerOption{signouttest.Confidential()}, "us-east-1", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, tc.opts...)
			assert.Equal(t, tc.region, srv.Region)
			assert.True(t, strings.HasPrefix(srv.UserPoolID, tc.region+"_"), srv.UserPoolID)
			assert.Equal(t, "https://cognito-idp."+tc.region+".amazonaws.com/"+srv.UserPoolID, srv.Issuer)
			assert.Equal(t, tc.https, strings.HasPrefix(srv.URL, "https://127.0.0.1:"), srv.URL)
			assert.Equal(t, tc.withSecret, srv.ClientSecret != "")
			assert.NotEmpty(t, srv.ClientID)
		})
	}
}

func TestClientReachesTheServer(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			var opts []signouttest.ServerOption
			if tls {
				opts = append(opts, signouttest.TLS())
			}
			srv := start(t, opts...)
			srv.SignIn("alice")
			ctx := context.Background()
			_, err := srv.Client().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
				UserPoolId: aws.String(srv.UserPoolID), Username: aws.String("alice")})
			require.NoError(t, err, "admin calls are signed")
			assert.Equal(t, 1, srv.Requests("AdminUserGlobalSignOut"))
			assert.Same(t, srv.Client(), srv.Client())
		})
	}
}

func TestClientMakesOneAttempt(t *testing.T) {
	srv := start(t)
	srv.InjectFault("GetUser", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "InternalErrorException", Message: "boom"})
	_, err := getUser(t, srv, srv.SignIn("alice").AccessToken)
	code, _ := apiError(t, err)
	assert.Equal(t, "InternalErrorException", code)
	assert.Equal(t, 1, srv.Requests("GetUser"), "no retry")
}

func TestServerRefusesMalformedRequests(t *testing.T) {
	srv := start(t)
	tests := []struct {
		name, op, body, code, message string
	}{
		{"unknown operation", "AdminDeleteUser", `{}`, "UnknownOperationException", ""},
		{"not JSON", "GlobalSignOut", `{"AccessToken":`, "SerializationException", "Start of structure or map found where not expected."},
		{"missing token", "GlobalSignOut", `{}`, "InvalidParameterException",
			"1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null"},
		{"unsigned admin call", "AdminUserGlobalSignOut", `{"UserPoolId":"p","Username":"u"}`,
			"MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unsigned listing", "ListUsers", `{}`, "MissingAuthenticationTokenException", "Missing Authentication Token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, srv, tc.op, tc.body)
			require.NoError(t, a.err)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Equal(t, tc.code, a.header.Get("X-Amzn-Errortype"))
			assert.Equal(t, "application/x-amz-json-1.1", a.header.Get("Content-Type"))
			assert.NotEmpty(t, a.header.Get("X-Amzn-Requestid"))
			assert.JSONEq(t, `{"__type":"`+tc.code+`","message":"`+tc.message+`"}`, a.body)
		})
	}
}

func TestAdminOperationsCheckThePool(t *testing.T) {
	srv := start(t)
	srv.AddUser("alice", nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, pool, code, message string
	}{
		{"this pool", srv.UserPoolID, "", ""},
		{"another pool", "us-east-1_other", "ResourceNotFoundException", "User pool us-east-1_other does not exist."},
		{"no pool", "", "InvalidParameterException",
			"1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srv.Client().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(tc.pool)})
			code, msg := apiError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)
			_, err = srv.Client().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
				UserPoolId: aws.String(tc.pool), Username: aws.String("alice")})
			code, msg = apiError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.message, msg)
		})
	}
}

func TestRequests(t *testing.T) {
	srv := start(t)
	tok := srv.SignIn("alice").AccessToken
	for range 3 {
		_, err := getUser(t, srv, tok)
		require.NoError(t, err)
	}
	_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(tok)})
	require.NoError(t, err)
	post(t, srv, "AdminDeleteUser", `{}`)
	assert.Equal(t, 3, srv.Requests("GetUser"))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
	assert.Equal(t, 0, srv.Requests("RevokeToken"))
	assert.Equal(t, 4, srv.Requests(""), "operations the server does not know are not counted")
}

func TestConnections(t *testing.T) {
	srv := start(t)
	send := func(c *http.Client) {
		resp, err := c.Post(srv.URL, "application/x-amz-json-1.1", strings.NewReader(`{}`))
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for range 3 {
		send(&http.Client{Transport: tr})
	}
	assert.Equal(t, 1, srv.Connections(), "a client that reads its answers reuses its connection")
	post(t, srv, "GetUser", `{}`)
	assert.Equal(t, 2, srv.Connections())
}

func TestCertificatePEM(t *testing.T) {
	srv := start(t, signouttest.TLS())
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(srv.CertificatePEM()))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/" + srv.UserPoolID + "/.well-known/jwks.json")
	require.NoError(t, err, "the certificate is the one the server presents")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	plain := start(t)
	assert.PanicsWithValue(t, "signouttest: CertificatePEM on a server started without TLS()", func() { plain.CertificatePEM() })
}

func TestAccepts(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	for _, tok := range []string{alice.AccessToken, alice.RefreshToken, bob.AccessToken} {
		require.True(t, srv.Accepts(tok))
	}
	assert.False(t, srv.Accepts(alice.IDToken), "an ID token is no access token")
	assert.False(t, srv.Accepts("garbage"))
	_, err := srv.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: &alice.AccessToken})
	require.NoError(t, err)
	assert.False(t, srv.Accepts(alice.AccessToken))
	assert.False(t, srv.Accepts(alice.RefreshToken))
	assert.True(t, srv.Accepts(bob.AccessToken))
	assert.Equal(t, 1, srv.Requests(""), "Accepts sends nothing")
}
