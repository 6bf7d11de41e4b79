// Package moto starts moto_server, a Cognito emulator, once per test binary
// for integration tests, and makes pools and users in it.
package moto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognitogo/signout/internal/testenv"
	"github.com/cognitogo/signout/internal/transport"
)

// Region is where pools are made: moto serves unsigned requests, such as
// GlobalSignOut, from its us-east-1 backend.
const Region = "us-east-1"

// shared is the moto_server of this test binary.
var shared struct {
	mu  sync.Mutex
	url string
}

// Start returns the URL of a moto_server on a free loopback port. The first
// test that calls it starts moto_server, the package's other tests share
// it (each makes its own pool), and it stops when the package's tests are
// over, so TestMain must use [testenv.Main]. Without moto_server Start
// skips the test, or fails it when SIGNOUT_REQUIRE_MOTO is "1" (see
// [testenv.Part.Find]).
func Start(t testing.TB) string {
	t.Helper()
	bin := testenv.Moto.Find(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.url != "" {
		return shared.url
	}
	// The port is free when chosen, but another listener may take it
	// before moto_server, slow to start, binds it: then moto_server exits,
	// and it is started again on another port.
	var url string
	var stop func()
	for attempt := 1; ; attempt++ {
		var err error
		url, stop, err = start(bin)
		if err == nil {
			break
		}
		if err != errExited || attempt == 3 {
			t.Fatalf("%v (attempt %d)", err, attempt)
		}
	}
	if !testenv.AtEnd(stop) {
		stop()
		t.Fatalf("moto.Start: TestMain must use testenv.Main, which stops the shared moto_server")
	}
	shared.url = url
	return url
}

// errExited is start's error when moto_server exits before answering.
var errExited = errors.New("moto_server exited before answering")

// start runs bin until stop is called and waits until it answers.
func start(bin string) (url string, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop = func() {
		cmd.Process.Kill()
		<-exited
	}
	url = "http://127.0.0.1:" + strconv.Itoa(port)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Only moto_server answers 200 here: another server that took the
		// port is not taken for it.
		resp, err := hc.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, stop, nil
			}
		}
		select {
		case <-exited:
			return "", nil, errExited
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("moto_server did not answer on %s within 30s: %v", url, err)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Admin returns an SDK client for moto's admin calls, with fake credentials.
// It sends through the library's Doer, as signouttest's Server.Client does,
// so that net/http does not read a request body smithy-go has closed.
func Admin(t testing.TB, url string) *cip.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return cip.New(cip.Options{
		Region:       Region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		HTTPClient:   transport.NewDoer(&http.Client{Transport: tr, Timeout: 10 * time.Second}, 0, nil),
	})
}

// Pool is a user pool with an app client that allows password and refresh
// sign-in.
type Pool struct {
	ID, ClientID string
	admin        *cip.Client
}

// NewPool creates a pool and its app client.
func NewPool(t testing.TB, admin *cip.Client) *Pool {
	t.Helper()
	ctx := context.Background()
	p, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("signout-test")})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	c, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: p.UserPool.Id,
		ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	return &Pool{ID: *p.UserPool.Id, ClientID: *c.UserPoolClient.ClientId, admin: admin}
}

// Tokens are a signed-in user's tokens.
type Tokens struct{ Access, Refresh string }

// SignIn creates username (once) and signs it in with a password.
func (p *Pool) SignIn(t testing.TB, username string) Tokens {
	t.Helper()
	ctx := context.Background()
	const password = "Correct-Horse-9"
	_, err := p.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &p.ID, Username: &username})
	var exists *types.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := p.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &p.ID, Username: &username, Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	out, err := p.admin.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &p.ClientID,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	return Tokens{Access: *out.AuthenticationResult.AccessToken, Refresh: *out.AuthenticationResult.RefreshToken}
}

// Refresh tries REFRESH_TOKEN_AUTH with rt.
func (p *Pool) Refresh(rt string) error {
	_, err := p.admin.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: &p.ClientID,
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt},
	})
	return err
}

// GetUser calls GetUser with an access token.
func (p *Pool) GetUser(access string) error {
	_, err := p.admin.GetUser(context.Background(), &cip.GetUserInput{AccessToken: &access})
	return err
}

// SignOutForTest signs the owner of access out with the SDK, for tests that
// need an already revoked token.
func (p *Pool) SignOutForTest(t testing.TB, access string) {
	t.Helper()
	if _, err := p.admin.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: &access}); err != nil {
		t.Fatalf("GlobalSignOut: %v", err)
	}
}
