package signouthttp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cognitogo/signout"
	"github.com/cognitogo/signout/internal/redact"
	"github.com/cognitogo/signout/revocation"
	"github.com/cognitogo/signout/signouthttp"
	"github.com/cognitogo/signout/signouttest"
	"github.com/cognitogo/signout/verify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// call is one call to a Client.
type call struct {
	Access, Refresh string
	Reach           signout.Reach
}

// fakeClient records the calls it receives. By default it ends each
// session as far as asked; with err set it fails every call, ending
// nothing, and fn, when set, answers.
type fakeClient struct {
	fn  func(ctx context.Context, c call) (signout.Reach, error)
	err error

	mu    sync.Mutex
	calls []call
}

func (f *fakeClient) Logout(ctx context.Context, accessToken, refreshToken string, reach signout.Reach) (signout.Reach, error) {
	c := call{accessToken, refreshToken, reach}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	switch {
	case f.fn != nil:
		return f.fn(ctx, c)
	case f.err != nil:
		return 0, f.err
	}
	return reach, nil
}

func (f *fakeClient) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// newHandler returns a handler ending sessions with l, with the token
// cookies "at" and "rt" unless opts name others.
func newHandler(t *testing.T, l signouthttp.Logouter, opts ...signouthttp.Option) http.Handler {
	t.Helper()
	h, err := signouthttp.New(l, append([]signouthttp.Option{signouthttp.WithTokenCookies("at", "rt")}, opts...)...)
	require.NoError(t, err)
	return h
}

// trusting returns a CrossOriginProtection that also trusts origin.
func trusting(t *testing.T, origin string) *http.CrossOriginProtection {
	p := http.NewCrossOriginProtection()
	require.NoError(t, p.AddTrustedOrigin(origin))
	return p
}

// anyOrigin returns a CrossOriginProtection that lets every request through.
func anyOrigin() *http.CrossOriginProtection {
	p := http.NewCrossOriginProtection()
	p.AddInsecureBypassPattern("/")
	return p
}

// expired reports which cookies the response expires.
func expired(resp *http.Response) []string {
	var names []string
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 && c.Value == "" {
			names = append(names, c.Name)
		}
	}
	return names
}

