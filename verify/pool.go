package verify

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/jwks"
	"github.com/cognitogo/signout/internal/token"
)

// pool is a user pool whose tokens are accepted.
type pool struct {
	id      string
	clients []string
	keys    *jwks.Set
}

// poolConfig gathers what the options say of one pool, by its id.
type poolConfig struct {
	id       string
	clients  []string
	primary  string   // the region the id begins with; "" for a pool given only by a non-Cognito URL
	replicas []string // other regions of the pool
	urls     []string // issuer URLs accepted as they are
}

// poolArg reads WithPool's argument: a pool id, or an issuer URL. It
// returns the pool's id, its primary region when it is a Cognito pool, a
// replica region named by an ORIGINAL issuer URL, and the URL to accept as
// it is otherwise.
func poolArg(arg string) (id, primary, replica, exact, problem string) {
	if token.IsPoolID(arg) {
		region, ok := token.PoolRegion(arg)
		if !ok {
			return "", "", "", "", "the user pool id does not begin with its region; give its issuer URL"
		}
		return arg, region, "", "", ""
	}
	u, err := url.Parse(arg)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", "", "", "", "not a user pool id, nor an https issuer URL such as https://cognito-idp.REGION.amazonaws.com/POOL_ID"
	}
	if iss, ok := token.ParseIssuer(arg); ok {
		if region, ok := token.PoolRegion(iss.PoolID); ok {
			switch {
			case iss.Region == region:
				return iss.PoolID, region, "", "", ""
			case iss.Updated:
				return "", "", "", "", "an UPDATED issuer names the pool's primary region, which its id begins with"
			default:
				return iss.PoolID, region, iss.Region, "", ""
			}
		}
	}
	id = strings.Trim(u.Path, "/")
	if !token.IsPoolID(id) {
		return "", "", "", "", "the issuer URL must end with the user pool id"
	}
	return id, "", "", arg, ""
}

// buildPools resolves the pool options into the pools and the issuers each
// is accepted under.
func (o *options) buildPools(client *http.Client, now func() time.Time) ([]*pool, map[string]*pool, error) {
	if len(o.pools) == 0 {
		return nil, nil, &signout.Error{Op: "WithPool", Kind: signout.ErrInvalidOption, Message: "no user pool: New needs WithPool"}
	}
	for id, regions := range o.replicas {
		pc := o.pools[id]
		if pc == nil || pc.primary == "" {
			return nil, nil, &signout.Error{Op: "WithReplicaRegions", Kind: signout.ErrInvalidOption,
				Message: "the user pool is not given to WithPool by its id or Cognito issuer URL"}
		}
		for _, r := range regions {
			if r != pc.primary && !slices.Contains(pc.replicas, r) {
				pc.replicas = append(pc.replicas, r)
			}
		}
	}
	var pools []*pool
	issuers := map[string]*pool{}
	for _, id := range o.poolOrder {
		pc := o.pools[id]
		var accepted, urls []string
		if pc.primary != "" {
			for _, region := range append([]string{pc.primary}, pc.replicas...) {
				original := token.Issuer{Region: region, PoolID: id}.String()
				updated := token.Issuer{Region: region, PoolID: id, Updated: true}.String()
				accepted = append(accepted, original)
				if region == pc.primary {
					accepted = append(accepted, updated)
				}
				urls = append(urls, original+jwks.WellKnown, updated+jwks.WellKnown)
			}
		}
		for _, u := range pc.urls {
			accepted = append(accepted, u)
			urls = append(urls, u+jwks.WellKnown)
		}
		if o.endpoint != "" {
			urls = []string{o.endpoint + "/" + id + jwks.WellKnown}
		}
		p := &pool{id: id, clients: pc.clients,
			keys: jwks.New(jwks.Config{URLs: urls, Client: client, Interval: o.refreshInterval, Now: now})}
		pools = append(pools, p)
		for _, iss := range accepted {
			issuers[iss] = p
		}
	}
	return pools, issuers, nil
}

// keyError maps a failure of the pool's keys to an *signout.Error.
func keyError(err error) error {
	e, ok := err.(*jwks.Error)
	if !ok {
		return &signout.Error{Op: "Verify", Kind: signout.ErrService, Message: "checking the signature failed"}
	}
	var kind error
	switch e.Kind {
	case jwks.Invalid, jwks.UnknownKey:
		kind = signout.ErrInvalidToken
	case jwks.Network:
		kind = signout.ErrNetwork
	case jwks.Timeout:
		kind = signout.ErrTimeout
	case jwks.Canceled:
		kind = context.Canceled
	default:
		kind = signout.ErrService
	}
	return &signout.Error{Op: "Verify", Kind: kind, Message: e.Reason, Err: e.Err}
}
