package transport

import (
	"context"
	"io"
	"sync"
)

// MaxBodyBytes is the most of a response body the Doer lets be read.
// Cognito's answers to the calls signout makes are a few hundred bytes; the
// largest answer a signout package asks for, an admin ListUsers page of 60
// users, is about 100 KiB with a full set of attributes, so 1 MiB leaves
// ten times that and is the cap go-github and x/oauth2 use. It is also the
// most memory an endless or inflating answer can take per call.
const MaxBodyBytes = 1 << 20

// ErrBodyTooLarge is the error a response body's Read returns once more
// than MaxBodyBytes would be read. The body is then closed without being
// drained, so its connection is not reused.
var ErrBodyTooLarge error = &refusal{"response body larger than 1 MiB"}

// ErrCompressed is returned by [Doer.Do], wrapped, for an answer whose body
// is compressed: the Doer asks for identity encoding, and a gzip body a
// few KiB long can inflate to GiBs.
var ErrCompressed error = &refusal{"compressed response refused"}

// body is a response body read within its attempt's context and cap. When
// the context is done (the caller's deadline or cancellation, or the read
// timeout), the underlying body is closed, which ends a Read blocked in
// it, and Read reports the context's cause.
type body struct {
	rc      io.ReadCloser
	ctx     context.Context
	left    int64  // bytes that may still be read
	err     error  // once set, every Read returns it
	release func() // ends the attempt's context, watch and timer; idempotent
}

func newBody(rc io.ReadCloser, ctx context.Context, release func()) *body {
	b := &body{rc: rc, ctx: ctx, left: MaxBodyBytes}
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	b.release = sync.OnceFunc(func() {
		stop()
		release()
	})
	return b
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.ctx.Err() != nil {
		return 0, b.fail(context.Cause(b.ctx))
	}
	// One byte past the cap tells a body of exactly MaxBodyBytes from a
	// longer one.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		return n, b.fail(ErrBodyTooLarge)
	}
	b.left -= int64(n)
	switch {
	case err == io.EOF:
		b.err = io.EOF
		b.release()
	case err != nil && b.ctx.Err() != nil:
		// The read failed because the context ended and closed the body.
		err = b.fail(context.Cause(b.ctx))
	}
	return n, err
}

// fail makes err the answer to every later Read and closes the underlying
// body before its end, which keeps its connection from being reused.
func (b *body) fail(err error) error {
	b.err = err
	b.release()
	b.rc.Close()
	return err
}

func (b *body) Close() error {
	b.release()
	return b.rc.Close()
}
