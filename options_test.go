package signout_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouttest"
)

// TestOptionValues: a bad value fails New with ErrInvalidOption naming its
// option, and the value itself (which could be a secret given to the wrong
// option) is not quoted.
func TestOptionValues(t *testing.T) {
	tests := []struct {
		name   string
		opt    signout.Option
		option string
	}{
		{"negative connect timeout", signout.WithConnectTimeout(-time.Second), "WithConnectTimeout"},
		{"negative read timeout", signout.WithReadTimeout(-1), "WithReadTimeout"},
		{"negative timeout", signout.WithTimeout(-1), "WithTimeout"},
		{"negative leeway", signout.WithExpiryLeeway(-1), "WithExpiryLeeway"},
		{"zero attempts", signout.WithRetryMaxAttempts(0), "WithRetryMaxAttempts"},
		{"endpoint without scheme", signout.WithEndpoint("localhost:5000"), "WithEndpoint"},
		{"endpoint ftp", signout.WithEndpoint("ftp://localhost"), "WithEndpoint"},
		{"endpoint without host", signout.WithEndpoint("http://"), "WithEndpoint"},
		{"endpoint with a password", signout.WithEndpoint("https://user:s3cretpassword@localhost"), "WithEndpoint"},
		{"region with spaces", signout.WithRegion("us east 1"), "WithRegion"},
		{"region a token", signout.WithRegion("eyJhbGciOiJSUzI1NiJ9secretsecret"), "WithRegion"},
		{"empty region", signout.WithRegion(""), "WithRegion"},
		{"empty CA bundle", signout.WithCABundle(nil), "WithCABundle"},
		{"CA bundle without certificates", signout.WithCABundle([]byte("hello")), "WithCABundle"},
		{"unknown profile", signout.WithProfile("nope"), "WithProfile"},
		{"empty profile", signout.WithProfile(""), "WithProfile"},
		{"nil HTTP client", signout.WithHTTPClient(nil), "WithHTTPClient"},
		{"nil logger", signout.WithLogger(nil), "WithLogger"},
		{"nil Cognito API", signout.WithCognitoAPI(nil), "WithCognitoAPI"},
		{"nil store", signout.WithRevocationStore(nil), "WithRevocationStore"},
		{"bad app client id", signout.WithAppClient("not an id", ""), "WithAppClient"},
		{"short client secret", signout.WithAppClient("abc", "short"), "WithAppClient"},
		{"client secret with a space", signout.WithAppClient("abc", "a secret of twenty chars"), "WithAppClient"},
		{"pool id a token", signout.WithPool("eyJhbGciOiJSUzI1NiJ9secretsecret"), "WithPool"},
		{"empty pool id", signout.WithPool(""), "WithPool"},
		{"nil admin", signout.WithAdmin(nil), "WithAdmin"},
		{"short outbox key", signout.WithOutboxKey(make([]byte, 16)), "WithOutboxKey"},
		{"outbox rate of another category", signout.WithOutboxRate("UserRead", 10), "WithOutboxRate"},
		{"zero outbox rate", signout.WithOutboxRate("UserUpdate", 0), "WithOutboxRate"},
		{"zero refresh token validity", signout.WithRefreshTokenValidity(0), "WithRefreshTokenValidity"},
		{"replicas of no pool", signout.WithReplicaRegions("", "eu-west-1"), "WithReplicaRegions"},
		{"replicas of a pool id without a region", signout.WithReplicaRegions("pool_AbC123", "eu-west-1"), "WithReplicaRegions"},
		{"replicas of a token", signout.WithReplicaRegions("eyJhbGciOiJSUzI1NiJ9secretsecret", "eu-west-1"), "WithReplicaRegions"},
		{"no replica region", signout.WithReplicaRegions("us-east-1_AbC123"), "WithReplicaRegions"},
		{"a replica region that is none", signout.WithReplicaRegions("us-east-1_AbC123", "eu west 1"), "WithReplicaRegions"},
		{"the primary as a replica", signout.WithReplicaRegions("us-east-1_AbC123", "eu-west-1", "us-east-1"), "WithReplicaRegions"},
		{"a replica region twice", signout.WithReplicaRegions("us-east-1_AbC123", "eu-west-1", "eu-west-1"), "WithReplicaRegions"},
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := signout.New(tc.opt)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			assert.Nil(t, c)
			assert.Equal(t, tc.option, asError(t, err).Op)
			for _, secret := range []string{"s3cretpassword", "eyJhbGciOiJSUzI1NiJ9secretsecret", "a secret of twenty chars"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

// TestOptionConflicts: options that supply a whole part cannot be combined
// with those that would build it, in either order.
func TestOptionConflicts(t *testing.T) {
	hc := &http.Client{}
	cfgWithClient := aws.Config{HTTPClient: hc}
	replicas := signout.WithReplicaRegions("us-east-1_AbC123", "eu-west-1")
	tests := []struct {
		name   string
		opts   []signout.Option
		naming string
	}{
		{"HTTP client and CA bundle", []signout.Option{signout.WithHTTPClient(hc), signout.WithCABundle([]byte("x"))}, "WithHTTPClient"},
		{"HTTP client and connect timeout", []signout.Option{signout.WithHTTPClient(hc), signout.WithConnectTimeout(time.Second)}, "WithHTTPClient"},
		{"HTTP client and read timeout", []signout.Option{signout.WithHTTPClient(hc), signout.WithReadTimeout(time.Second)}, "WithHTTPClient"},
		{"aws.Config's HTTP client and CA bundle", []signout.Option{signout.WithAWSConfig(cfgWithClient), signout.WithCABundle([]byte("x"))}, "WithAWSConfig"},
		{"aws.Config's HTTP client and WithHTTPClient", []signout.Option{signout.WithAWSConfig(cfgWithClient), signout.WithHTTPClient(hc)}, "WithHTTPClient"},
		{"Cognito API and endpoint", []signout.Option{signout.WithCognitoAPI(&mockAPI{}), signout.WithEndpoint("http://localhost")}, "WithCognitoAPI"},
		{"Cognito API and HTTP client", []signout.Option{signout.WithCognitoAPI(&mockAPI{}), signout.WithHTTPClient(hc)}, "WithCognitoAPI"},
		{"Cognito API and retries", []signout.Option{signout.WithCognitoAPI(&mockAPI{}), signout.WithRetryMaxAttempts(2)}, "WithCognitoAPI"},
		{"replicas and a region", []signout.Option{replicas, signout.WithRegion("us-east-1")}, "WithReplicaRegions"},
		{"replicas and an endpoint", []signout.Option{replicas, signout.WithEndpoint("http://localhost")}, "WithReplicaRegions"},
		{"replicas and the aws.Config's endpoint", []signout.Option{replicas, signout.WithAWSConfig(aws.Config{BaseEndpoint: aws.String("http://localhost")})},
			"WithReplicaRegions"},
	}
	for _, tc := range tests {
		for _, order := range []string{"given", "reversed"} {
			t.Run(tc.name+", "+order, func(t *testing.T) {
				opts := slices.Clone(tc.opts)
				if order == "reversed" {
					slices.Reverse(opts)
				}
				_, err := signout.New(opts...)
				require.ErrorIs(t, err, signout.ErrInvalidOption)
				assert.Equal(t, tc.naming, asError(t, err).Op)
			})
		}
	}
}

// TestOptionNeeds: an option that needs another fails New without it,
// whatever the order of the rest.
func TestOptionNeeds(t *testing.T) {
	store := revocation.New()
	tests := []struct {
		name   string
		opts   []signout.Option
		naming string
	}{
		{"store without pool", []signout.Option{signout.WithRevocationStore(store)}, "WithRevocationStore"},
		{"admin without pool", []signout.Option{signout.WithAdmin(newAdmin(t, "http://127.0.0.1:9"))}, "WithAdmin"},
		{"outbox key without store", []signout.Option{signout.WithOutboxKey(make([]byte, 32))}, "WithOutboxKey"},
		{"outbox rate without store", []signout.Option{signout.WithOutboxRate("UserToken", 50)}, "WithOutboxRate"},
		{"refresh token validity without store", []signout.Option{signout.WithRefreshTokenValidity(time.Hour)}, "WithRefreshTokenValidity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signout.New(tc.opts...)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			assert.Equal(t, tc.naming, asError(t, err).Op)
			assert.Contains(t, err.Error(), "needs ")
		})
	}
	c, err := signout.New(signout.WithOutboxKey(make([]byte, 32)), signout.WithRevocationStore(store),
		signout.WithPool("us-east-1_abc"), signout.WithOutboxRate("UserToken", 50), signout.WithAdmin(newAdmin(t, "http://127.0.0.1:9")))
	require.NoError(t, err, "all needs met, in any order")
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close twice")
}

// TestOptionsApplyInOrder: a later option replaces an earlier one of the
// same name.
func TestOptionsApplyInOrder(t *testing.T) {
	rec := &hostRecorder{}
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c, err := signout.New(signout.WithHTTPClient(&http.Client{Transport: rec}), signout.WithRegion("eu-west-1"), signout.WithRegion("ap-south-1"))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, []string{"cognito-idp.ap-south-1.amazonaws.com"}, rec.hosts)
}

// TestReplicaRegionsPerPool: WithReplicaRegions given for several pools
// keeps each, and a later one for the same pool replaces the earlier.
func TestReplicaRegionsPerPool(t *testing.T) {
	noRegion(t)
	srv := signouttest.NewServer(signouttest.UpdatedIssuer())
	t.Cleanup(srv.Close)
	rep := srv.Replica("eu-west-1")
	srv.SetDown(true)
	for _, tc := range []struct {
		name string
		opts []signout.Option
		done bool
	}{
		{"one pool among others", []signout.Option{signout.WithReplicaRegions("eu-west-2_Other", "eu-west-3"),
			signout.WithReplicaRegions(srv.UserPoolID, rep.Region), signout.WithReplicaRegions("ap-south-1_Other", "ap-south-2")}, true},
		{"replaced", []signout.Option{signout.WithReplicaRegions(srv.UserPoolID, rep.Region),
			signout.WithReplicaRegions(srv.UserPoolID, "ap-south-1")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rep.Requests("")
			c, err := signout.New(append(tc.opts, signout.WithHTTPClient(srv.HTTPClient()), signout.WithRetryMaxAttempts(1))...)
			require.NoError(t, err)
			err = c.SignOut(context.Background(), srv.SignIn("alice").AccessToken)
			if tc.done {
				require.NoError(t, err)
				assert.Equal(t, 1, rep.Requests("")-before)
				return
			}
			require.ErrorIs(t, err, signout.ErrNetwork)
			assert.Zero(t, rep.Requests("")-before, "eu-west-1 is no longer named")
			assert.Equal(t, 2, asError(t, err).Attempts, "the primary, then ap-south-1")
		})
	}
}

// TestNewReadsNoConfigFiles: without WithProfile, New reads no shared
// config, so a broken file or a missing AWS_PROFILE cannot fail it.
func TestNewReadsNoConfigFiles(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(broken, []byte("[profile broken\nregion = =\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", broken)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", broken)
	t.Setenv("AWS_PROFILE", "does-not-exist")
	_, err := signout.New()
	require.NoError(t, err)

	_, err = signout.New(signout.WithProfile("does-not-exist"))
	require.ErrorIs(t, err, signout.ErrInvalidOption, "with WithProfile it does read, and says so")
}

func TestWithProfile(t *testing.T) {
	srv := signouttest.NewServer(signouttest.TLS(), signouttest.Region("eu-west-2"))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, srv.CertificatePEM(), 0o600))
	cfg := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[profile dev]\nregion = eu-west-2\nendpoint_url = "+srv.URL+"\nca_bundle = "+ca+"\n"+
		"[profile badca]\nca_bundle = "+filepath.Join(dir, "missing.pem")+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CA_BUNDLE", "")

	c, err := signout.New(signout.WithProfile("dev"))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"), "the profile's endpoint_url and ca_bundle were used")

	_, err = signout.New(signout.WithProfile("badca"))
	require.ErrorIs(t, err, signout.ErrInvalidOption)
	assert.Equal(t, "WithProfile", asError(t, err).Op, "the CA bundle came from the profile")

	t.Setenv("AWS_CA_BUNDLE", filepath.Join(dir, "missing.pem"))
	_, err = signout.New()
	assert.Equal(t, "AWS_CA_BUNDLE", asError(t, err).Op)
}

