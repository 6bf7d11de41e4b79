package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/admin"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/signouttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testenv.Main(m)) }

// fakeSecret is the secret access key of the tests' fake credentials; no
// output may show it.
const fakeSecret = "fakeSecretKeyForTests0123456789abcdefghij"

// awsConfig is a config for an endpoint, with fake static credentials.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDADMINTEST", fakeSecret, "")}
}

// newClient returns a Client for endpoint, such as a stand-in's URL.
func newClient(t *testing.T, endpoint string, opts ...admin.Option) *admin.Client {
	t.Helper()
	c, err := admin.New(awsConfig(endpoint), opts...)
	require.NoError(t, err)
	return c
}

// asError returns err's *signout.Error, failing the test without one.
func asError(t *testing.T, err error) *signout.Error {
	t.Helper()
	var se *signout.Error
	require.ErrorAs(t, err, &se)
	return se
}

// works reports whether the stand-in still accepts an access token.
func works(t *testing.T, srv *signouttest.Server, accessToken string) bool {
	t.Helper()
	_, err := srv.Client().GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	var na *types.NotAuthorizedException
	if errors.As(err, &na) {
		return false
	}
	require.NoError(t, err)
	return true
}

// store is a RevocationStore that records what it is given and, when
// before is set, calls it first; err makes it fail.
type store struct {
	mu      sync.Mutex
	records []signout.Revocation
	before  func(signout.Revocation)
	err     error
}

func (s *store) Revoke(_ context.Context, r signout.Revocation) error {
	if s.before != nil {
		s.before(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.records = append(s.records, r)
	return nil
}

func (s *store) all() []signout.Revocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]signout.Revocation(nil), s.records...)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  aws.Config
		opts []admin.Option
		op   string // of the ErrInvalidOption; "" for success
	}{
		{"defaults", awsConfig("http://127.0.0.1:1"), nil, ""},
		{"no credentials", aws.Config{Region: "us-east-1"}, nil, "aws.Config"},
		{"nil store", awsConfig("http://127.0.0.1:1"), []admin.Option{admin.WithRevocationStore(nil)}, "WithRevocationStore"},
		{"nil logger", awsConfig("http://127.0.0.1:1"), []admin.Option{admin.WithLogger(nil)}, "WithLogger"},
		{"negative timeout", awsConfig("http://127.0.0.1:1"), []admin.Option{admin.WithTimeout(-time.Second)}, "WithTimeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := admin.New(tc.cfg, tc.opts...)
			if tc.op == "" {
				require.NoError(t, err)
				assert.NotNil(t, c)
				return
			}
			assert.ErrorIs(t, err, signout.ErrInvalidOption)
			assert.Equal(t, tc.op, asError(t, err).Op)
		})
	}
}

func TestSignOut(t *testing.T) {
	srv := signouttest.NewServer()
	defer srv.Close()
	alice, bob := srv.SignIn("alice"), srv.SignIn("bob")
	var logs bytes.Buffer
	c := newClient(t, srv.URL, admin.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	require.NoError(t, c.SignOut(context.Background(), srv.UserPoolID, "alice"))
	assert.False(t, works(t, srv, alice.AccessToken), "alice's tokens are refused")
	assert.True(t, works(t, srv, bob.AccessToken), "bob is still signed in")

	err := c.SignOut(context.Background(), srv.UserPoolID, "nobody")
	assert.ErrorIs(t, err, signout.ErrUserNotFound)
	assert.Equal(t, "AdminUserGlobalSignOut", asError(t, err).Op)
	assert.Equal(t, "UserNotFoundException", asError(t, err).Code)

	err = c.SignOut(context.Background(), "us-east-1_Other123", "bob")
	assert.ErrorIs(t, err, signout.ErrResourceNotFound)
	assert.True(t, works(t, srv, bob.AccessToken))
	assert.False(t, redact.Contains(logs.String(), fakeSecret))
}

func TestSignOutRefusesBadInputWithoutARequest(t *testing.T) {
	srv := signouttest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.URL)
	noCreds, err := admin.New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		})})
	require.NoError(t, err)
	tests := []struct {
		name           string
		c              *admin.Client
		pool, username string
		kind           error
	}{
		{"empty pool", c, "", "alice", signout.ErrInvalidParameter},
		{"not a pool id", c, "us-east-1", "alice", signout.ErrInvalidParameter},
		{"a host in the region", c, "evil.example/x_Abc", "alice", signout.ErrInvalidParameter},
		{"empty user name", c, srv.UserPoolID, "", signout.ErrInvalidParameter},
		{"a space in the user name", c, srv.UserPoolID, "al ice", signout.ErrInvalidParameter},
		{"a control character", c, srv.UserPoolID, "al\x00ice", signout.ErrInvalidParameter},
		{"129 characters", c, srv.UserPoolID, strings.Repeat("é", 129), signout.ErrInvalidParameter},
		{"no credentials", noCreds, srv.UserPoolID, "alice", signout.ErrInvalidOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.SignOut(context.Background(), tc.pool, tc.username)
			assert.ErrorIs(t, err, tc.kind)
			assert.Zero(t, asError(t, err).Attempts)
		})
	}
	assert.Zero(t, srv.Requests(""), "nothing was sent")
	err = c.SignOut(context.Background(), srv.UserPoolID, strings.Repeat("é", 128))
	assert.ErrorIs(t, err, signout.ErrUserNotFound, "128 characters are a name, sent to Cognito")
}

func TestSignOutRecordsTheUser(t *testing.T) {
	srv := signouttest.NewServer()
	defer srv.Close()
	srv.AddUser("alice", nil)
	sub := subOf(t, srv, "alice")
	st := &store{}
	c := newClient(t, srv.URL, admin.WithRevocationStore(st))
	before := time.Now()
	require.NoError(t, c.SignOut(context.Background(), srv.UserPoolID, "alice"))

	recs := st.all()
	require.Len(t, recs, 1)
	assert.Equal(t, srv.UserPoolID, recs[0].UserPoolID)
	assert.Equal(t, sub, recs[0].Subject)
	assert.Empty(t, recs[0].OriginJTI)
	assert.WithinRange(t, recs[0].At, before, time.Now())
	assert.Equal(t, recs[0].At.Add(24*time.Hour), recs[0].Expires)

	st.err = errors.New("store down")
	err := c.SignOut(context.Background(), srv.UserPoolID, "alice")
	assert.ErrorIs(t, err, signout.ErrService)
	assert.Equal(t, "RevocationStore", asError(t, err).Op)
}

// subOf returns a user's sub, as ListUsers gives it.
func subOf(t *testing.T, srv *signouttest.Server, username string) string {
	t.Helper()
	out, err := srv.Client().ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: &srv.UserPoolID,
		Filter: aws.String(fmt.Sprintf("username = %q", username))})
	require.NoError(t, err)
	require.Len(t, out.Users, 1)
	for _, a := range out.Users[0].Attributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	t.Fatalf("%s has no sub", username)
	return ""
}

// TestSignOutPastItsDeadline: a sign-out whose context has ended before its
// credentials could be read is a timeout, which a caller retries, not a
// configuration problem: the logout handler answered 204 for it while the
// user's sessions lived on (seen in the soak, with Redis hung and the
// call's budget spent on the record).
func TestSignOutPastItsDeadline(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	err := c.SignOut(ctx, srv.UserPoolID, "alice")
	require.ErrorIs(t, err, signout.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, asError(t, err).Retryable(), "retryable")
	assert.Zero(t, srv.Requests(""), "nothing sent")
}
