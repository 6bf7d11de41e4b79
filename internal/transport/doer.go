package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPClient is what the SDK sends requests through.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Attempt describes one request that went out.
type Attempt struct {
	Status    int // 0 when no response came
	RequestID string
	Latency   time.Duration // to the response headers
	Err       error
}

// ErrRedirect is returned by [Doer.Do], wrapped, for an answer with a 3xx
// status: Cognito never redirects, and following a redirect would re-send
// the request, token and all, to another host. Nothing is re-sent.
var ErrRedirect error = &refusal{"redirect refused"}

// refusal is the type of the errors for answers the Doer refuses. Its
// RetryableError tells the SDK's retryer, which would retry what Do
// returns as a connection error, and a 500 whatever its body, that the
// same answer would come again.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

// RetryableError reports false: see refusal.
func (r *refusal) RetryableError() bool { return false }

// Doer is the HTTP client the SDK sends through. It wraps another client
// so that redirects and compressed answers are refused, response bodies
// are bounded in size and by the request's context, and each attempt is
// reported; with a read timeout, an answer that stalls fails with
// [ReadTimeoutError]. Its refusals, [ErrRedirect], [ErrCompressed] and
// [ErrBodyTooLarge], tell the SDK's retryer (through a RetryableError
// method) not to try again; a ReadTimeoutError may be retried.
type Doer struct {
	base        HTTPClient
	readTimeout time.Duration
	onAttempt   func(*http.Request, Attempt)
}

// NewDoer returns a Doer sending through base, which must not be nil.
// readTimeout bounds the wait for the response headers from the start of
// an attempt, and then for the whole body; 0 means no limit of the Doer's
// own.
// onAttempt, if not nil, is called once per request with what came back.
//
// base is not modified. An *http.Client (a user's WithHTTPClient) is copied
// with a CheckRedirect that follows nothing, and so is the client an
// *awshttp.BuildableClient (the default HTTPClient of an aws.Config) would
// use, which follows 307 and 308 with the body. A client of another type
// cannot be told not to follow; a response from another URL than the one
// asked for is refused with ErrRedirect, but the request has gone out.
func NewDoer(base HTTPClient, readTimeout time.Duration, onAttempt func(*http.Request, Attempt)) *Doer {
	return &Doer{base: noRedirects(base), readTimeout: readTimeout, onAttempt: onAttempt}
}

// noRedirects returns a client that sends what base sends but follows no
// redirect, or base itself when it cannot make one.
func noRedirects(base HTTPClient) HTTPClient {
	var hc *http.Client
	switch c := base.(type) {
	case *http.Client:
		hc = c
	case *awshttp.BuildableClient:
		// Freeze builds the *http.Client its Do would use, on a copy of
		// its transport, and leaves c as it was.
		frozen, ok := c.Freeze().(*http.Client)
		if !ok {
			return base
		}
		hc = frozen
	default:
		return base
	}
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// Do sends req through the wrapped client. A 3xx answer is closed and
// reported as ErrRedirect, a compressed one as ErrCompressed. The body of
// the response it returns yields at most MaxBodyBytes, ends with req's
// context, and, with a read timeout, fails with ReadTimeoutError when it
// has not all come within that time of the headers.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	var stall *time.Timer
	if d.readTimeout > 0 {
		// Its error is a ReadTimeoutError where net/http's would match
		// context.DeadlineExceeded, the caller's. It runs from the start of
		// the attempt, since the requests are a few hundred bytes, and again
		// from the headers.
		stall = time.AfterFunc(d.readTimeout, func() { cancel(ReadTimeoutError{}) })
	}
	release := func() {
		if stall != nil {
			stall.Stop()
		}
		cancel(nil)
	}
	// Asked for explicitly, identity also keeps net/http from asking for
	// gzip and inflating the answer unseen. The SDK builds a request for
	// each attempt, so its header is set in place.
	req.Header.Set("Accept-Encoding", "identity")
	out := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		// smithy-go closes the request body as soon as Do returns, and its
		// body's WriteTo then returns io.EOF, which io.Copy reports as an
		// error. net/http's write loop may still be making its last copy of
		// the body (the check for bytes past Content-Length) at that moment;
		// it fails, and the connection is torn down under the response
		// being read. The transport gets its own copy instead.
		b, err := readBody(req)
		if err != nil {
			release()
			return nil, err
		}
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		out.ContentLength = int64(len(b))
	}

	start := time.Now()
	resp, err := d.base.Do(out)
	latency := time.Since(start)
	if err == nil {
		err = refuse(req, resp)
	}
	if d.onAttempt != nil {
		a := Attempt{Latency: latency, Err: err}
		if resp != nil {
			a.Status = resp.StatusCode
			a.RequestID = resp.Header.Get("X-Amzn-Requestid")
		}
		d.onAttempt(req, a)
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		release()
		return nil, err
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		release()
		return resp, nil
	}
	if stall != nil {
		stall.Reset(d.readTimeout)
	}
	resp.Body = newBody(resp.Body, ctx, release)
	return resp, nil
}

// refuse returns the error for an answer that must not be used.
func refuse(req *http.Request, resp *http.Response) error {
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// The status text is the standard one: a server's reason phrase
		// could carry anything.
		return fmt.Errorf("%w: %d %s", ErrRedirect, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if u := resp.Request; u != nil && u.URL != nil && (u.URL.Host != req.URL.Host || u.URL.Path != req.URL.Path || u.URL.Scheme != req.URL.Scheme) {
		return fmt.Errorf("%w: the HTTP client followed one", ErrRedirect)
	}
	if resp.Uncompressed {
		return fmt.Errorf("%w: the HTTP client inflated it", ErrCompressed)
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return ErrCompressed
	}
	return nil
}

// readBody reads and closes req's body, in one allocation when its length
// is known.
func readBody(req *http.Request) ([]byte, error) {
	defer req.Body.Close()
	if n := req.ContentLength; n > 0 && n <= 1<<20 {
		b := make([]byte, n)
		if _, err := io.ReadFull(req.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(req.Body)
}

// ReadTimeoutError is the error of an attempt whose answer did not come
// within a Doer's read timeout: from Do when the headers did not, from the
// body's Read when the body did not. It is a net.Error whose Timeout is
// true; it does not match context.DeadlineExceeded, which is the caller's.
type ReadTimeoutError struct{}

func (ReadTimeoutError) Error() string   { return "read timeout: response body stalled" }
func (ReadTimeoutError) Timeout() bool   { return true }
func (ReadTimeoutError) Temporary() bool { return true }

var _ net.Error = ReadTimeoutError{}
