// Package jwks holds a user pool's signing keys, fetched from its JWKS
// endpoint, and checks a token's RS256 signature with them. It is the one
// place in the module where keys are fetched and signatures checked:
// package verify and the root package both use it.
//
// A Set fetches its JWKS on first use, then again only when a token names a
// key it does not know, at most once per interval. A fetch runs detached
// from the caller that started it, under its own timeout: a caller that
// goes away stops waiting, and the fetch still completes and counts, so no
// caller can make the limit fail.
package jwks

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cognitogo/signout/internal/token"
)

const (
	// DefaultInterval is the least time between two fetches of a Set when
	// Config.Interval is zero.
	DefaultInterval = time.Minute
	// FetchTimeout bounds each request for a JWKS, whatever the caller's
	// context and the HTTP client's own timeout.
	FetchTimeout = 10 * time.Second
	// WellKnown is the path of a JWKS under its issuer URL.
	WellKnown = "/.well-known/jwks.json"
)

const (
	// maxBody bounds a JWKS answer; Cognito's is under 1 KiB.
	maxBody = 1 << 20
	// minKeyBits refuses RSA keys weaker than Cognito's.
	minKeyBits = 2048
	// failureWait is how soon a failed fetch may be tried again, so that a
	// failing endpoint is not asked on every request and a mended one is
	// used soon.
	failureWait = time.Second
)

// Kind says why Verify or Load failed.
type Kind int

// The kinds of Error.
const (
	// Invalid: the token is not signed with RS256, names no key, lists
	// critical header extensions (crit), or its signature does not verify.
	Invalid Kind = iota + 1
	// UnknownKey: no key of the JWKS has the token's kid, after a fetch or
	// while a fetch is not allowed yet.
	UnknownKey
	// Network: the JWKS endpoint could not be reached.
	Network
	// Timeout: the fetch timed out, or the caller's context deadline passed
	// while it waited (Err is then context.DeadlineExceeded).
	Timeout
	// Service: the endpoint answered, but not with a usable JWKS: a status
	// other than 200, a redirect, a body over 1 MiB or not a JWKS, or no
	// RS256 key of 2048 bits or more.
	Service
	// Canceled: the caller's context was canceled while it waited (Err is
	// context.Canceled).
	Canceled
)

// Error is why Verify or Load failed. Reason never quotes the token; it may
// name a JWKS URL.
type Error struct {
	Kind   Kind
	Reason string
	Err    error // the caller's context error, for Timeout and Canceled
}

func (e *Error) Error() string { return e.Reason }

// Unwrap returns the caller's context error, if that was the cause.
func (e *Error) Unwrap() error { return e.Err }

// Config says where a Set fetches its keys and how often.
type Config struct {
	// URLs are the JWKS URLs of one user pool, all serving its keys, tried
	// in order until one answers with a JWKS. The URL that is the token's
	// iss followed by WellKnown, when it is one of them, is tried first.
	URLs []string
	// Client fetches the JWKS; nil means DefaultClient().
	Client *http.Client
	// Interval is the least time between two fetches caused by tokens
	// naming unknown keys; zero means DefaultInterval.
	Interval time.Duration
	// Now is the clock of the limit; nil means time.Now.
	Now func() time.Time
}

// Set is one user pool's signing keys. It is safe for concurrent use; known
// keys are looked up without a lock or a fetch.
type Set struct {
	urls     []string
	client   *http.Client
	interval time.Duration
	now      func() time.Time

	keys atomic.Pointer[map[string]*rsa.PublicKey]

	mu       sync.Mutex
	fetching chan struct{} // closed when the fetch in flight ends
	lastErr  error         // the last fetch's failure, or nil
	next     time.Time     // no new fetch before this
}

// New returns a Set that fetches nothing until it is first used.
func New(c Config) *Set {
	s := &Set{urls: slices.Clone(c.URLs), client: c.Client, interval: c.Interval, now: c.Now}
	if s.client == nil {
		s.client = DefaultClient()
	}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Verify checks t's RS256 signature with the key its kid names, fetching
// the JWKS when that key is not known and a fetch is allowed; callers that
// arrive during a fetch wait for it, each as long as its ctx allows. It
// refuses a token that is not RS256, names no kid or lists crit before
// any fetch. It returns an *Error.
func (s *Set) Verify(ctx context.Context, t *token.Token) error {
	switch {
	case t.Alg != "RS256":
		return &Error{Kind: Invalid, Reason: "token is not signed with RS256"}
	case len(t.Crit) > 0:
		return &Error{Kind: Invalid, Reason: "token header lists critical extensions (crit), which are not understood"}
	case t.Kid == "":
		return &Error{Kind: Invalid, Reason: "token header names no key (kid)"}
	}
	key := s.lookup(t.Kid)
	if key == nil {
		if err := s.refresh(ctx, t.Issuer); err != nil {
			return err
		}
		if key = s.lookup(t.Kid); key == nil {
			return &Error{Kind: UnknownKey, Reason: "token is signed by a key not in the pool's JWKS"}
		}
	}
	// The input is hashed in place: a copy would cost an allocation of the
	// token's size.
	h := sha256.Sum256(unsafe.Slice(unsafe.StringData(t.SigningInput), len(t.SigningInput)))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], t.Signature) != nil {
		return &Error{Kind: Invalid, Reason: "token signature does not verify"}
	}
	return nil
}

