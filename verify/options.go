package verify

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognitogo/signout"
)

// Defaults, in one place; the options' docs repeat them.
const (
	defaultLeeway          = 30 * time.Second
	defaultCacheSize       = 10_000
	defaultRefreshInterval = time.Minute
)

// Option configures New.
type Option func(*options)

type options struct {
	pools           []poolOption
	endpoint        string
	httpClient      *http.Client
	uses            []string
	scopes          []string
	groups          []string
	leeway          time.Duration
	revocations     RevocationStore
	cacheSize       int
	refreshInterval time.Duration
	err             error // the first invalid option
}

type poolOption struct {
	issuer  string
	clients []string
}

func defaultOptions() options {
	return options{
		uses:            []string{"access"},
		leeway:          defaultLeeway,
		cacheSize:       defaultCacheSize,
		refreshInterval: defaultRefreshInterval,
	}
}

func (o *options) fail(option, msg string) {
	if o.err == nil {
		o.err = &signout.Error{Op: option, Kind: signout.ErrInvalidOption, Message: msg}
	}
}

// WithPool accepts tokens of the user pool whose tokens carry issuer as iss
// (https://cognito-idp.REGION.amazonaws.com/POOL_ID) for the given app
// clients: an access token's client_id, or an ID token's aud, must be one of
// them. At least one WithPool is required; repeat it for more pools.
func WithPool(issuer string, clientIDs ...string) Option {
	return func(o *options) {
		u, err := url.Parse(issuer)
		switch {
		case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
			o.fail("WithPool", "issuer must be an https URL such as https://cognito-idp.REGION.amazonaws.com/POOL_ID")
			return
		case poolID(issuer) == "":
			o.fail("WithPool", "issuer must end with the user pool id")
			return
		case len(clientIDs) == 0:
			o.fail("WithPool", "no app client id: name the clients whose tokens are accepted")
			return
		}
		for _, id := range clientIDs {
			if id == "" {
				o.fail("WithPool", "empty app client id")
				return
			}
		}
		o.pools = append(o.pools, poolOption{issuer: issuer, clients: clientIDs})
	}
}

// WithEndpoint fetches every pool's JWKS from
// endpoint/POOL_ID/.well-known/jwks.json instead of from its issuer, as a
// Cognito emulator serves it (moto, signouttest.Server: pass its URL). The
// endpoint is an http:// or https:// URL without user info, query or
// fragment: the JWKS URL appears in errors, so it must hold no secret.
func WithEndpoint(endpoint string) Option {
	return func(o *options) {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			o.fail("WithEndpoint", "endpoint must be an http:// or https:// URL")
			return
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			o.fail("WithEndpoint", "a query, fragment or user info is not allowed")
			return
		}
		o.endpoint = strings.TrimSuffix(endpoint, "/")
	}
}

// WithHTTPClient fetches JWKS with c. The default client times out after
// 10 seconds, refuses redirects and keeps no idle connections.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c == nil {
			o.fail("WithHTTPClient", "nil *http.Client")
			return
		}
		o.httpClient = c
	}
}

// WithTokenUse sets which tokens are accepted by their token_use claim:
// "access", "id" or both. The default is "access": an API takes access
// tokens.
func WithTokenUse(uses ...string) Option {
	return func(o *options) {
		if len(uses) == 0 {
			o.fail("WithTokenUse", `name "access", "id" or both`)
			return
		}
		for _, u := range uses {
			if u != "access" && u != "id" {
				o.fail("WithTokenUse", `token use must be "access" or "id"`)
				return
			}
		}
		o.uses = uses
	}
}

// WithScopes requires every token to carry all of scopes in its scope
// claim; a token without one is refused with signout.ErrMissingScope. ID
// tokens carry no scope.
func WithScopes(scopes ...string) Option {
	return func(o *options) {
		for _, s := range scopes {
			if s == "" || strings.ContainsAny(s, " \t\n") {
				o.fail("WithScopes", "a scope is one non-empty word")
				return
			}
		}
		o.scopes = append(o.scopes, scopes...)
	}
}

// WithGroups requires every token to list all of groups in its
// cognito:groups claim; a token without one is refused with
// signout.ErrMissingScope.
func WithGroups(groups ...string) Option {
	return func(o *options) {
		for _, g := range groups {
			if g == "" {
				o.fail("WithGroups", "empty group name")
				return
			}
		}
		o.groups = append(o.groups, groups...)
	}
}

// WithLeeway sets how far exp and iat may be off the local clock, from 0 to
// 5 minutes: a token stays valid for this long after its exp. The default is
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

// WithRevocations checks every token, cached or not, against r, such as a
// revocation.Store or a redisstore.Store. Without it no token is refused as
// revoked.
func WithRevocationStore(r RevocationStore) Option {
	return func(o *options) {
		if r == nil {
			o.fail("WithRevocationStore", "nil RevocationStore")
			return
		}
		o.revocations = r
	}
}

// WithCacheSize sets how many verified tokens are remembered (keyed by the
// SHA-256 of the whole token, each until its exp); 0 checks every token's
// signature every time. The default is 10,000.
func WithCacheSize(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.fail("WithCacheSize", "negative cache size")
			return
		}
		o.cacheSize = n
	}
}

// WithRefreshInterval sets the least time between two JWKS fetches of a
// pool caused by a token signed with an unknown key; such a token is
// refused without a fetch until then. The default is one minute.
func WithRefreshInterval(d time.Duration) Option {
	return func(o *options) {
		if d < 0 {
			o.fail("WithRefreshInterval", "negative interval")
			return
		}
		o.refreshInterval = d
	}
}

// poolID returns the last path segment of issuer, or "" when it has none.
func poolID(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	p := strings.Trim(u.Path, "/")
	if p == "" || strings.Contains(p, "/") {
		return ""
	}
	return p
}
