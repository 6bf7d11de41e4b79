package signout

// This file stands in for internal/jwks, which package verify's key set
// moves into; it goes when that package lands on main.

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cognitogo/signout/internal/transport"
)

type interimKeys struct {
	url  string
	doer transport.HTTPClient

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	nextFetch time.Time
}

func (k *interimKeys) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key := k.keys[kid]; key != nil {
		return key, nil
	}
	if time.Now().Before(k.nextFetch) {
		return nil, errUnknownKey
	}
	keys, err := k.fetch(ctx)
	if err != nil {
		return nil, err
	}
	k.keys, k.nextFetch = keys, time.Now().Add(time.Minute)
	if key := keys[kid]; key != nil {
		return key, nil
	}
	return nil, errUnknownKey
}

func (k *interimKeys) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	fail := func(kind error, msg string) error { return &Error{Op: "JWKS", Kind: kind, Message: msg} }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fail(ErrInvalidOption, "cannot request the JWKS")
	}
	resp, err := k.doer.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fail(ErrTimeout, ctx.Err().Error())
		}
		return nil, fail(ErrNetwork, "the JWKS could not be fetched")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fail(ErrService, "the JWKS could not be read")
	}
	var set struct{ Keys []json.RawMessage }
	if json.Unmarshal(body, &set) != nil {
		return nil, fail(ErrService, "not a JWKS")
	}
	keys := map[string]*rsa.PublicKey{}
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if jwk.UnmarshalJSON(raw) != nil {
			continue
		}
		if pub, ok := jwk.Key.(*rsa.PublicKey); ok && jwk.KeyID != "" && pub.N.BitLen() >= 2048 {
			keys[jwk.KeyID] = pub
		}
	}
	return keys, nil
}
