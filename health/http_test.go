package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

type response struct {
	Code        int
	ContentType string
	Cache       string
	Body        string
}

func do(h http.Handler, method, target string, hdr ...string) response {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return response{w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"), w.Body.String()}
}

func TestHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var authCalls atomic.Int32
		c := mustNew(t, Settings{
			Authorize: func(r *http.Request) bool {
				authCalls.Add(1)
				return r.Header.Get("X-Admin") == "yes"
			},
			Checks: []Check{
				{Name: "beat", Func: pass, Groups: []string{GroupLive, GroupReady}},
				{Name: "db", Func: func(context.Context) (Result, error) {
					return Result{Status: StatusWarn, Output: "pool busy", Measurement: "connections", Value: 9, Unit: "connections"}, nil
				}},
				{Name: "cache", Func: script(StatusFail), Optional: true},
				{Name: "queue", Func: script(StatusFail), Groups: []string{"extra"}},
				{Name: "never", Func: pass, Groups: []string{"extra"}, Optional: true},
			},
		})
		for _, n := range []string{"beat", "db", "cache", "queue"} {
			runOnce(t, c, n)
		}
		mux := http.NewServeMux()
		c.Mount(mux, "/ops/")
		const (
			js   = ContentType
			txt  = "text/plain; charset=utf-8"
			prob = "application/problem+json"
		)
		admin := []string{"X-Admin", "yes"}
		tests := []struct {
			name   string
			method string
			target string
			hdr    []string
			want   response
		}{
			{"live", "GET", "/ops/livez", nil, response{200, js, "no-store", `{"status":"pass"}` + "\n"}},
			{"ready warns", "GET", "/ops/readyz", nil, response{200, js, "no-store", `{"status":"warn"}` + "\n"}},
			{"head", "HEAD", "/ops/readyz", nil, response{200, js, "no-store", ""}},
			{"startup empty", "GET", "/ops/startupz", nil, response{200, js, "no-store", `{"status":"pass"}` + "\n"}},
			{"named", "GET", "/ops/health/extra", nil, response{503, js, "no-store", `{"status":"fail"}` + "\n"}},
			{"text", "GET", "/ops/readyz", []string{"Accept", "text/plain"}, response{200, txt, "no-store", "warn\n"}},
			{"verbose anonymous", "GET", "/ops/readyz?verbose", nil, response{200, js, "no-store", `{"status":"warn"}` + "\n"}},
			{"verbose not admin", "GET", "/ops/readyz?verbose", []string{"X-Admin", "no"}, response{200, js, "no-store", `{"status":"warn"}` + "\n"}},
			{"verbose admin", "GET", "/ops/readyz?verbose", admin, response{200, js, "no-store",
				`{"status":"warn","checks":{` +
					`"beat:responseTime":[{"status":"pass","observedValue":0,"observedUnit":"ms","time":"2000-01-01T00:00:00Z"}],` +
					`"cache:responseTime":[{"status":"fail","observedValue":0,"observedUnit":"ms","time":"2000-01-01T00:00:00Z","output":"boom"}],` +
					`"db:connections":[{"status":"warn","observedValue":9,"observedUnit":"connections","time":"2000-01-01T00:00:00Z","output":"pool busy"}]}}` + "\n"}},
			{"verbose admin text", "GET", "/ops/readyz?verbose=1", append([]string{"Accept", "text/plain"}, admin...), response{200, txt, "no-store",
				"[+]beat pass\n[+]db warn: pool busy\n[-]cache fail: boom\nready check passed: warn\n"}},
			{"named verbose text", "GET", "/ops/health/extra?verbose", append([]string{"Accept", "text/plain"}, admin...), response{503, txt, "no-store",
				"[-]queue fail: boom\n[-]never unknown: not run yet\nextra check failed: fail\n"}},
			{"exclude", "GET", "/ops/readyz?exclude=db&exclude=cache", nil, response{200, js, "no-store", `{"status":"pass"}` + "\n"}},
			{"exclude text", "GET", "/ops/health/extra?exclude=queue", []string{"Accept", "text/plain"}, response{200, txt, "no-store", "pass\n"}},
			{"exclude verbose", "GET", "/ops/readyz?exclude=db&exclude=beat&verbose", admin, response{200, js, "no-store",
				`{"status":"warn","checks":{"cache:responseTime":[{"status":"fail","observedValue":0,"observedUnit":"ms","time":"2000-01-01T00:00:00Z","output":"boom"}]}}` + "\n"}},
			{"exclude verbose text", "GET", "/ops/readyz?exclude=db&exclude=cache&verbose", append([]string{"Accept", "text/plain"}, admin...), response{200, txt, "no-store",
				"[+]beat pass\nready check passed: pass\n"}},
			{"check", "GET", "/ops/readyz/db", nil, response{200, js, "no-store", `{"status":"warn"}` + "\n"}},
			{"optional check fails alone", "GET", "/ops/readyz/cache", []string{"Accept", "text/plain"}, response{503, txt, "no-store", "fail\n"}},
			{"check verbose", "GET", "/ops/readyz/db?verbose", admin, response{200, js, "no-store",
				`{"status":"warn","output":"pool busy","checks":{"db:connections":[{"status":"warn","observedValue":9,"observedUnit":"connections","time":"2000-01-01T00:00:00Z","output":"pool busy"}]}}` + "\n"}},
			{"check verbose text", "GET", "/ops/readyz/db?verbose", append([]string{"Accept", "text/plain"}, admin...), response{200, txt, "no-store", "[+]db warn: pool busy\n"}},
			{"check not in group", "GET", "/ops/livez/db", nil, response{404, prob, "no-store",
				`{"type":"about:blank","title":"Not Found","status":404,"detail":"no such check in this group"}` + "\n"}},
			{"no such check", "GET", "/ops/livez/nope", nil, response{404, prob, "no-store",
				`{"type":"about:blank","title":"Not Found","status":404,"detail":"no such check in this group"}` + "\n"}},
		}
		for _, tt := range tests {
			// t.Run is not allowed in a bubble: name the case in the message.
			if diff := cmp.Diff(tt.want, do(mux, tt.method, tt.target, tt.hdr...)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
		before := authCalls.Load()
		for range 5 {
			do(mux, "GET", "/ops/readyz")
			do(mux, "GET", "/ops/readyz?exclude=db")
		}
		if n := authCalls.Load(); n != before {
			t.Errorf("authorizer called %d times without ?verbose", n-before)
		}
		// Methods other than GET and HEAD, when the handler is used directly.
		got := do(c.Handler(GroupReady), "POST", "/readyz")
		if got.Code != 405 || got.ContentType != prob {
			t.Errorf("POST: %+v", got)
		}
		got = do(c.CheckHandler(GroupReady), "DELETE", "/readyz/db")
		if got.Code != 405 {
			t.Errorf("DELETE: %+v", got)
		}
		// Draining.
		c.Drain()
		if diff := cmp.Diff(response{503, txt, "no-store", "[+]beat pass\n[+]db warn: pool busy\n[-]cache fail: boom\ndraining\nready check failed: fail\n"},
			do(mux, "GET", "/ops/readyz?verbose", append([]string{"Accept", "text/plain"}, admin...)...)); diff != "" {
			t.Errorf("draining (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(response{503, js, "no-store", `{"status":"fail","output":"draining"}` + "\n"},
			do(mux, "GET", "/ops/readyz?exclude=cache&exclude=db&exclude=beat&verbose", admin...)); diff != "" {
			t.Errorf("draining excluded (-want +got):\n%s", diff)
		}
	})
}

func TestHandlerUnknownGroupPanics(t *testing.T) {
	c := mustNew(t, Settings{})
	for _, f := range []func(string) http.Handler{c.Handler, c.CheckHandler} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for an unknown group")
				}
			}()
			f("nope")
		}()
	}
}

