package signouttest

import (
	"cmp"
	"math"
	"net"
	"net/http"
	"slices"
	"time"
)

// FaultMode is what a Fault makes the server do in place of its answer.
type FaultMode int

const (
	ErrorReply FaultMode = iota + 1 // answer Cognito's JSON error made of Code, Message and Status
	RawReply                        // answer Status, ContentType and Body as they are, as a proxy might
	Hang                            // never answer; the request ends when the client gives up
	Reset                           // drop the connection without an answer
	Slow                            // hold the request for Delay, then answer it normally
)

// Fault is a failure the server plays for some requests (see InjectFault).
// Fields its Mode does not use stay zero.
type Fault struct {
	Mode          FaultMode
	Status        int           // HTTP status: RawReply (required); ErrorReply (default 500 for InternalErrorException, else 400)
	Code, Message string        // ErrorReply's error, such as "TooManyRequestsException", "Rate exceeded"; Code required
	ContentType   string        // RawReply
	Body          string        // RawReply
	RequestID     string        // x-amzn-requestid in place of a fresh one (ErrorReply, RawReply), e.g. to echo a token
	Delay         time.Duration // wait before anything else: Slow (required), ErrorReply, RawReply, Reset
	BodyDelay     time.Duration // send the headers, then wait before the body: ErrorReply, RawReply
	Times         int           // how many requests it applies to; 0: every one
	Every         int           // when set, it applies to one request in Every (the Every-th, 2·Every-th, ...)
}

type faultRule struct {
	op   string
	f    Fault
	left int // -1: unlimited
	seen int // requests matched, for Every
}

// InjectFault plays f for requests of op ("" for every operation, "JWKS"
// for the key set), before
// faults injected later, and returns a function that removes it, such as
// for t.Cleanup. Requests counts the requests a fault answers; quotas do
// not. It panics if f sets a field its Mode does not use, or lacks one it needs.
func (s *Server) InjectFault(op string, f Fault) (remove func()) {
	bare := f == Fault{Mode: f.Mode, Delay: f.Delay, Times: f.Times, Every: f.Every}
	if !map[FaultMode]bool{
		ErrorReply: f.Code != "" && f.ContentType+f.Body == "",
		RawReply:   f.Status != 0 && f.Code+f.Message == "",
		Hang:       bare && f.Delay == 0,
		Reset:      bare,
		Slow:       bare && f.Delay > 0,
	}[f.Mode] || f.Delay < 0 || f.BodyDelay < 0 || f.Times < 0 || f.Every < 0 {
		panic("signouttest: InjectFault: the Fault's fields do not fit its Mode")
	}
	rule := &faultRule{op: op, f: f, left: cmp.Or(f.Times, -1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.faults = slices.DeleteFunc(s.faults, func(r *faultRule) bool { return r == rule })
	}
}

func (s *Server) takeFaultLocked(op string) *Fault {
	for i, r := range s.faults {
		if r.op != "" && r.op != op {
			continue
		}
		if r.seen++; r.f.Every > 0 && r.seen%r.f.Every != 0 {
			continue
		}
		if r.left--; r.left == 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return &r.f
	}
	return nil
}

// play plays f and reports whether the request is still to be answered
// normally, after a Slow fault's Delay.
func (s *Server) play(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Mode == Hang {
		s.wait(r, math.MaxInt64)
		return false
	}
	if f.Delay > 0 && !s.wait(r, f.Delay) {
		return false
	}
	switch f.Mode {
	case Slow:
		return true
	case Reset:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, not an orderly close
			}
			conn.Close()
		}
	case ErrorReply:
		e := fail(f.Code, f.Message)
		if f.Code == "InternalErrorException" {
			e.status = http.StatusInternalServerError
		}
		e.status = cmp.Or(f.Status, e.status)
		s.answer(w, r, nil, e, *f)
	case RawReply:
		s.answer(w, r, nil, nil, *f)
	}
	return false
}
