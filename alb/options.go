package alb

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

// SessionCookie is the name an Application Load Balancer gives its session
// cookie unless its authenticate action sets SessionCookieName. The cookie
// is sent in shards named SessionCookie-0, SessionCookie-1, ...
const SessionCookie = "AWSELBAuthSessionCookie"

// Defaults, in one place; the options' docs repeat them.
const (
	defaultLeeway        = 30 * time.Second
	defaultFetchInterval = 15 * time.Second
	// fetchBurst is how many key fetches may follow one another before
	// the fetch interval applies: enough for a process that starts during
	// a key rotation, when requests carry two unknown kids.
	fetchBurst = 4
	// fetchTimeout bounds one key fetch with the default HTTP client.
	fetchTimeout = 10 * time.Second
	// maxDataSize bounds an x-amzn-oidc-data value: the load balancer
	// refuses user claims and access token above 11 KiB together.
	maxDataSize = 32 << 10
)

// Option configures New.
type Option func(*options)

type options struct {
	arns          []string
	keyEndpoint   string
	httpClient    *http.Client
	leeway        time.Duration
	fetchInterval time.Duration
	sessionCookie string
	err           error // the first invalid option
}

func defaultOptions() options {
	return options{leeway: defaultLeeway, fetchInterval: defaultFetchInterval, sessionCookie: SessionCookie}
}

func (o *options) fail(option, msg string) {
	if o.err == nil {
		o.err = &signout.Error{Op: option, Kind: signout.ErrInvalidOption, Message: msg}
	}
}

// arnPattern is an Application Load Balancer's ARN: partition, region,
// account and the app load balancer's name and id.
var arnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-[0-9]+):[0-9]{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)

// WithLoadBalancer accepts tokens signed by the Application Load Balancer
// whose ARN is arn (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID):
// a token's signer header must equal one of them, exactly, before any key
// is fetched. At least one is required; repeat it for more. The keys of a
// load balancer are fetched from its region's key endpoint
// (https://public-keys.auth.elb.REGION.amazonaws.com; in AWS GovCloud
// (US), https://s3-REGION.amazonaws.com/aws-elb-public-keys-prod-REGION);
// a load balancer of another partition needs WithKeyEndpoint.
func WithLoadBalancer(arn string) Option {
	return func(o *options) {
		if !arnPattern.MatchString(arn) {
			o.fail("WithLoadBalancer", "not an Application Load Balancer's ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID)")
			return
		}
		o.arns = append(o.arns, arn)
	}
}

// keyEndpoint returns the documented key endpoint of the region an ARN
// names, or "" for a partition without one.
func keyEndpoint(arn string) string {
	m := arnPattern.FindStringSubmatch(arn)
	switch partition, region := m[1], m[2]; partition {
	case "aws":
		return "https://public-keys.auth.elb." + region + ".amazonaws.com"
	case "aws-us-gov":
		return "https://s3-" + region + ".amazonaws.com/aws-elb-public-keys-prod-" + region
	}
	return ""
}

// WithKeyEndpoint fetches every load balancer's public keys from
// endpoint/KID instead of from its region's endpoint, as
// signouttest.ALB serves them (pass its KeyURL). The endpoint is an
// http:// or https:// URL without user info, query or fragment.
func WithKeyEndpoint(endpoint string) Option {
	return func(o *options) {
		u, err := url.Parse(endpoint)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			o.fail("WithKeyEndpoint", "endpoint must be an http:// or https:// URL")
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
			o.fail("WithKeyEndpoint", "a query, fragment or user info is not allowed")
		default:
			o.keyEndpoint = strings.TrimSuffix(endpoint, "/")
		}
	}
}

// WithHTTPClient fetches keys with c. The default client times out after
// 10 seconds, refuses redirects and keeps no idle connections; with c, a
// redirect is still refused (c is copied with a CheckRedirect that follows
// none).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c == nil {
			o.fail("WithHTTPClient", "nil *http.Client")
			return
		}
		o.httpClient = c
	}
}

// WithLeeway sets how far exp may be off the local clock, from 0 to 5
// minutes: a token stays valid for this long after its exp. The default is
// 30 seconds.
func WithLeeway(d time.Duration) Option {
	return func(o *options) {
		if d < 0 || d > 5*time.Minute {
			o.fail("WithLeeway", "leeway must be between 0 and 5 minutes")
			return
		}
		o.leeway = d
	}
}

// WithFetchInterval limits the fetches of keys the Verifier does not know
// yet: 4 may follow one another, then one per d. A token whose key would
// need a fetch beyond that is refused with signout.ErrThrottled, not
// as invalid, so that the middleware answers 503 and the browser retries.
// A known key is never fetched again. The default is 15 seconds.
func WithFetchInterval(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.fail("WithFetchInterval", "not a positive duration")
			return
		}
		o.fetchInterval = d
	}
}

// WithSessionCookie names the load balancer's session cookie, as its
// authenticate action's SessionCookieName does; the default is
// SessionCookie. The middleware expires its shards when it refuses a
// session, so that the load balancer signs the user in again.
func WithSessionCookie(name string) Option {
	return func(o *options) {
		if name == "" || (&http.Cookie{Name: name + "-0", Value: "x"}).Valid() != nil {
			o.fail("WithSessionCookie", "not a cookie name")
			return
		}
		o.sessionCookie = name
	}
}