// countingTransport counts the requests an application's own client sends.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestWithAWSConfig(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	counting := &countingTransport{base: tr}
	cfg := aws.Config{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		HTTPClient:       &http.Client{Transport: counting},
		RetryMaxAttempts: 2,
		RetryMode:        aws.RetryModeAdaptive,
	}
	c, err := signout.New(signout.WithAWSConfig(cfg), signout.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	require.NoError(t, c.SignOut(context.Background(), srv.SignIn("alice").AccessToken))
	assert.Equal(t, int32(1), counting.n.Load(), "the config's HTTP client carried the request")

	srv.InjectFault("GlobalSignOut", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded"})
	err = c.SignOut(context.Background(), srv.SignIn("bob").AccessToken)
	require.ErrorIs(t, err, signout.ErrThrottled)
	assert.Equal(t, 3, srv.Requests("GlobalSignOut"), "the config's RetryMaxAttempts (2) applied")

	c, err = signout.New(signout.WithAWSConfig(cfg), signout.WithRetryMaxAttempts(1))
	require.NoError(t, err)
	require.ErrorIs(t, c.SignOut(context.Background(), srv.SignIn("carol").AccessToken), signout.ErrThrottled)
	assert.Equal(t, 4, srv.Requests("GlobalSignOut"), "an explicit option beats the config")
}

// FuzzAppClientRules: WithAppClient accepts exactly what Cognito's patterns
// for an app client id and a client secret accept, the patterns the option
// used before it checked with a loop.
func FuzzAppClientRules(f *testing.F) {
	idRE := regexp.MustCompile(`^[\w+]{1,128}$`)
	secretRE := regexp.MustCompile(`^[\w+]{16,128}$`)
	for _, s := range [][2]string{
		{"", ""}, {"abc", ""}, {"a+b_C9", "0123456789abcdef"}, {"abc", "0123456789abcde"},
		{strings.Repeat("a", 128), strings.Repeat("b", 128)}, {strings.Repeat("a", 129), strings.Repeat("b", 129)},
		{"a b", ""}, {"a-b", ""}, {"abc\n", ""}, {"é", ""}, {"a-b", "0123456789abcdef\n"}, {"abc", "0123456789abcde/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, id, secret string) {
		_, err := signout.New(signout.WithCognitoAPI(&mockAPI{}), signout.WithAppClient(id, secret))
		want := idRE.MatchString(id) && (secret == "" || secretRE.MatchString(secret))
		if want {
			assert.NoError(t, err, "id %q secret %q", id, secret)
		} else {
			assert.ErrorIs(t, err, signout.ErrInvalidOption, "id %q secret %q", id, secret)
		}
	})
}