// post returns a logout request to http://app.example.com/logout with the
// Origin and Sec-Fetch-Site headers that are not "", and the cookies, each
// "name=value", in the order given.
func post(origin, secFetchSite string, cookies ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://app.example.com/logout", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if secFetchSite != "" {
		r.Header.Set("Sec-Fetch-Site", secFetchSite)
	}
	if len(cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	return r
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name          string
		opts          []signouthttp.Option
		redirect      string
		req           *http.Request
		authorization string // the request's Authorization header, when set
		client        *fakeClient
		wantStatus    int
		wantCalls     []call
		wantExpired   []string
		wantOnError   bool
	}{
		{
			name:          "bearer and refresh cookie",
			req:           post("", "", "rt=RT1"),
			authorization: "Bearer AT1",
			wantStatus:    http.StatusNoContent,
			wantCalls:     []call{{"AT1", "RT1", signout.ThisSession}},
			wantExpired:   []string{"at", "rt", "sid"},
		},
		{
			name:        "tokens from cookies",
			req:         post("", "", "at=AT2", "rt=RT2"),
			wantStatus:  http.StatusNoContent,
			wantCalls:   []call{{"AT2", "RT2", signout.ThisSession}},
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:        "all sessions",
			opts:        []signouthttp.Option{signouthttp.WithReach(signout.AllSessions)},
			req:         post("", "", "at=AT2", "rt=RT2"),
			wantStatus:  http.StatusNoContent,
			wantCalls:   []call{{"AT2", "RT2", signout.AllSessions}},
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:       "GET is refused",
			req:        httptest.NewRequest(http.MethodGet, "/logout", nil),
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name:       "foreign origin is refused and changes nothing",
			opts:       []signouthttp.Option{signouthttp.WithCrossOriginProtection(trusting(t, "https://app.example.com"))},
			req:        post("https://evil.example", "", "at=AT3"),
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "foreign origin is refused by default",
			req:        post("https://evil.example", "", "at=AT3"),
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "cross-site fetch is refused by default",
			req:        post("", "cross-site", "at=AT3"),
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "same-site page on another port is refused by default",
			req:        post("http://app.example.com:8081", "same-site", "at=AT3"),
			wantStatus: http.StatusForbidden,
		},
		{
			name:        "own origin is allowed by default",
			req:         post("http://app.example.com", "", "at=AT4"),
			wantStatus:  http.StatusNoContent,
			wantCalls:   []call{{"AT4", "", signout.ThisSession}},
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:        "allowed origin",
			opts:        []signouthttp.Option{signouthttp.WithCrossOriginProtection(trusting(t, "https://app.example.com"))},
			req:         post("https://app.example.com", "same-site", "at=AT4"),
			wantStatus:  http.StatusNoContent,
			wantCalls:   []call{{"AT4", "", signout.ThisSession}},
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:        "any origin, when the check is turned off",
			opts:        []signouthttp.Option{signouthttp.WithCrossOriginProtection(anyOrigin())},
			req:         post("https://evil.example", "cross-site", "at=AT4"),
			wantStatus:  http.StatusNoContent,
			wantCalls:   []call{{"AT4", "", signout.ThisSession}},
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:        "no token: nothing to end, cookies still expired",
			req:         post("", ""),
			wantStatus:  http.StatusNoContent,
			wantExpired: []string{"at", "rt", "sid"},
		},
		{
			name:          "Cognito unreachable: 503, cookies kept to try again, hook told",
			client:        &fakeClient{err: &signout.Error{Op: "GlobalSignOut", Kind: signout.ErrNetwork}},
			req:           post("", ""),
			authorization: "bearer AT5",
			wantStatus:    http.StatusServiceUnavailable,
			wantCalls:     []call{{"AT5", "", signout.ThisSession}},
			wantOnError:   true,
		},
		{
			name:          "recorded and queued: 202, cookies expired, hook told",
			client:        &fakeClient{err: &signout.Error{Op: "RevokeToken", Kind: signout.ErrQueued, Code: "TooManyRequestsException"}},
			req:           post("", ""),
			authorization: "Bearer AT5",
			wantStatus:    http.StatusAccepted,
			wantCalls:     []call{{"AT5", "", signout.ThisSession}},
			wantExpired:   []string{"at", "rt", "sid"},
			wantOnError:   true,
		},
		{
			name:          "nothing a retry would end: cookies expired, hook told",
			client:        &fakeClient{err: &signout.Error{Op: "GlobalSignOut", Kind: signout.ErrTokenExpired}},
			req:           post("", ""),
			authorization: "Bearer AT5",
			wantStatus:    http.StatusNoContent,
			wantCalls:     []call{{"AT5", "", signout.ThisSession}},
			wantExpired:   []string{"at", "rt", "sid"},
			wantOnError:   true,
		},
		{
			name:          "redirect",
			redirect:      "https://auth.example.com/logout?client_id=c&logout_uri=x",
			req:           post("", ""),
			authorization: "Bearer AT6",
			wantStatus:    http.StatusSeeOther,
			wantCalls:     []call{{"AT6", "", signout.ThisSession}},
			wantExpired:   []string{"at", "rt", "sid"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := tc.client
			if client == nil {
				client = &fakeClient{}
			}
			var hookErr error
			opts := append(tc.opts, signouthttp.WithClearCookies("sid"), signouthttp.WithOnError(func(_ *http.Request, ended signout.Reach, err error) {
				assert.Zero(t, ended)
				hookErr = err
			}))
			if tc.redirect != "" {
				opts = append(opts, signouthttp.WithRedirect(tc.redirect))
			}
			if tc.authorization != "" {
				tc.req.Header.Set("Authorization", tc.authorization)
			}
			rec := httptest.NewRecorder()
			newHandler(t, client, opts...).ServeHTTP(rec, tc.req)
			resp := rec.Result()
			defer resp.Body.Close()

			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, tc.wantCalls, client.Calls())
			assert.ElementsMatch(t, tc.wantExpired, expired(resp))
			assert.Equal(t, tc.wantOnError, hookErr != nil)
			if tc.wantStatus == http.StatusSeeOther {
				assert.Equal(t, tc.redirect, resp.Header.Get("Location"))
			}
			if tc.wantStatus < 300 || tc.wantStatus == http.StatusSeeOther {
				assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
				assert.Equal(t, `"cache"`, resp.Header.Get("Clear-Site-Data"), "by default")
			} else {
				assert.Empty(t, resp.Header.Values("Clear-Site-Data"), "a refused or failed request changes nothing")
			}
			if tc.wantStatus == http.StatusServiceUnavailable {
				assert.Equal(t, "1", resp.Header.Get("Retry-After"))
			}
		})
	}
}

