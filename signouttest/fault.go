package signouttest

import (
	"net"
	"net/http"
	"slices"
	"time"
)

// FaultMode is what a Fault makes the server do instead of its normal answer.
type FaultMode int

const (
	// ErrorReply answers Cognito's JSON error made of Code and Message, with
	// Status (default 400, or 500 for InternalErrorException).
	ErrorReply FaultMode = iota + 1
	// RawReply answers Status, ContentType and Body as they are: a proxy's
	// HTML page, truncated JSON, an empty 200.
	RawReply
	// Hang accepts the request and never answers; the request ends when the
	// client gives up or the server closes.
	Hang
	// Reset drops the connection without an answer.
	Reset
	// Slow holds the request for Delay, then answers it normally.
	Slow
)

// Fault is a failure the server plays for some requests, set up with
// InjectFault. Mode says what it does; each field's comment says which
// modes use it, and InjectFault panics on a field the mode does not use.
type Fault struct {
	Mode FaultMode
	// Status is the HTTP status: required for RawReply, optional for ErrorReply.
	Status int
	// Code and Message form ErrorReply's error, such as
	// TooManyRequestsException / "Rate exceeded"; Code is required.
	Code, Message string
	// ContentType and Body are RawReply's answer.
	ContentType, Body string
	// RequestID, when set, is sent as ErrorReply's or RawReply's
	// x-amzn-requestid instead of a fresh id; a test can make it echo a
	// token, as a proxy might.
	RequestID string
	// Delay holds the request back before anything happens: required for
	// Slow, optional for ErrorReply, RawReply and Reset.
	Delay time.Duration
	// BodyDelay sends ErrorReply's or RawReply's headers at once and holds
	// the body back.
	BodyDelay time.Duration
	// Times is how many requests the fault applies to; 0 means every one.
	Times int
	// Every, when set, plays the fault for one request in Every (the
	// Every-th, the 2·Every-th, ...) and lets the others through.
	Every int
}

type faultRule struct {
	op   string
	f    Fault
	left int // -1: unlimited
	seen int // requests matched, for Every
}

// InjectFault plays f for requests of op ("" for every operation), before
// faults injected later, and returns a function that removes it (for
// example t.Cleanup(srv.InjectFault(...))). Requests still counts the
// requests a fault answers; they use no quota. It panics if f is not
// well-formed for its Mode.
func (s *Server) InjectFault(op string, f Fault) (remove func()) {
	if msg := f.problem(); msg != "" {
		panic("signouttest: InjectFault: " + msg)
	}
	rule := &faultRule{op: op, f: f, left: f.Times}
	if f.Times == 0 {
		rule.left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.faults = slices.DeleteFunc(s.faults, func(r *faultRule) bool { return r == rule })
	}
}

// problem says what is wrong with f, or "".
func (f *Fault) problem() string {
	replies := f.Mode == ErrorReply || f.Mode == RawReply
	switch {
	case f.Mode < ErrorReply || f.Mode > Slow:
		return "a Fault needs a Mode"
	case f.Mode == ErrorReply && (f.Code == "" || f.ContentType != "" || f.Body != ""):
		return "an ErrorReply Fault takes a Code, and no ContentType or Body"
	case f.Mode == RawReply && (f.Status == 0 || f.Code != "" || f.Message != ""):
		return "a RawReply Fault takes a Status, and no Code or Message"
	case !replies && (f.Status != 0 || f.Code != "" || f.Message != "" || f.ContentType != "" ||
		f.Body != "" || f.RequestID != "" || f.BodyDelay != 0):
		return "only ErrorReply and RawReply Faults answer"
	case f.Mode == Hang && f.Delay != 0:
		return "a Hang Fault takes no Delay"
	case f.Mode == Slow && f.Delay <= 0:
		return "a Slow Fault needs a Delay"
	case f.Delay < 0 || f.BodyDelay < 0 || f.Times < 0 || f.Every < 0:
		return "a Fault's durations and counts are not negative"
	}
	return ""
}

func (s *Server) takeFaultLocked(op string) *Fault {
	for i, r := range s.faults {
		if r.op != "" && r.op != op {
			continue
		}
		if r.f.Every > 0 {
			r.seen++
			if r.seen%r.f.Every != 0 {
				continue
			}
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		f := r.f
		return &f
	}
	return nil
}

// play plays f and reports whether the request is still to be answered
// normally (after a Slow fault's Delay).
func (s *Server) play(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Mode == Hang {
		s.wait(r, -1)
		return false
	}
	if f.Delay > 0 && !s.wait(r, f.Delay) {
		return false
	}
	var rp reply
	switch f.Mode {
	case Slow:
		return true
	case Reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
		return false
	case ErrorReply:
		e := apiError{f.Status, f.Code, f.Message}
		if e.status == 0 {
			e.status = http.StatusBadRequest
			if f.Code == "InternalErrorException" {
				e.status = http.StatusInternalServerError
			}
		}
		rp = e.reply()
	case RawReply:
		rp = reply{status: f.Status, contentType: f.ContentType, body: []byte(f.Body)}
	}
	rp.requestID, rp.bodyDelay = f.RequestID, f.BodyDelay
	s.answer(w, r, rp)
	return false
}
