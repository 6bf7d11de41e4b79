package signouttest

import (
	"encoding/json"
	"net"
	"net/http"
	"time"
)

// Fault describes a failure the server plays instead of answering normally.
// With Code set it answers Cognito's JSON error; with Body set it answers
// that raw body (an HTML page from a proxy, truncated JSON); Delay, BodyDelay,
// Hang and Reset shape the timing and the connection. A Fault with only a
// Delay holds the request back and then answers it normally: a slow Cognito.
type Fault struct {
	// Status is the HTTP status; default 400 with a Code, 500 without, and
	// 500 for InternalErrorException.
	Status int
	// Code and Message form Cognito's JSON error, such as
	// TooManyRequestsException / "Rate exceeded".
	Code, Message string
	// Body, when set, is written as it is instead of the JSON error.
	Body string
	// ContentType overrides the answer's Content-Type.
	ContentType string
	// RequestID, when set, is sent as the answer's x-amzn-requestid instead
	// of a fresh id; a test can make it echo the token, as a proxy might.
	RequestID string
	// Delay holds the answer back before its headers.
	Delay time.Duration
	// BodyDelay sends the headers at once and holds the body back.
	BodyDelay time.Duration
	// Hang accepts the request and never answers; the request ends when the
	// client gives up or the server closes.
	Hang bool
	// Reset drops the connection without an answer.
	Reset bool
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
// faults injected later. Requests are still counted by Requests.
func (s *Server) InjectFault(op string, f Fault) {
	left := f.Times
	if left == 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{op: op, f: f, left: left})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
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
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		f := r.f
		return &f
	}
	return nil
}

// wait blocks for d, or until the request or the server ends; it reports
// whether the full time passed.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// slowOnly reports whether f only delays an otherwise normal answer.
func (f *Fault) slowOnly() bool {
	return f.Delay > 0 && *f == Fault{Delay: f.Delay, Times: f.Times, Every: f.Every}
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if f.Delay > 0 && !s.wait(r, f.Delay) {
		return
	}
	if f.Reset {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("signouttest: Reset fault needs an HTTP/1 connection")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
		return
	}
	status, body, ctype := f.Status, []byte(f.Body), f.ContentType
	if f.Body == "" {
		body, _ = json.Marshal(map[string]string{"__type": f.Code, "message": f.Message})
		if ctype == "" {
			ctype = "application/x-amz-json-1.1"
		}
		if f.Code != "" {
			w.Header().Set("X-Amzn-Errortype", f.Code)
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
		if f.Code != "" && f.Code != "InternalErrorException" {
			status = http.StatusBadRequest
		}
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	rid := f.RequestID
	if rid == "" {
		rid = s.requestID()
	}
	w.Header().Set("X-Amzn-Requestid", rid)
	w.WriteHeader(status)
	if f.BodyDelay > 0 {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if !s.wait(r, f.BodyDelay) {
			return
		}
	}
	w.Write(body)
}

// limiter is a token bucket over every request.
type limiter struct {
	rate   float64 // tokens a second; 0: off
	burst  float64
	tokens float64
	last   time.Time
}

// RateLimit makes the server answer TooManyRequestsException ("Rate
// exceeded"), as Cognito's request quotas do, to requests beyond perSecond
// with bursts of up to burst. perSecond 0 turns it off. Throttled counts
// the requests it refused.
func (s *Server) RateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = limiter{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// Throttled returns how many requests RateLimit refused.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// allowLocked takes a token from the bucket, if the limiter is on.
func (s *Server) allowLocked() bool {
	l := &s.limit
	if l.rate <= 0 {
		return true
	}
	now := time.Now()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens < 1 {
		s.throttled++
		return false
	}
	l.tokens--
	return true
}