func TestHandlerSurvivesClientGoingAway(t *testing.T) {
	var mu sync.Mutex
	var ctxErr error
	client := &fakeClient{fn: func(ctx context.Context, c call) (signout.Reach, error) {
		mu.Lock()
		defer mu.Unlock()
		ctxErr = ctx.Err()
		return c.Reach, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the browser tab is already gone
	r := post("", "", "at=AT").WithContext(ctx)
	newHandler(t, client).ServeHTTP(httptest.NewRecorder(), r)
	require.Len(t, client.Calls(), 1)
	assert.NoError(t, ctxErr, "the session is ended even though the request was cancelled")
}

// TestHandlerPanickingHook: a hook that panics must not cost the user the
// logout; the cookies are expired and the answer sent before any hook runs.
func TestHandlerPanickingHook(t *testing.T) {
	for _, tc := range []struct {
		name        string
		redirect    string
		cookie      string
		kind        error
		want        int
		wantExpired []string
	}{
		{"no redirect", "", "at=AT", signout.ErrTokenExpired, http.StatusNoContent, []string{"at", "rt"}},
		{"redirect", "/", "at=AT", signout.ErrTokenExpired, http.StatusSeeOther, []string{"at", "rt"}},
		{"too many tokens", "", "rt=1; rt=2; rt=3; rt=4; rt=5; rt=6; rt=7; rt=8; rt=9", signout.ErrNetwork, http.StatusBadRequest, []string{"at", "rt"}},
		{"not done", "", "at=AT", signout.ErrNetwork, http.StatusServiceUnavailable, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hooked atomic.Bool
			opts := []signouthttp.Option{signouthttp.WithOnError(func(*http.Request, signout.Reach, error) {
				hooked.Store(true)
				panic("hook bug")
			})}
			if tc.redirect != "" {
				opts = append(opts, signouthttp.WithRedirect(tc.redirect))
			}
			h := newHandler(t, &fakeClient{err: &signout.Error{Op: "RevokeToken", Kind: tc.kind}}, opts...)
			ts := httptest.NewUnstartedServer(h)
			ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the server reports the panic
			ts.Start()
			t.Cleanup(ts.Close)
			client := ts.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

			req, err := http.NewRequest(http.MethodPost, ts.URL+"/logout", nil)
			require.NoError(t, err)
			req.Header.Set("Cookie", tc.cookie)
			resp, err := client.Do(req)
			require.NoError(t, err, "the answer arrives although the hook panicked")
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.NoError(t, err, "and it is complete")
			ts.Close() // waits for the handler, which calls the hook after answering
			assert.True(t, hooked.Load())
			assert.ElementsMatch(t, tc.wantExpired, expired(resp))
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

// TestHandlerTimeBudget: a logout gets one budget, however many calls to
// Cognito it makes.
func TestHandlerTimeBudget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget time.Duration
		want   time.Duration
	}{
		{"default", 0, 10 * time.Second},
		{"configured", 3 * time.Second, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var deadline time.Time
			var hasDeadline bool
			client := &fakeClient{fn: func(ctx context.Context, c call) (signout.Reach, error) {
				deadline, hasDeadline = ctx.Deadline()
				return c.Reach, nil
			}}
			var opts []signouthttp.Option
			if tc.budget != 0 {
				opts = append(opts, signouthttp.WithTimeout(tc.budget))
			}
			start := time.Now()
			newHandler(t, client, opts...).ServeHTTP(httptest.NewRecorder(), post("", "", "at=AT"))
			end := time.Now()
			require.True(t, hasDeadline, "the logout is bounded")
			assert.False(t, deadline.Before(start.Add(tc.want)), "deadline %v is before %v", deadline, start.Add(tc.want))
			assert.False(t, deadline.After(end.Add(tc.want)), "deadline %v is after %v", deadline, end.Add(tc.want))
		})
	}
}

// TestHandlerTimeBudgetOnStandIn: with Cognito hanging, the budget runs out
// during the first call and the second is never sent, whatever the client's
// own timeout.
func TestHandlerTimeBudgetOnStandIn(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault("", signouttest.Fault{Mode: signouttest.Hang})
	client := newClient(t, srv, signout.WithTimeout(20*time.Second), signout.WithRetryMaxAttempts(1))
	var hookErr error
	h := newHandler(t, client, signouthttp.WithTimeout(100*time.Millisecond),
		signouthttp.WithOnError(func(_ *http.Request, _ signout.Reach, err error) { hookErr = err }))
	tokens := srv.SignIn("alice")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("", "", "at="+tokens.AccessToken, "rt="+tokens.RefreshToken))

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "not done")
	assert.Empty(t, expired(rec.Result()), "the cookies are kept, to try again")
	assert.ErrorIs(t, hookErr, signout.ErrTimeout)
	// The budget may end before the first request arrives on a busy
	// machine; what matters is that no call follows.
	assert.LessOrEqual(t, srv.Requests(""), 1, "one call hung until the budget ran out; none followed")
}

