package verify

import (
	"context"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/jwks"
)

// keyError maps a failure of the pool's keys to an *signout.Error.
func keyError(err error) error {
	e, ok := err.(*jwks.Error)
	if !ok {
		return &signout.Error{Op: "Verify", Kind: signout.ErrService, Message: "checking the signature failed"}
	}
	kinds := map[jwks.Kind]error{
		jwks.Invalid: signout.ErrInvalidToken, jwks.UnknownKey: signout.ErrInvalidToken,
		jwks.Network: signout.ErrNetwork, jwks.Timeout: signout.ErrTimeout, jwks.Service: signout.ErrService,
		jwks.Canceled: context.Canceled,
	}
	kind := kinds[e.Kind]
	if kind == nil {
		kind = signout.ErrService
	}
	return &signout.Error{Op: "Verify", Kind: kind, Message: e.Reason, Err: e.Err}
}
