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
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/signouttest"
)

func TestNewServerNamesItsPool(t *testing.T) {
	tests := []struct {
		name       string
		opts       []signouttest.ServerOption
		region     string
		issuerHost string
		https      bool
		withSecret bool
	}{
		{"defaults", nil, "us-east-1", "cognito-idp.us-east-1.amazonaws.com", false, false},
		{"region", []signouttest.ServerOption{signouttest.Region("eu-central-1")}, "eu-central-1", "cognito-idp.eu-central-1.amazonaws.com", false, false},
		{"China", []signouttest.ServerOption{signouttest.Region("cn-north-1")}, "cn-north-1", "cognito-idp.cn-north-1.amazonaws.com.cn", false, false},
		{"updated issuer", []signouttest.ServerOption{signouttest.UpdatedIssuer(), signouttest.Region("eu-west-2")}, "eu-west-2",
			"issuer-cognito-idp.eu-west-2.amazonaws.com", false, false},
		{"tls", []signouttest.ServerOption{signouttest.TLS()}, "us-east-1", "cognito-idp.us-east-1.amazonaws.com", true, false},
		{"confidential", []signouttest.ServerOption{signouttest.Confidential()}, "us-east-1", "cognito-idp.us-east-1.amazonaws.com", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, tc.opts...)
			assert.Equal(t, tc.region, srv.Region)
			assert.True(t, strings.HasPrefix(srv.UserPoolID, tc.region+"_"), srv.UserPoolID)
			assert.Equal(t, "https://"+tc.issuerHost+"/"+srv.UserPoolID, srv.Issuer)
			assert.Equal(t, srv.Issuer, claims(t, srv.SignIn("alice").AccessToken)["iss"])
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

func TestReplica(t *testing.T) {
	for _, updated := range []bool{false, true} {
		t.Run(map[bool]string{false: "original issuer", true: "updated issuer"}[updated], func(t *testing.T) {
			opts := []signouttest.ServerOption{signouttest.Confidential()}
			if updated {
				opts = append(opts, signouttest.UpdatedIssuer())
			}
			srv := start(t, opts...)
			rep := srv.Replica("eu-west-1")
			assert.Equal(t, "eu-west-1", rep.Region)
			assert.NotEqual(t, srv.URL, rep.URL)
			assert.Equal(t, []string{srv.UserPoolID, srv.ClientID, srv.ClientSecret}, []string{rep.UserPoolID, rep.ClientID, rep.ClientSecret})
			if updated {
				assert.Equal(t, srv.Issuer, rep.Issuer, "the primary's region, whichever region issued it")
			} else {
				assert.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/"+srv.UserPoolID, rep.Issuer)
			}
			assert.JSONEq(t, string(srv.JWKS()), string(rep.JWKS()), "one set of keys")

			alice := srv.SignIn("alice")
			there := rep.SignIn("alice")
			assert.Equal(t, rep.Issuer, claims(t, there.AccessToken)["iss"])
			assert.Equal(t, claims(t, alice.AccessToken)["sub"], claims(t, there.AccessToken)["sub"], "one user")
			for _, s := range []*signouttest.Server{srv, rep} {
				for _, tok := range []string{alice.AccessToken, there.AccessToken} {
					_, err := getUser(t, s, tok)
					require.NoError(t, err, "%s accepts the tokens of every region", s.Region)
				}
			}

			_, err := rep.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(alice.AccessToken)})
			require.NoError(t, err)
			for _, s := range []*signouttest.Server{srv, rep} {
				_, err := getUser(t, s, there.AccessToken)
				_, msg := apiError(t, err)
				assert.Equal(t, "Access Token has been revoked", msg, "ended in %s too", s.Region)
			}
			assert.Equal(t, 1, rep.Requests("GlobalSignOut"))
			assert.Equal(t, 0, srv.Requests("GlobalSignOut"), "each region counts its own requests")
		})
	}
}

func TestReplicaPanicsOnMisuse(t *testing.T) {
	srv := start(t)
	rep := srv.Replica("eu-west-1")
	srv.AddUser("alice", nil)
	assert.NotPanics(t, func() { rep.SignIn("alice") })
	assert.PanicsWithValue(t, `signouttest: a replica makes no users: make "bob" at the primary`, func() { rep.SignIn("bob") })
	assert.PanicsWithValue(t, `signouttest: a replica makes no users: make "carol" at the primary`, func() { rep.AddUser("carol", nil) })
	assert.PanicsWithValue(t, "signouttest: Replica on a replica: call it on the primary", func() { rep.Replica("ap-south-1") })
	assert.PanicsWithValue(t, "signouttest: Replica: the pool already has a server in eu-west-1", func() { srv.Replica("eu-west-1") })
	assert.PanicsWithValue(t, "signouttest: Replica: the pool already has a server in us-east-1", func() { srv.Replica("us-east-1") })
	assert.PanicsWithValue(t, "signouttest: RefuseSignOut on the primary: only a replica may refuse", func() { srv.RefuseSignOut(true) })
}