// TestHandlerDuplicateCookies: a sibling subdomain can toss its own token
// cookies in front of the user's (rt=ATTACKER; rt=VICTIM). The handler
// ends every session named, pairing the values by their order in the
// request.
func TestHandlerDuplicateCookies(t *testing.T) {
	tests := []struct {
		name      string
		bearer    string
		at, rt    []string
		wantCalls []call
		wantCode  int
	}{
		{
			name: "tossed pair", at: []string{"A1", "A2"}, rt: []string{"R1", "R2"},
			wantCalls: []call{{"A1", "R1", signout.ThisSession}, {"A2", "R2", signout.ThisSession}},
			wantCode:  http.StatusNoContent,
		},
		{
			name: "tossed refresh token only", at: []string{"A1"}, rt: []string{"R1", "R2"},
			wantCalls: []call{{"A1", "R1", signout.ThisSession}, {"", "R2", signout.ThisSession}},
			wantCode:  http.StatusNoContent,
		},
		{
			name: "bearer and cookie", bearer: "A0", at: []string{"A1"}, rt: []string{"R1"},
			wantCalls: []call{{"A0", "R1", signout.ThisSession}, {"A1", "", signout.ThisSession}},
			wantCode:  http.StatusNoContent,
		},
		{
			name: "the same value twice is ended once", at: []string{"A1", "A1"}, rt: []string{"R1", "R1"},
			wantCalls: []call{{"A1", "R1", signout.ThisSession}},
			wantCode:  http.StatusNoContent,
		},
		{
			name:     "more than a browser would send is refused",
			rt:       []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"},
			wantCode: http.StatusBadRequest,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := &fakeClient{}
			var hookErr error
			h := newHandler(t, client, signouthttp.WithOnError(func(_ *http.Request, _ signout.Reach, err error) { hookErr = err }))
			var cookies []string
			for _, v := range tc.at {
				cookies = append(cookies, "at="+v)
			}
			for _, v := range tc.rt {
				cookies = append(cookies, "rt="+v)
			}
			r := post("", "", cookies...)
			if tc.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			assert.Equal(t, tc.wantCode, rec.Code)
			assert.ElementsMatch(t, tc.wantCalls, client.Calls(), "the sessions end at once, in any order")
			if tc.wantCode == http.StatusBadRequest {
				assert.ErrorIs(t, hookErr, signouthttp.ErrTooManyTokens)
				assert.ElementsMatch(t, []string{"at", "rt"}, expired(rec.Result()), "the cookies are expired all the same")
				assert.Equal(t, `"cache"`, rec.Header().Get("Clear-Site-Data"))
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			} else {
				assert.NoError(t, hookErr)
			}
		})
	}
}

// TestHandlerDuplicateCookiesOnStandIn: with an attacker's tokens tossed in
// front of the victim's, the victim's session ends too.
func TestHandlerDuplicateCookiesOnStandIn(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	h := newHandler(t, newClient(t, srv))
	mallory, alice := srv.SignIn("mallory"), srv.SignIn("alice")

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("", "", "at="+mallory.AccessToken, "rt="+mallory.RefreshToken, "at="+alice.AccessToken, "rt="+alice.RefreshToken))

	require.Equal(t, http.StatusNoContent, rec.Code)
	assert.False(t, srv.Accepts(alice.AccessToken), "the victim's access token is refused")
	assert.False(t, srv.Accepts(alice.RefreshToken), "the victim's refresh token is refused")
	assert.False(t, srv.Accepts(mallory.AccessToken))
}

func TestHandlerClearSiteData(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []signouthttp.Option
		want []string
	}{
		{"default", nil, []string{`"cache"`}},
		{"wider", []signouthttp.Option{signouthttp.WithClearSiteData("cache", "cookies", "storage")}, []string{`"cache", "cookies", "storage"`}},
		{"off", []signouthttp.Option{signouthttp.WithClearSiteData()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(t, &fakeClient{}, tc.opts...).ServeHTTP(rec, post("", ""))
			assert.Equal(t, http.StatusNoContent, rec.Code)
			assert.Equal(t, tc.want, rec.Header().Values("Clear-Site-Data"))
		})
	}
}

