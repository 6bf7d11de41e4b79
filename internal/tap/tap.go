// Package tap is a recording proxy for tests of code that calls Cognito:
// it stands between a client and a Cognito endpoint (the stand-in of
// package signouttest, or moto), records each call that passes with what
// a sweep needs to be checked (the user signed out, the page listed and
// its users), and lets a test answer a call itself or act between the
// endpoint's answer and the client. For tests only.
package tap

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Call is one request that passed the proxy, and its answer.
type Call struct {
	Seq      int    // order of the answers, from 0
	Op       string // such as "ListUsers"
	Username string // AdminUserGlobalSignOut's user
	Token    string // ListUsers' PaginationToken; "" for the first page
	Filter   string // ListUsers' Filter
	Status   int    // the HTTP status answered
	Faked    bool   // answered by Before, not by the endpoint
	Users    []string
	Next     string // the answer's PaginationToken
}

// Reply is the answer Before gives in place of the endpoint's.
type Reply struct {
	Drop          bool // drop the connection without an answer
	Status        int  // else answer Cognito's error JSON with this status
	Code, Message string
}

// Proxy forwards to one endpoint. It is safe for concurrent use.
type Proxy struct {
	URL string // the proxy's endpoint, for --endpoint-url

	target string
	client *http.Client
	mu     sync.Mutex
	calls  []Call
	before func(c *Call) *Reply
	after  func(c *Call)
}

// Before makes f see each call before it is forwarded; a non-nil Reply
// answers the call instead. f is called concurrently.
func (p *Proxy) Before(f func(c *Call) *Reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = f
}

// After makes f see each answered call before the answer is relayed, with
// the Call that Before saw. f is called concurrently.
func (p *Proxy) After(f func(c *Call)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after = f
}

func (p *Proxy) hooks() (func(*Call) *Reply, func(*Call)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.before, p.after
}

// New starts a proxy to target until the test ends.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	p := &Proxy{target: strings.TrimSuffix(target, "/"), client: &http.Client{Transport: tr}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return p
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	var in struct{ Username, PaginationToken, Filter string }
	json.Unmarshal(body, &in)
	c := &Call{Op: strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService."),
		Username: in.Username, Token: in.PaginationToken, Filter: in.Filter}
	before, after := p.hooks()
	if before != nil {
		if rep := before(c); rep != nil {
			if rep.Drop {
				panic(http.ErrAbortHandler)
			}
			c.Status, c.Faked = rep.Status, true
			p.record(c)
			b, _ := json.Marshal(map[string]string{"__type": rep.Code, "message": rep.Message})
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(rep.Status)
			w.Write(b)
			return
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c.Status = resp.StatusCode
	if c.Op == "ListUsers" && c.Status == http.StatusOK {
		var page struct {
			Users           []struct{ Username string }
			PaginationToken string
		}
		json.Unmarshal(out, &page)
		for _, u := range page.Users {
			c.Users = append(c.Users, u.Username)
		}
		c.Next = page.PaginationToken
	}
	p.record(c)
	if after != nil {
		after(c)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

func (p *Proxy) record(c *Call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.Seq = len(p.calls)
	p.calls = append(p.calls, *c)
}

// Calls returns the answered calls of op ("" for all), in answer order.
func (p *Proxy) Calls(op string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// SignedOut counts, by user, the AdminUserGlobalSignOut calls the endpoint
// answered with success.
func (p *Proxy) SignedOut() map[string]int {
	n := map[string]int{}
	for _, c := range p.Calls("AdminUserGlobalSignOut") {
		if c.Status == http.StatusOK && !c.Faked {
			n[c.Username]++
		}
	}
	return n
}

// RelistedAfterUse returns the pagination tokens of the pages that were
// listed again after a user of theirs had been sent a sign-out: a resumed
// sweep that does so lists a page it had begun.
func (p *Proxy) RelistedAfterUse() []string {
	calls := p.Calls("")
	var bad []string
	lastList := map[string]Call{} // by token
	for _, c := range calls {
		if c.Op != "ListUsers" || c.Status != http.StatusOK {
			continue
		}
		if prev, ok := lastList[c.Token]; ok {
			page := map[string]bool{}
			for _, u := range prev.Users {
				page[u] = true
			}
			for _, s := range calls[prev.Seq+1 : c.Seq] {
				if s.Op == "AdminUserGlobalSignOut" && page[s.Username] {
					bad = append(bad, c.Token)
					break
				}
			}
		}
		lastList[c.Token] = c
	}
	return bad
}
