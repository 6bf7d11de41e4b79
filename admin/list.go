package admin

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognitogo/signout/internal/token"
)

// pageSize is ListUsers' largest page.
const pageSize = 60

// lister reads the users of a pool, or those a filter selects, one
// ListUsers page at a time, at the pace of Cognito's UserList quota.
type lister struct {
	c                    *Client
	pool, region, filter string
	pace                 *pacer
}

// page reads the page that pageToken names ("" for the first one), retrying
// throttled requests and faults that may pass. It returns the page's users
// and the token of the next page, "" after the last one.
func (l *lister) page(ctx context.Context, pageToken string) ([]pending, string, error) {
	in := &cip.ListUsersInput{UserPoolId: &l.pool, Limit: aws.Int32(pageSize), AttributesToGet: []string{"sub"}}
	if l.filter != "" {
		in.Filter = &l.filter
	}
	if pageToken != "" {
		in.PaginationToken = &pageToken
	}
	var out *cip.ListUsersOutput
	e := l.pace.call(ctx, func() error {
		return l.c.run.Run(ctx, opListUsers, token.Issuer{Region: l.region, PoolID: l.pool}, nil, func(ctx context.Context, optFns ...func(*cip.Options)) error {
			var err error
			out, err = l.c.api.ListUsers(ctx, in, withAttempts(optFns, 1)...)
			return err
		})
	})
	if e != nil {
		return nil, "", e
	}
	users := make([]pending, 0, len(out.Users))
	for _, u := range out.Users {
		p := pending{Username: aws.ToString(u.Username)}
		for _, a := range u.Attributes {
			if aws.ToString(a.Name) == "sub" {
				p.Sub = aws.ToString(a.Value)
			}
		}
		users = append(users, p)
	}
	return users, aws.ToString(out.PaginationToken), nil
}