// TestHandlerSecureCookies: a __Host- or __Secure- cookie is expired with
// the attributes its prefix demands; any cookie is expired with Secure over HTTPS, and only
// there, as a browser ignores a Secure cookie set over plain HTTP.
func TestHandlerSecureCookies(t *testing.T) {
	h := newHandler(t, &fakeClient{}, signouthttp.WithTokenCookies("__Host-at", "rt"),
		signouthttp.WithClearCookies("__Secure-sid"), signouthttp.WithCookieScope("/app", "example.com"))
	for _, target := range []string{"http://example.com/logout", "https://example.com/logout"} {
		t.Run(target, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, target, nil)
			overTLS := strings.HasPrefix(target, "https:")
			require.Equal(t, overTLS, r.TLS != nil, "precondition")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			cookies := rec.Result().Cookies()
			for _, c := range cookies {
				switch c.Name {
				case "__Host-at":
					assert.True(t, c.Secure)
					assert.Equal(t, "/", c.Path)
					assert.Empty(t, c.Domain)
				case "__Secure-sid":
					assert.True(t, c.Secure)
					assert.Equal(t, "/app", c.Path)
					assert.Equal(t, "example.com", c.Domain)
				case "rt":
					assert.Equal(t, overTLS, c.Secure)
					assert.Equal(t, "/app", c.Path)
					assert.Equal(t, "example.com", c.Domain)
					assert.True(t, c.HttpOnly)
				}
			}
			assert.Len(t, cookies, 3)
		})
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		l    signouthttp.Logouter
		opts []signouthttp.Option
		op   string
	}{
		"no logouter":       {nil, nil, "New"},
		"bad cookie name":   {&fakeClient{}, []signouthttp.Option{signouthttp.WithTokenCookies("a b", "rt")}, "WithTokenCookies"},
		"bad clear cookie":  {&fakeClient{}, []signouthttp.Option{signouthttp.WithClearCookies("sid", "a;b")}, "WithClearCookies"},
		"relative path":     {&fakeClient{}, []signouthttp.Option{signouthttp.WithCookieScope("app", "")}, "WithCookieScope"},
		"nil protection":    {&fakeClient{}, []signouthttp.Option{signouthttp.WithCrossOriginProtection(nil)}, "WithCrossOriginProtection"},
		"negative timeout":  {&fakeClient{}, []signouthttp.Option{signouthttp.WithTimeout(-time.Second)}, "WithTimeout"},
		"zero timeout":      {&fakeClient{}, []signouthttp.Option{signouthttp.WithTimeout(0)}, "WithTimeout"},
		"unknown site data": {&fakeClient{}, []signouthttp.Option{signouthttp.WithClearSiteData("cache", "everything")}, "WithClearSiteData"},
		"quoted site data":  {&fakeClient{}, []signouthttp.Option{signouthttp.WithClearSiteData(`"cache"`)}, "WithClearSiteData"},
		"unknown reach":     {&fakeClient{}, []signouthttp.Option{signouthttp.WithReach(signout.AllSessions + 1)}, "WithReach"},
		"nil hook":          {&fakeClient{}, []signouthttp.Option{signouthttp.WithOnError(nil)}, "WithOnError"},
		"bad redirect":      {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("relative/path")}, "WithRedirect"},
		// Each of these sends the browser to another host or runs a script.
		"protocol-relative redirect": {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("//evil.example/")}, "WithRedirect"},
		"backslash redirect":         {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect(`/\evil.example/`)}, "WithRedirect"},
		"javascript redirect":        {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("javascript:alert(1)")}, "WithRedirect"},
		"data redirect":              {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("data:text/html,<script>alert(1)</script>")}, "WithRedirect"},
		"hostless http redirect":     {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("https:evil.example")}, "WithRedirect"},
		"redirect with user info":    {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("https://app.example.com@evil.example/")}, "WithRedirect"},
		"tab in redirect":            {&fakeClient{}, []signouthttp.Option{signouthttp.WithRedirect("/\t/evil.example/")}, "WithRedirect"},
		"the first bad option wins":  {&fakeClient{}, []signouthttp.Option{signouthttp.WithTimeout(-1), signouthttp.WithRedirect("x")}, "WithTimeout"},
		"ALB cookie name":            {&fakeClient{}, []signouthttp.Option{signouthttp.WithALB("a b", albLogout)}, "WithALB"},
		"ALB without logout URL":     {&fakeClient{}, []signouthttp.Option{signouthttp.WithALB("AWSELBAuthSessionCookie", "")}, "WithALB"},
		"ALB logout URL a path":      {&fakeClient{}, []signouthttp.Option{signouthttp.WithALB("AWSELBAuthSessionCookie", "/logout")}, "WithALB"},
		// Options that contradict WithALB, before or after it.
		"ALB and token cookies": {&fakeClient{}, []signouthttp.Option{signouthttp.WithTokenCookies("at", ""), signouthttp.WithALB("AWSELBAuthSessionCookie", albLogout)}, "WithALB"},
		"ALB and redirect":      {&fakeClient{}, []signouthttp.Option{signouthttp.WithALB("AWSELBAuthSessionCookie", albLogout), signouthttp.WithRedirect("/")}, "WithALB"},
		"ALB and this session":  {&fakeClient{}, []signouthttp.Option{signouthttp.WithALB("AWSELBAuthSessionCookie", albLogout), signouthttp.WithReach(signout.ThisSession)}, "WithALB"},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := signouthttp.New(tc.l, tc.opts...)
			require.ErrorIs(t, err, signout.ErrInvalidOption)
			assert.Nil(t, h)
			var se *signout.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.op, se.Op)
		})
	}
}

func TestNewAcceptsRedirects(t *testing.T) {
	for _, u := range []string{
		"/",
		"/signed-out?from=logout#top",
		"https://auth.example.com/logout?client_id=c&logout_uri=https%3A%2F%2Fapp.example.com%2F",
		"http://localhost:8080/",
	} {
		h := newHandler(t, &fakeClient{}, signouthttp.WithRedirect(u))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, post("", ""))
		assert.Equal(t, http.StatusSeeOther, rec.Code, u)
		assert.Equal(t, u, rec.Header().Get("Location"))
	}
}

