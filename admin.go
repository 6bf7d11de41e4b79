package signout

import (
	"context"
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/redact"
)

const opAdminSignOut = "AdminUserGlobalSignOut"

// AdminSigner signs a user out by user name; *Client implements it.
type AdminSigner interface {
	AdminSignOut(ctx context.Context, userPoolID, username string) error
}

// AdminAPI is the part of the SDK client AdminSignOut calls.
type AdminAPI interface {
	AdminUserGlobalSignOut(ctx context.Context, in *cip.AdminUserGlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
}

var (
	_ AdminSigner = (*Client)(nil)
	_ AdminAPI    = (*cip.Client)(nil)
)

// userPoolRE is Cognito's user pool id: REGION_ID.
var userPoolRE = regexp.MustCompile(`^([\w-]+)_[0-9a-zA-Z]+$`)

// AdminSignOut signs username out of every device of the pool userPoolID
// (AdminUserGlobalSignOut), for incident response or after a password
// reset. Unlike SignOut it is authorized with IAM, so it needs AWS
// credentials with cognito-idp:AdminUserGlobalSignOut. They are loaded on
// the first call, not by New: from WithAWSConfig's config, else the default
// chain (environment, WithProfile's or the default profile, then the
// instance role). The region is WithRegion's, else the pool id's.
// ErrNoCredentials means none were found; ErrUserNotFound and
// ErrResourceNotFound name a wrong user or pool; ErrForbidden an IAM refusal.
func (c *Client) AdminSignOut(ctx context.Context, userPoolID, username string) error {
	m := userPoolRE.FindStringSubmatch(userPoolID)
	if m == nil || len(userPoolID) > 55 {
		return c.finish(ctx, opAdminSignOut, &Error{Op: opAdminSignOut, Kind: ErrInvalidParameter,
			Message: fmt.Sprintf("%q is not a user pool id", userPoolID)})
	}
	if !validUsername(username) {
		return c.finish(ctx, opAdminSignOut, &Error{Op: opAdminSignOut, Kind: ErrInvalidParameter,
			Message: "user name must be 1 to 128 printable characters"})
	}
	api, err := c.adminAPI(ctx)
	if err != nil {
		return c.finish(ctx, opAdminSignOut, &Error{Op: opAdminSignOut, Kind: ErrNoCredentials,
			Message: redact.String(err.Error()), cause: redact.Error(err)})
	}
	in := &cip.AdminUserGlobalSignOutInput{UserPoolId: &userPoolID, Username: &username}
	return c.do(ctx, opAdminSignOut, m[1], nil, func(ctx context.Context, optFns ...func(*cip.Options)) error {
		_, err := api.AdminUserGlobalSignOut(ctx, in, optFns...)
		return err
	})
}

func validUsername(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 128 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// adminAPI returns an SDK client like the Client's own but with
// credentials, building it on first use; a failure is not kept, so a later
// call tries again. With WithAPI it is that API, if it has the method.
func (c *Client) adminAPI(ctx context.Context) (AdminAPI, error) {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.admin != nil {
		return c.admin, nil
	}
	sdk, ok := c.api.(*cip.Client)
	if !ok {
		api, ok := c.api.(AdminAPI)
		if !ok {
			return nil, fmt.Errorf("the API given to WithAPI has no AdminUserGlobalSignOut method")
		}
		c.admin = api
		return api, nil
	}
	creds, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	c.admin = cip.New(sdk.Options(), func(o *cip.Options) { o.Credentials = creds })
	return c.admin, nil
}

// credentials finds AWS credentials and checks that they can be retrieved,
// so that their absence is reported as such rather than as a signing error.
func (c *Client) credentials(ctx context.Context) (aws.CredentialsProvider, error) {
	var creds aws.CredentialsProvider
	if c.awsConfig != nil && c.awsConfig.Credentials != nil {
		creds = c.awsConfig.Credentials
	} else {
		var opts []func(*config.LoadOptions) error
		if c.profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(c.profile))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("loading AWS config: %w", err)
		}
		creds = cfg.Credentials
	}
	if creds == nil {
		return nil, fmt.Errorf("no credentials provider")
	}
	cache := aws.NewCredentialsCache(creds)
	if _, err := cache.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	return cache, nil
}
