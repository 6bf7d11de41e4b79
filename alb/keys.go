package alb

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/cognitogo/signout"
)

// maxKeyBody bounds a key endpoint's answer: a P-256 public key in PEM is
// 178 bytes.
const maxKeyBody = 4 << 10

// maxKeys bounds the keys kept. The load balancers of a region sign with
// one key at a time; a few more cover rotations and other regions.
const maxKeys = 64

// errUnknownKey means the key endpoint has no key by that kid.
var errUnknownKey = errors.New("unknown key")

// keyID is where a key is fetched from: an endpoint and a kid.
type keyID struct{ endpoint, kid string }

// keys fetches the load balancers' public keys by kid and keeps them. A
// kid names one key for good, so a key once fetched is never fetched
// again. Known keys are read without a lock.
type keys struct {
	client  *http.Client
	limiter *rate.Limiter

	known atomic.Pointer[map[keyID]*ecdsa.PublicKey]

	mu       sync.Mutex
	order    []keyID                 // insertion order, for eviction
	fetching map[keyID]chan struct{} // closed when the fetch in flight ends
}

func newKeys(client *http.Client, limiter *rate.Limiter) *keys {
	k := &keys{client: client, limiter: limiter, fetching: map[keyID]chan struct{}{}}
	k.known.Store(&map[keyID]*ecdsa.PublicKey{})
	return k
}

func (k *keys) lookup(id keyID) *ecdsa.PublicKey { return (*k.known.Load())[id] }

// get returns the key id names, fetching it when it is not known. Callers
// asking for a key being fetched wait for that fetch. Each fetch takes a
// token of the limiter when it starts, whatever becomes of its caller, so
// the limit holds however callers come and go.
func (k *keys) get(ctx context.Context, id keyID) (*ecdsa.PublicKey, error) {
	if key := k.lookup(id); key != nil {
		return key, nil
	}
	k.mu.Lock()
	for k.fetching[id] != nil {
		done := k.fetching[id]
		k.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, contextError(ctx.Err())
		}
		if key := k.lookup(id); key != nil {
			return key, nil
		}
		k.mu.Lock()
	}
	if key := k.lookup(id); key != nil {
		k.mu.Unlock()
		return key, nil
	}
	if !k.limiter.Allow() {
		k.mu.Unlock()
		return nil, &signout.Error{Op: op, Kind: signout.ErrThrottled, Message: "key fetches are limited: the token's key is not known yet"}
	}
	done := make(chan struct{})
	k.fetching[id] = done
	k.mu.Unlock()

	key, err := k.fetch(ctx, id)

	k.mu.Lock()
	if err == nil {
		k.storeLocked(id, key)
	}
	delete(k.fetching, id)
	close(done)
	k.mu.Unlock()
	return key, err
}

// storeLocked publishes a new map with key added, dropping the oldest key
// when maxKeys are kept.
func (k *keys) storeLocked(id keyID, key *ecdsa.PublicKey) {
	old := *k.known.Load()
	m := make(map[keyID]*ecdsa.PublicKey, len(old)+1)
	for i, v := range old {
		m[i] = v
	}
	if len(k.order) >= maxKeys {
		delete(m, k.order[0])
		k.order = k.order[1:]
	}
	m[id] = key
	k.order = append(k.order, id)
	k.known.Store(&m)
}

// fetch asks the endpoint for the PEM of one key.
func (k *keys) fetch(ctx context.Context, id keyID) (*ecdsa.PublicKey, error) {
	url := id.endpoint + "/" + id.kid
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, keyError(signout.ErrService, "cannot request "+url)
	}
	// Asked for explicitly, identity also keeps net/http from asking for
	// gzip and inflating the answer unseen.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		// The endpoint is an S3 bucket: a missing key is 403 or 404.
		return nil, errUnknownKey
	case resp.StatusCode != http.StatusOK:
		return nil, keyError(signout.ErrService, fmt.Sprintf("%s answered HTTP %d", url, resp.StatusCode))
	case resp.Uncompressed || !strings.EqualFold(resp.Header.Get("Content-Encoding"), "identity") && resp.Header.Get("Content-Encoding") != "":
		return nil, keyError(signout.ErrService, url+" answered a compressed body")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyBody+1))
	if err != nil {
		return nil, transportError(ctx, url, err)
	}
	if len(body) > maxKeyBody {
		return nil, keyError(signout.ErrService, fmt.Sprintf("%s answered more than %d bytes", url, maxKeyBody))
	}
	key, err := parseKey(body)
	if err != nil {
		return nil, keyError(signout.ErrService, url+" answered "+err.Error())
	}
	return key, nil
}

// parseKey reads a PEM "PUBLIC KEY" block holding a P-256 ECDSA key, and
// nothing else.
func parseKey(body []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(body)
	if block == nil || block.Type != "PUBLIC KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("no PEM public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, errors.New("a PEM block that is not a public key")
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("a key that is not ECDSA P-256")
	}
	return key, nil
}

func keyError(kind error, msg string) error {
	return &signout.Error{Op: op, Kind: kind, Message: "fetching key: " + msg}
}

func transportError(ctx context.Context, url string, err error) error {
	if ctx.Err() != nil {
		return contextError(ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return keyError(signout.ErrTimeout, url+" timed out")
	}
	return keyError(signout.ErrNetwork, url+" could not be reached")
}

func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &signout.Error{Op: op, Kind: signout.ErrTimeout, Message: "context deadline exceeded", Err: err}
	}
	return &signout.Error{Op: op, Kind: context.Canceled, Message: "context canceled", Err: err}
}

// defaultHTTPClient keeps no idle connections: a key is fetched once per
// kid, so a kept-alive connection would only hold a goroutine.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: fetchTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DisableKeepAlives:     true,
			TLSHandshakeTimeout:   fetchTimeout / 2,
			ResponseHeaderTimeout: fetchTimeout / 2,
		},
	}
}