// TestHandlerOnStandIn ends real sessions on the stand-in through the
// handler and a real Client: alice is signed in on a laptop and a phone, and
// logs out on the laptop.
func TestHandlerOnStandIn(t *testing.T) {
	tests := []struct {
		name         string
		reach        signout.Reach
		access       bool // the laptop's request carries its access token
		refresh      bool // and its refresh token
		badAccess    bool // an access token Cognito refuses instead
		phoneEnded   bool
		wantEnded    signout.Reach // what the hook hears ended; 0: no hook
		wantHookErr  error
		wantRevoke   int
		wantSignOuts int
	}{
		{name: "this session", reach: signout.ThisSession, access: true, refresh: true,
			wantRevoke: 1},
		{name: "all sessions", reach: signout.AllSessions, access: true, refresh: true,
			phoneEnded: true, wantSignOuts: 1},
		{name: "this session without a refresh token signs out everywhere", reach: signout.ThisSession, access: true,
			phoneEnded: true, wantSignOuts: 1},
		{name: "all sessions with a refused access token ends this one", reach: signout.AllSessions, badAccess: true, refresh: true,
			wantEnded: signout.ThisSession, wantHookErr: signout.ErrNotAuthorized, wantRevoke: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			var hookEnded signout.Reach
			var hookErr error
			h := newHandler(t, newClient(t, srv), signouthttp.WithReach(tc.reach),
				signouthttp.WithOnError(func(_ *http.Request, ended signout.Reach, err error) { hookEnded, hookErr = ended, err }))
			laptop, phone := srv.SignIn("alice"), srv.SignIn("alice")
			var cookies []string
			switch {
			case tc.access:
				cookies = append(cookies, "at="+laptop.AccessToken)
			case tc.badAccess:
				cookies = append(cookies, "at=not-a-token")
			}
			if tc.refresh {
				cookies = append(cookies, "rt="+laptop.RefreshToken)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, post("", "", cookies...))

			assert.Equal(t, http.StatusNoContent, rec.Code)
			assert.False(t, srv.Accepts(laptop.AccessToken), "the laptop's access token is refused")
			assert.False(t, srv.Accepts(laptop.RefreshToken), "the laptop's refresh token is refused")
			assert.Equal(t, !tc.phoneEnded, srv.Accepts(phone.AccessToken), "the phone's access token works")
			assert.Equal(t, !tc.phoneEnded, srv.Accepts(phone.RefreshToken), "the phone's refresh token works")
			assert.Equal(t, tc.wantRevoke, srv.Requests("RevokeToken"))
			assert.Equal(t, tc.wantSignOuts, srv.Requests("GlobalSignOut"))
			assert.Equal(t, tc.wantEnded, hookEnded)
			if tc.wantHookErr != nil {
				assert.ErrorIs(t, hookErr, tc.wantHookErr)
			} else {
				assert.NoError(t, hookErr)
			}
		})
	}
}

// TestHandlerCognitoDown ends a logout while Cognito is unreachable, with
// no outbox to carry it: the answer says it is not done (503), the cookies
// are kept to try again, and the hook hears of the typed failure.
func TestHandlerCognitoDown(t *testing.T) {
	srv := signouttest.NewServer()
	tokens := srv.SignIn("alice")
	srv.Close() // Cognito is gone
	client := newClient(t, srv, signout.WithRetryMaxAttempts(2))
	hookEnded := signout.Reach(-1)
	var hookErr error
	h := newHandler(t, client, signouthttp.WithOnError(func(_ *http.Request, ended signout.Reach, err error) {
		hookEnded, hookErr = ended, err
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("", "", "at="+tokens.AccessToken, "rt="+tokens.RefreshToken))

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Empty(t, expired(rec.Result()), "cookies kept, to try again")
	assert.Zero(t, hookEnded, "nothing ended")
	require.ErrorIs(t, hookErr, signout.ErrNetwork)
	var se *signout.Error
	require.ErrorAs(t, hookErr, &se)
	assert.True(t, se.Retryable())
	assert.False(t, redact.Contains(hookErr.Error(), tokens.AccessToken))
	assert.False(t, redact.Contains(hookErr.Error(), tokens.RefreshToken))
}

// newClient returns a real Client for the stand-in, with the app client
// set so that it can revoke refresh tokens; opts come last.
func newClient(t *testing.T, srv *signouttest.Server, opts ...signout.Option) signouthttp.Logouter {
	t.Helper()
	opts = append([]signout.Option{signout.WithEndpoint(srv.URL), signout.WithAppClient(srv.ClientID, ""), signout.WithTimeout(5 * time.Second)}, opts...)
	c, err := signout.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// recording returns the options of a Client that records its sign-outs in
// store and carries failed calls in its outbox.
func recording(srv *signouttest.Server, store *revocation.Store) []signout.Option {
	return []signout.Option{signout.WithPool(srv.UserPoolID), signout.WithRevocationStore(store)}
}

// TestHandlerPlantedCookie: a page on a sibling subdomain plants one junk
// token cookie that the browser sends before the victim's own. The
// victim's session is refused at the API when the handler answers.
func TestHandlerPlantedCookie(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cookies func(victim signouttest.Tokens) []string
	}{
		{"junk access token first", func(v signouttest.Tokens) []string {
			return []string{"at=eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "at=" + v.AccessToken, "rt=" + v.RefreshToken}
		}},
		{"junk refresh token first", func(v signouttest.Tokens) []string {
			return []string{"at=" + v.AccessToken, "rt=planted-junk", "rt=" + v.RefreshToken}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := signouttest.NewServer()
			t.Cleanup(srv.Close)
			store := revocation.New()
			h := newHandler(t, newClient(t, srv, recording(srv, store)...))
			v, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL), verify.WithRevocationStore(store))
			require.NoError(t, err)
			victim := srv.SignIn("alice")

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, post("", "", tc.cookies(victim)...))
			assert.Less(t, rec.Code, 300)
			_, err = v.Verify(context.Background(), victim.AccessToken)
			assert.ErrorIs(t, err, signout.ErrTokenRevoked, "the victim's session is refused at the API")
			assert.False(t, srv.Accepts(victim.RefreshToken), "and ended at Cognito")
		})
	}
}