// Load fetches the JWKS unless it is loaded, and returns nil once it is. A
// JWKS that failed to load is fetched again at most once a second; until
// then Load returns that failure. It returns an *Error.
func (s *Set) Load(ctx context.Context) error {
	if s.keys.Load() != nil {
		return nil
	}
	return s.refresh(ctx, "")
}

func (s *Set) lookup(kid string) *rsa.PublicKey {
	if m := s.keys.Load(); m != nil {
		return (*m)[kid]
	}
	return nil
}

// refresh waits for a fetch: the one in flight, or one it starts when the
// limit allows. It returns that fetch's failure, or the last one's while no
// fetch is allowed.
func (s *Set) refresh(ctx context.Context, issuer string) error {
	s.mu.Lock()
	done := s.fetching
	if done == nil {
		if s.now().Before(s.next) {
			err := s.lastErr
			s.mu.Unlock()
			return err
		}
		done = make(chan struct{})
		s.fetching = done
		go s.run(context.WithoutCancel(ctx), s.order(issuer), done)
	}
	s.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		// Whether or not the fetch ended too: the caller has gone.
		return contextError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// order returns the URLs with the one under issuer first.
func (s *Set) order(issuer string) []string {
	i := slices.Index(s.urls, issuer+WellKnown)
	if i <= 0 {
		return s.urls
	}
	urls := make([]string, 0, len(s.urls))
	return append(append(append(urls, s.urls[i]), s.urls[:i]...), s.urls[i+1:]...)
}

// run fetches the JWKS from urls in order and records the outcome. It runs
// detached from the caller that started it (ctx carries its values, not its
// cancellation): it ends within FetchTimeout per URL.
func (s *Set) run(ctx context.Context, urls []string, done chan struct{}) {
	var keys map[string]*rsa.PublicKey
	err := error(&Error{Kind: Service, Reason: "no JWKS URL"})
	for _, u := range urls {
		if keys, err = s.fetch(ctx, u); err == nil {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err == nil {
		s.keys.Store(&keys)
		s.lastErr, s.next = nil, now.Add(s.interval)
	} else {
		// Keys already loaded stay in use.
		s.lastErr, s.next = err, now.Add(min(s.interval, failureWait))
	}
	s.fetching = nil
	close(done)
}

func (s *Set) fetch(ctx context.Context, url string) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fetchError(Service, "cannot request "+url)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, transportError(url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fetchError(Service, fmt.Sprintf("%s answered HTTP %d", url, resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, transportError(url, err)
	}
	if len(body) > maxBody {
		return nil, fetchError(Service, url+" answered more than 1 MiB")
	}
	return parse(body, url)
}

// parse keeps the RS256 signing keys of a JWKS; keys of other kinds, and
// keys go-jose cannot read, are skipped rather than failing the set.
func parse(body []byte, url string) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fetchError(Service, url+" answered a body that is not a JWKS")
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if !ok || jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") ||
			(jwk.Algorithm != "" && jwk.Algorithm != "RS256") || pub.N.BitLen() < minKeyBits {
			continue
		}
		keys[jwk.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, fetchError(Service, url+" holds no RS256 key of 2048 bits or more")
	}
	return keys, nil
}

func fetchError(kind Kind, msg string) error {
	return &Error{Kind: kind, Reason: "fetching JWKS: " + msg}
}

func transportError(url string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fetchError(Timeout, url+" timed out")
	}
	return fetchError(Network, url+" could not be reached")
}

func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: Timeout, Reason: "context deadline exceeded while fetching JWKS", Err: err}
	}
	return &Error{Kind: Canceled, Reason: "context canceled while fetching JWKS", Err: err}
}

// DefaultClient returns the client a Set uses without Config.Client: it
// times out after FetchTimeout, refuses redirects and keeps no idle
// connections (a JWKS is fetched about once per process and pool, so a
// kept-alive connection would only hold a goroutine).
func DefaultClient() *http.Client {
	return &http.Client{
		Timeout: FetchTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DisableKeepAlives:     true,
			TLSHandshakeTimeout:   FetchTimeout / 2,
			ResponseHeaderTimeout: FetchTimeout / 2,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
