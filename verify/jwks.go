package verify

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cognitogo/signout"
)

// maxJWKSBody bounds a JWKS answer; Cognito's is under 1 KiB.
const maxJWKSBody = 1 << 20

// minKeyBits refuses RSA keys weaker than Cognito's.
const minKeyBits = 2048

// errUnknownKey means the kid is not in the pool's JWKS, even after a fetch
// or while a fetch is not allowed yet.
var errUnknownKey = errors.New("unknown key")

// keySet is one pool's JWKS: fetched on first use, then again only for an
// unknown kid, at most once per interval. Lookups of known keys take no lock.
type keySet struct {
	url      string
	client   *http.Client
	interval time.Duration
	now      func() time.Time

	keys atomic.Pointer[map[string]*rsa.PublicKey]

	mu        sync.Mutex
	fetching  chan struct{} // closed when the fetch in flight ends
	lastErr   error         // the last fetch's failure, until nextFetch
	nextFetch time.Time     // no fetch for an unknown kid before this
}

func (k *keySet) lookup(kid string) *rsa.PublicKey {
	if m := k.keys.Load(); m != nil {
		return (*m)[kid]
	}
	return nil
}

// key returns the key named kid, fetching the JWKS when kid is unknown and a
// fetch is allowed. Callers arriving during a fetch wait for it and share its
// outcome.
func (k *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if key := k.lookup(kid); key != nil {
		return key, nil
	}
	k.mu.Lock()
	for k.fetching != nil {
		done := k.fetching
		k.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, contextError(ctx.Err())
		}
		if key := k.lookup(kid); key != nil {
			return key, nil
		}
		k.mu.Lock()
	}
	if k.now().Before(k.nextFetch) {
		err := k.lastErr
		k.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, errUnknownKey
	}
	done := make(chan struct{})
	k.fetching = done
	k.mu.Unlock()

	keys, err := k.fetch(ctx)

	k.mu.Lock()
	now := k.now()
	switch {
	case err == nil:
		k.keys.Store(&keys)
		k.lastErr, k.nextFetch = nil, now.Add(k.interval)
	case ctx.Err() != nil:
		// This caller gave up; the next one may fetch at once.
		k.lastErr, k.nextFetch = nil, now
	default:
		// Keep a failing JWKS endpoint from being asked on every request,
		// without locking the pool out for a whole interval.
		k.lastErr, k.nextFetch = err, now.Add(min(k.interval, time.Second))
	}
	k.fetching = nil
	close(done)
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if key := keys[kid]; key != nil {
		return key, nil
	}
	return nil, errUnknownKey
}

func (k *keySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, jwksError(signout.ErrService, "cannot request "+k.url)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, k.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, jwksError(signout.ErrService, fmt.Sprintf("%s answered HTTP %d", k.url, resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, transportError(ctx, k.url, err)
	}
	if len(body) > maxJWKSBody {
		return nil, jwksError(signout.ErrService, k.url+" answered more than 1 MiB")
	}
	return parseJWKS(body, k.url)
}

// parseJWKS keeps the RS256 signing keys of a JWKS; keys of other kinds,
// and keys go-jose cannot read, are skipped rather than failing the set.
func parseJWKS(body []byte, url string) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, jwksError(signout.ErrService, url+" answered a body that is not a JWKS")
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if !ok || jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") ||
			(jwk.Algorithm != "" && jwk.Algorithm != string(jose.RS256)) || pub.N.BitLen() < minKeyBits {
			continue
		}
		keys[jwk.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, jwksError(signout.ErrService, url+" holds no RS256 key of 2048 bits or more")
	}
	return keys, nil
}

func jwksError(kind error, msg string) error {
	return &signout.Error{Op: "Verify", Kind: kind, Message: "fetching JWKS: " + msg}
}

func transportError(ctx context.Context, url string, err error) error {
	if ctx.Err() != nil {
		return contextError(ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return jwksError(signout.ErrTimeout, url+" timed out")
	}
	return jwksError(signout.ErrNetwork, url+" could not be reached")
}

func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &signout.Error{Op: "Verify", Kind: signout.ErrTimeout, Message: "context deadline exceeded"}
	}
	return &signout.Error{Op: "Verify", Kind: context.Canceled, Message: "context canceled"}
}

// defaultHTTPClient keeps no idle connections: JWKS is fetched once per
// process and pool, so a kept-alive connection would only hold a goroutine.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: fetchTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DisableKeepAlives:     true,
			TLSHandshakeTimeout:   fetchTimeout / 2,
			ResponseHeaderTimeout: fetchTimeout / 2,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