// TestHandlerPlantedCookiesHang: seven planted pairs ahead of the victim's
// own, whose RevokeToken calls hang, do not use up the budget before the
// victim's session is reached: it is refused at the API when the handler
// answers, and its call is in the outbox.
func TestHandlerPlantedCookiesHang(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault("RevokeToken", signouttest.Fault{Mode: signouttest.Hang})
	store := revocation.New()
	client := newClient(t, srv, recording(srv, store)...)
	h := newHandler(t, client, signouthttp.WithTimeout(500*time.Millisecond))
	v, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL), verify.WithRevocationStore(store))
	require.NoError(t, err)
	victim := srv.SignIn("alice")
	var ats, rts []string
	for i := range 7 {
		ats = append(ats, fmt.Sprintf("at=planted.junk.%d", i))
		rts = append(rts, fmt.Sprintf("rt=planted-junk-%d", i))
	}
	cookies := append(append(ats, "at="+victim.AccessToken), append(rts, "rt="+victim.RefreshToken)...)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("", "", cookies...))
	_, err = v.Verify(context.Background(), victim.AccessToken)
	assert.ErrorIs(t, err, signout.ErrTokenRevoked, "the victim's session is refused at the API; answered %d", rec.Code)
	stats, err := client.(*signout.Client).OutboxStats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), stats.Queued, "the victim's call is queued; the planted ones, unverified, are not")
}

const albLogout = "https://auth.example.com/logout?client_id=c&logout_uri=https%3A%2F%2Fapp.example.com%2F"

// TestHandlerALB takes the tokens from the load balancer's header, ends all
// sessions, expires the load balancer's cookie shards the request carries
// and no others, and sends the browser to the managed login's logout.
func TestHandlerALB(t *testing.T) {
	for name, tc := range map[string]struct {
		opts    []signouthttp.Option
		headers map[string][]string
		cookies []string
		calls   []call
		expired []string
		secure  bool
	}{
		"one session": {
			headers: map[string][]string{"X-Amzn-Oidc-Accesstoken": {"AT1"}},
			cookies: []string{"AWSELBAuthSessionCookie-0=a", "AWSELBAuthSessionCookie-1=b", "theme=dark", "AWSELBAuthSessionCookie=x", "AWSELBAuthSessionCookie-x=y"},
			calls:   []call{{"AT1", "", signout.AllSessions}},
			expired: []string{"AWSELBAuthSessionCookie-0", "AWSELBAuthSessionCookie-1"},
		},
		"four shards behind HTTPS": {
			headers: map[string][]string{"X-Amzn-Oidc-Accesstoken": {"AT1"}, "X-Forwarded-Proto": {"https"}},
			cookies: []string{"AWSELBAuthSessionCookie-3=d", "AWSELBAuthSessionCookie-0=a", "AWSELBAuthSessionCookie-2=c", "AWSELBAuthSessionCookie-1=b"},
			calls:   []call{{"AT1", "", signout.AllSessions}},
			expired: []string{"AWSELBAuthSessionCookie-3", "AWSELBAuthSessionCookie-0", "AWSELBAuthSessionCookie-2", "AWSELBAuthSessionCookie-1"},
			secure:  true,
		},
		"bearer and token cookies are not read": {
			headers: map[string][]string{"Authorization": {"Bearer AT2"}},
			cookies: []string{"at=AT3", "AWSELBAuthSessionCookie-0=a"},
			expired: []string{"AWSELBAuthSessionCookie-0"},
		},
		"the cookie name of the listener rule": {
			opts:    []signouthttp.Option{signouthttp.WithALB("MyCookie", albLogout), signouthttp.WithClearCookies("sid")},
			headers: map[string][]string{"X-Amzn-Oidc-Accesstoken": {"AT1", "AT1"}},
			cookies: []string{"AWSELBAuthSessionCookie-0=a", "MyCookie-0=a", "sid=1"},
			calls:   []call{{"AT1", "", signout.AllSessions}},
			expired: []string{"MyCookie-0", "sid"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeClient{}
			opts := tc.opts
			if opts == nil {
				opts = []signouthttp.Option{signouthttp.WithALB("AWSELBAuthSessionCookie", albLogout)}
			}
			h, err := signouthttp.New(f, opts...)
			require.NoError(t, err)
			r := post("", "", tc.cookies...)
			for k, vs := range tc.headers {
				r.Header[k] = vs
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			assert.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, albLogout, rec.Header().Get("Location"))
			assert.Equal(t, tc.calls, f.Calls())
			assert.ElementsMatch(t, tc.expired, expired(rec.Result()))
			for _, c := range rec.Result().Cookies() {
				if strings.HasPrefix(c.Name, "AWSELBAuthSessionCookie-") {
					assert.Equal(t, "/", c.Path, c.Name)
					assert.Equal(t, tc.secure, c.Secure, c.Name)
				}
			}
		})
	}
}