func TestCloseClosesTheReplicas(t *testing.T) {
	srv := signouttest.NewServer()
	rep := srv.Replica("eu-west-1")
	tok := srv.SignIn("alice").AccessToken
	_, err := getUser(t, rep, tok)
	require.NoError(t, err)
	srv.Close()
	_, err = getUser(t, rep, tok)
	assert.ErrorContains(t, err, "connection refused")
	rep.Close() // again, harmlessly
}

func TestSetDown(t *testing.T) {
	srv := start(t)
	rep := srv.Replica("eu-west-1")
	tok := srv.SignIn("alice").AccessToken
	srv.SetDown(true)
	for _, op := range []string{"GetUser", "GlobalSignOut"} {
		a := post(t, srv, op, `{"AccessToken":"`+tok+`"}`)
		require.Error(t, a.err, "%s: no answer", op)
		assert.NotContains(t, a.err.Error(), tok)
	}
	_, err := getUser(t, srv, tok)
	var send *smithyhttp.RequestSendError
	assert.ErrorAs(t, err, &send, "the SDK sees no answer")
	assert.Equal(t, 3, srv.Requests(""), "requests to a region that is down are counted")
	_, err = getUser(t, rep, tok)
	require.NoError(t, err, "the other region is up")
	assert.True(t, srv.Accepts(tok), "GlobalSignOut was not done")

	srv.SetDown(false)
	_, err = getUser(t, srv, tok)
	assert.NoError(t, err, "up again")
}

func TestRefuseSignOut(t *testing.T) {
	srv := start(t, signouttest.Confidential())
	rep := srv.Replica("eu-west-1")
	alice := srv.SignIn("alice")
	ctx := context.Background()
	rep.RefuseSignOut(true)
	_, err := rep.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(alice.AccessToken)})
	code, msg := apiError(t, err)
	assert.Equal(t, "OperationNotEnabledException", code)
	assert.Equal(t, "GlobalSignOut is not available in the current region.", msg)
	_, err = rep.Client().RevokeToken(ctx, &cip.RevokeTokenInput{Token: aws.String(alice.RefreshToken),
		ClientId: aws.String(rep.ClientID), ClientSecret: aws.String(rep.ClientSecret)})
	code, _ = apiError(t, err)
	assert.Equal(t, "OperationNotEnabledException", code)
	_, err = rep.Client().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
		UserPoolId: aws.String(rep.UserPoolID), Username: aws.String("alice")})
	code, _ = apiError(t, err)
	assert.Equal(t, "OperationNotEnabledException", code)
	_, err = getUser(t, rep, alice.AccessToken)
	require.NoError(t, err, "it still serves the rest, and nothing was signed out")
	assert.True(t, srv.Accepts(alice.RefreshToken))

	rep.RefuseSignOut(false)
	_, err = rep.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(alice.AccessToken)})
	require.NoError(t, err)
	assert.False(t, srv.Accepts(alice.AccessToken))
}

func TestHTTPClientRoutesByRegion(t *testing.T) {
	for _, opts := range [][]signouttest.ServerOption{{signouttest.Region("us-east-1")}, {signouttest.Region("cn-north-1"), signouttest.TLS()}} {
		srv := start(t, opts...)
		rep := srv.Replica(map[string]string{"us-east-1": "eu-west-1", "cn-north-1": "cn-northwest-1"}[srv.Region])
		t.Run(srv.Region+" and "+rep.Region, func(t *testing.T) {
			tok := srv.SignIn("alice").AccessToken
			for _, s := range []*signouttest.Server{srv, rep} {
				// No endpoint: the SDK's own for the region.
				c := cip.New(cip.Options{Region: s.Region, HTTPClient: rep.HTTPClient(), RetryMaxAttempts: 1})
				_, err := c.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
				require.NoError(t, err)
				assert.Equal(t, 1, s.Requests("GetUser"), "reached %s", s.Region)
			}
			c := cip.New(cip.Options{Region: "ap-south-1", HTTPClient: srv.HTTPClient(), RetryMaxAttempts: 1})
			_, err := c.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tok)})
			assert.ErrorContains(t, err, "signouttest: no server of the pool in the region of cognito-idp.ap-south-1.amazonaws.com")
			assert.Equal(t, 2, srv.Requests("")+rep.Requests(""))
		})
	}
}