func TestStartupLatchWithExclude(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Checks: []Check{
			{Name: "init", Func: script(StatusPass, StatusFail), Groups: []string{GroupStartup}},
			{Name: "other", Func: script(StatusFail), Groups: []string{GroupStartup}, Optional: true},
		}})
		runOnce(t, c, "init")
		runOnce(t, c, "init")
		if got := do(c.Handler(GroupStartup), "GET", "/startupz?exclude=other").Code; got != 200 {
			t.Errorf("latched startup with exclude: %d", got)
		}
	})
}

func TestStaleMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		fn := func(ctx context.Context) (Result, error) {
			n := runs.Add(1)
			<-time.After(time.Second)
			if n == 2 {
				return Fail("second run fails"), nil
			}
			return Pass(), nil
		}
		c := mustNew(t, Settings{Checks: []Check{{Name: "s", Mode: Stale, TTL: 10 * time.Second, Func: fn}}})
		h := c.Handler(GroupReady)
		start := time.Now()
		// The first probe has nothing to serve: it waits.
		if got := do(h, "GET", "/readyz"); got.Code != 200 || time.Since(start) != time.Second {
			t.Errorf("first probe: %+v after %v", got, time.Since(start))
		}
		advance(10 * time.Second)
		// Stale: served at once from the last result, refreshed behind.
		mark := time.Now()
		if got := do(h, "GET", "/readyz"); got.Code != 200 || time.Since(mark) != 0 {
			t.Errorf("stale probe: %+v after %v", got, time.Since(mark))
		}
		advance(time.Second)
		if got := do(h, "GET", "/readyz").Code; got != 503 || runs.Load() != 2 {
			t.Errorf("after refresh: %d, runs %d", got, runs.Load())
		}
		// A per-check probe refreshes too.
		advance(10 * time.Second)
		mux := http.NewServeMux()
		c.Mount(mux, "")
		do(mux, "GET", "/readyz/s")
		advance(time.Second)
		if runs.Load() != 3 {
			t.Errorf("runs = %d, want 3", runs.Load())
		}
	})
}

func TestProbeContextCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Checks: []Check{{Name: "slow", Mode: OnDemand, Func: func(ctx context.Context) (Result, error) {
			<-ctx.Done()
			return Result{}, ctx.Err()
		}}}})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		r := httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil)
		w := httptest.NewRecorder()
		c.Handler(GroupReady).ServeHTTP(w, r)
		if w.Code != 503 || !strings.Contains(w.Body.String(), "unknown") {
			t.Errorf("probe gone before the check: %d %s", w.Code, w.Body.String())
		}
		advance(5 * time.Second)
	})
}