// TestHandlerQueuesOnStandIn: with Cognito throttling every attempt, the
// session is recorded and its revocation queued: the answer (202) says the
// user is signed out, the API refuses the token at once, and the outbox
// ends the session at Cognito when it can.
func TestHandlerQueuesOnStandIn(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	store := revocation.New()
	client := newClient(t, srv, append(recording(srv, store), signout.WithRetryMaxAttempts(1))...)
	var hookEnded signout.Reach
	var hookErr error
	h := newHandler(t, client, signouthttp.WithOnError(func(_ *http.Request, ended signout.Reach, err error) { hookEnded, hookErr = ended, err }))
	v, err := verify.New(verify.WithPool(srv.Issuer, srv.ClientID), verify.WithEndpoint(srv.URL), verify.WithRevocationStore(store))
	require.NoError(t, err)
	alice := srv.SignIn("alice")
	srv.InjectFault("RevokeToken", signouttest.Fault{Mode: signouttest.ErrorReply, Code: "TooManyRequestsException", Message: "Rate exceeded", Times: 1})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("", "", "at="+alice.AccessToken, "rt="+alice.RefreshToken))
	assert.Equal(t, http.StatusAccepted, rec.Code)
	assert.ElementsMatch(t, []string{"at", "rt"}, expired(rec.Result()))
	assert.Equal(t, signout.ThisSession, hookEnded)
	assert.ErrorIs(t, hookErr, signout.ErrQueued)
	_, err = v.Verify(context.Background(), alice.AccessToken)
	assert.ErrorIs(t, err, signout.ErrTokenRevoked, "refused at the API")
	require.Eventually(t, func() bool { return !srv.Accepts(alice.RefreshToken) }, 10*time.Second, 20*time.Millisecond,
		"ended at Cognito")
}

// TestHandlerALBOnStandIn logs out through a real Client of a session the
// stand-in load balancer forwards: the access token is signed out.
func TestHandlerALBOnStandIn(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	lb := signouttest.NewALB(srv, http.NotFoundHandler())
	t.Cleanup(lb.Close)
	h, err := signouthttp.New(newClient(t, srv), signouthttp.WithALB("AWSELBAuthSessionCookie", lb.LogoutURL(lb.URL+"/")))
	require.NoError(t, err)
	alice := srv.SignIn("alice")
	phone := srv.SignIn("alice")
	r := post("", "", "AWSELBAuthSessionCookie-0=a", "AWSELBAuthSessionCookie-1=b")
	for k, vs := range lb.Headers(alice) {
		r.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, lb.LogoutURL(lb.URL+"/"), rec.Header().Get("Location"))
	assert.Equal(t, 1, srv.Requests("GlobalSignOut"))
	assert.False(t, srv.Accepts(alice.AccessToken))
	assert.False(t, srv.Accepts(phone.RefreshToken), "all sessions")
}

// TestHandlerALBWithoutAdminScope: a load balancer that asks for "openid"
// alone forwards an access token GlobalSignOut refuses. The logout still
// expires the cookies and ends the managed login's session, and the hook
// hears why Cognito's sessions live on.
func TestHandlerALBWithoutAdminScope(t *testing.T) {
	srv := signouttest.NewServer()
	t.Cleanup(srv.Close)
	lb := signouttest.NewALB(srv, nil, signouttest.ALBScope("openid"))
	t.Cleanup(lb.Close)
	var hookErr error
	h, err := signouthttp.New(newClient(t, srv), signouthttp.WithALB("AWSELBAuthSessionCookie", lb.LogoutURL(lb.URL+"/")),
		signouthttp.WithOnError(func(_ *http.Request, _ signout.Reach, err error) { hookErr = err }))
	require.NoError(t, err)
	tokens := srv.SignIn("alice", signouttest.Claims{"scope": "openid"})
	r := post("", "", "AWSELBAuthSessionCookie-0=a")
	for k, vs := range lb.Headers(tokens) {
		r.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, lb.LogoutURL(lb.URL+"/"), rec.Header().Get("Location"))
	assert.Equal(t, []string{"AWSELBAuthSessionCookie-0"}, expired(rec.Result()))
	assert.ErrorIs(t, hookErr, signout.ErrMissingScope)
	assert.Zero(t, srv.Requests("GlobalSignOut"), "refused before any request: Cognito's sessions live on without the admin path")
}
