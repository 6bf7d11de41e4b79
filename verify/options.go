package verify

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/jwks"
	"github.com/cognitogo/signout/internal/token"
)

// Defaults, in one place; the options' docs repeat them.
const (
	defaultLeeway          = 30 * time.Second
	defaultCacheSize       = 10_000
	defaultRefreshInterval = jwks.DefaultInterval
)

// Option configures New. Options apply in order; an invalid one makes New
// fail with an *signout.Error matching signout.ErrInvalidOption whose Op
// names it.
type Option func(*options)

type options struct {
	pools           map[string]*poolConfig // by pool id
	poolOrder       []string
	replicas        map[string][]string // WithReplicaRegions, by pool id
	endpoint        string
	httpClient      *http.Client
	uses            []string
	requirements    []Requirement
	leeway          time.Duration
	revocations     RevocationStore
	cacheSize       int
	refreshInterval time.Duration
	err             error // the first invalid option
}

func defaultOptions() options {
	return options{
		pools:           map[string]*poolConfig{},
		replicas:        map[string][]string{},
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

// WithPool accepts the tokens of a user pool for the given app clients: an
// access token's client_id, or an ID token's aud, must be one of them. At
// least one WithPool is required; repeat it for more pools or clients.
//
// pool is the user pool id, such as us-east-1_AbC123, as aws-jwt-verify is
// configured: the pool's tokens are accepted under both issuer forms,
// https://cognito-idp.REGION.amazonaws.com/POOL_ID (ORIGINAL, REGION the
// region that issued the token) and
// https://issuer-cognito-idp.PRIMARY.amazonaws.com/POOL_ID (UPDATED), where
// PRIMARY is the region the id begins with; add the regions of the pool's
// replicas with WithReplicaRegions. pool may also be an issuer URL: a
// Cognito issuer URL stands for its pool, as its id would (an ORIGINAL URL
// naming another region adds that region as a replica's); any other https
// URL that ends with the pool id, such as an emulator's, is accepted
// exactly as it is, with its JWKS at URL/.well-known/jwks.json.
func WithPool(pool string, clientIDs ...string) Option {
	return func(o *options) {
		id, primary, replica, exact, problem := poolArg(pool)
		switch {
		case problem != "":
			o.fail("WithPool", problem)
			return
		case len(clientIDs) == 0:
			o.fail("WithPool", "no app client id: name the clients whose tokens are accepted")
			return
		}
		for _, c := range clientIDs {
			if c == "" {
				o.fail("WithPool", "empty app client id")
				return
			}
		}
		pc := o.pools[id]
		if pc == nil {
			pc = &poolConfig{id: id}
			o.pools[id] = pc
			o.poolOrder = append(o.poolOrder, id)
		}
		pc.clients = append(pc.clients, clientIDs...)
		if primary != "" {
			pc.primary = primary
		}
		if replica != "" && !slices.Contains(pc.replicas, replica) {
			pc.replicas = append(pc.replicas, replica)
		}
		if exact != "" {
			pc.urls = append(pc.urls, exact)
		}
	}
}

// WithReplicaRegions names the regions of the replicas of user pool
// userPoolID (Cognito's multi-Region replication), whose tokens are then
// accepted too: under the ORIGINAL issuer form their iss names the
// replica's region. The pool must be given to WithPool, by its id or a
// Cognito issuer URL. Its JWKS is fetched from the host the token's iss
// names, then from the pool's other regions, primary first, when that
// fails. As with the root package's WithReplicaRegions, give it once for
// each replicated pool; a later one for the same pool replaces the
// earlier.
func WithReplicaRegions(userPoolID string, regions ...string) Option {
	return func(o *options) {
		primary, isPool := token.PoolRegion(userPoolID)
		if !isPool {
			o.fail("WithReplicaRegions", "not a user pool id, such as us-east-1_AbC123")
			return
		}
		if len(regions) == 0 {
			o.fail("WithReplicaRegions", "no region")
			return
		}
		for i, r := range regions {
			switch {
			case !token.IsRegion(r):
				o.fail("WithReplicaRegions", "not a region name, such as us-east-1")
				return
			case r == primary:
				o.fail("WithReplicaRegions", "the pool's primary region is not a replica")
				return
			case slices.Contains(regions[:i], r):
				o.fail("WithReplicaRegions", "a region named twice")
				return
			}
		}
		o.replicas[userPoolID] = slices.Clone(regions)
	}
}

// WithEndpoint sends the JWKS requests to endpoint instead of Cognito's
// regional endpoints, as the root package's WithEndpoint sends Cognito's
// calls there: for an emulator, which serves a pool's JWKS at
// endpoint/POOL_ID/.well-known/jwks.json (moto, signouttest.Server: pass
// its URL). Tokens must still carry one of the pool's issuers. It needs an
// http or https scheme and a host, and no query, fragment or user info.
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
// 10 seconds, refuses redirects and keeps no idle connections; whatever the
// client, each request for a JWKS ends within 10 seconds.
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

// WithRequirements requires every token to meet reqs, such as
// AllScopes("orders.read") or Check(f), before the requirements given to
// Verify or Middleware for a call. Repeated, it adds to the list.
func WithRequirements(reqs ...Requirement) Option {
	return func(o *options) {
		for _, r := range reqs {
			if err := r.problem(); err != nil {
				o.fail("WithRequirements", err.Op+": "+err.Message)
				return
			}
		}
		o.requirements = append(o.requirements, reqs...)
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

// WithRevocationStore checks every token, cached or not, against r, such as
// a revocation.Store or a redisstore.Store. Without it no token is refused
// as revoked.
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
// SHA-256 of the whole token, each until its exp, with its claims: about
// 1 KiB each); 0 checks every token's signature every time. The default is
// 10,000.
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
// pool caused by tokens signed with unknown keys; such a token is refused
// without a fetch until then, whatever its caller does. The default is one
// minute.
func WithRefreshInterval(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.fail("WithRefreshInterval", "the interval must be positive")
			return
		}
		o.refreshInterval = d
	}
}
