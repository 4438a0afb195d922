package agenthttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenthttp"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/ledger"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type sizeIn struct {
	Height int `json:"height" validate:"required,gt=0"`
}
type sizeOut struct {
	Size string `json:"size"`
}

type fixture struct {
	reg *agent.Registry
	led *agenttest.Ledger
	h   *agenthttp.Handler
}

type healthy struct {
	*agent.FuncAgent[sizeIn, sizeOut]
	err error
}

func (h *healthy) CheckHealth(context.Context) error { return h.err }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	led := agenttest.NewLedger()
	reg, err := agent.New(agent.Settings{Ledger: led})
	if err != nil {
		t.Fatal(err)
	}
	size := agent.Func(agent.Info{Name: "size", Kind: "ml", Capabilities: []string{"recommend"}}, func(ctx context.Context, in sizeIn) (sizeOut, error) {
		switch {
		case in.Height == 999:
			return sizeOut{}, errors.New("db password=hunter2 leaked")
		case in.Height == 998:
			panic("secret panic")
		case in.Height == 997:
			return sizeOut{}, agent.Public(agent.KindUnavailable, "model is warming up", nil)
		}
		return sizeOut{Size: "m"}, nil
	})
	mustReg(t, reg, agent.Agent[sizeIn, sizeOut](size), agent.Options{})
	mustReg(t, reg, agent.Agent[sizeIn, sizeOut](&healthy{FuncAgent: agent.Func(agent.Info{Name: "sick"}, size.Fn), err: errors.New("secret db down")}), agent.Options{})
	mustReg(t, reg, agent.Agent[sizeIn, sizeOut](agent.Func(agent.Info{Name: "off"}, size.Fn)), agent.Options{Disabled: true})
	mustReg(t, reg, agent.Agent[sizeIn, sizeOut](agent.Func(agent.Info{Name: "tripped"}, size.Fn)),
		agent.Options{Policy: agent.Policy{Breaker: &breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: 90 * time.Second}}})
	h, err := agenthttp.New(reg, agenthttp.Settings{MaxBodyBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{reg: reg, led: led, h: h}
}

func mustReg[I, O any](t *testing.T, reg *agent.Registry, a agent.Agent[I, O], o agent.Options) {
	t.Helper()
	if _, err := agent.Register(reg, a, o); err != nil {
		t.Fatal(err)
	}
}

func do(h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRoutes(t *testing.T) {
	f := newFixture(t)
	// trip the breaker of "tripped"
	do(f.h, "POST", "/agents/tripped/run", `{"height":999}`)
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		ctype                    string
		contains                 []string
	}{
		{"list", "GET", "/agents", "", nil, 200, "application/json", []string{`"name":"size"`, `"capabilities":["recommend"]`, `"status":"degraded"`, `"status":"disabled"`}},
		{"describe", "GET", "/agents/size", "", nil, 200, "application/json", []string{`"input":{"type":"object","properties":{"height":{"type":"integer"}},"required":["height"]}`, `"status":"idle"`}},
		{"describe missing", "GET", "/agents/nope", "", nil, 404, "application/problem+json", []string{`"detail":"no such agent"`}},
		{"run", "POST", "/agents/size/run", `{"height":180}`, []string{"Content-Type", "application/json; charset=utf-8"}, 200, "application/json", []string{`"output":{"size":"m"}`, `"outcome":"success"`, `"attempts":1`}},
		{"run invalid", "POST", "/agents/size/run", `{"height":0}`, nil, 400, "application/problem+json", []string{`"detail":"invalid input: height: required"`, `"id":"`}},
		{"run unknown field", "POST", "/agents/size/run", `{"height":1,"x":2}`, nil, 400, "application/problem+json", []string{"unknown field"}},
		{"run trailing", "POST", "/agents/size/run", `{"height":1}x`, nil, 400, "application/problem+json", []string{"data after"}},
		{"run too large", "POST", "/agents/size/run", `{"height":1` + strings.Repeat(" ", 100) + `}`, nil, 413, "application/problem+json", []string{"exceeds 64 bytes"}},
		{"run media type", "POST", "/agents/size/run", `{}`, []string{"Content-Type", "text/plain"}, 415, "application/problem+json", nil},
		{"run internal", "POST", "/agents/size/run", `{"height":999}`, nil, 500, "application/problem+json", []string{`"detail":"the agent failed"`, `"type":"urn:devskyy:problem:agent:internal"`}},
		{"run panic", "POST", "/agents/size/run", `{"height":998}`, nil, 500, "application/problem+json", []string{`"detail":"the agent failed"`}},
		{"run public", "POST", "/agents/size/run", `{"height":997}`, nil, 503, "application/problem+json", []string{`"detail":"model is warming up"`, `"retry_after":1`}},
		{"run disabled", "POST", "/agents/off/run", `{"height":1}`, nil, 503, "application/problem+json", []string{"disabled"}},
		{"run breaker", "POST", "/agents/tripped/run", `{"height":1}`, nil, 503, "application/problem+json", []string{"breaker-open"}},
		{"run missing", "POST", "/agents/nope/run", `{}`, nil, 404, "application/problem+json", nil},
		{"health", "GET", "/agents/size/health", "", nil, 200, "application/health+json", []string{`"status":"pass"`}},
		{"health sick", "GET", "/agents/sick/health", "", nil, 503, "application/health+json", []string{`"status":"fail"`, `"description":"error"`}},
		{"health degraded", "GET", "/agents/tripped/health", "", nil, 200, "application/health+json", []string{`"status":"warn"`}},
		{"health missing", "GET", "/agents/nope/health", "", nil, 404, "application/problem+json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(f.h, tt.method, tt.path, tt.body, tt.hdr...)
			if rec.Code != tt.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.ctype) {
				t.Errorf("got %d %s, want %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.ctype, rec.Body)
			}
			for _, c := range tt.contains {
				if !strings.Contains(rec.Body.String(), c) {
					t.Errorf("body lacks %s: %s", c, rec.Body)
				}
			}
			for _, secret := range []string{"hunter2", "secret"} {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("body leaks %q: %s", secret, rec.Body)
				}
			}
		})
	}
	if ra := do(f.h, "POST", "/agents/tripped/run", `{"height":1}`).Header().Get("Retry-After"); ra != "90" && ra != "99" && ra < "81" {
		t.Errorf("Retry-After = %q", ra)
	}
}

func TestExecutionIDFindsLedgerEntry(t *testing.T) {
	f := newFixture(t)
	rec := do(f.h, "POST", "/agents/size/run", `{"height":999}`, "X-Request-Id", "req-42")
	var p struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	id, err := ledger.ParseID(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.led.Find(id)
	if !ok || e.RequestID != "req-42" || !strings.Contains(e.Attrs[len(e.Attrs)-1].Value.String(), "hunter2") {
		t.Errorf("entry = %+v", e)
	}
}

func TestRoutesList(t *testing.T) {
	f := newFixture(t)
	var got []string
	for _, r := range f.h.Routes() {
		got = append(got, r.Method+" "+r.Pattern)
	}
	want := []string{"GET /agents", "GET /agents/{name}", "POST /agents/{name}/run", "GET /agents/{name}/health"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// handlers used without a pattern still find the name
	rec := httptest.NewRecorder()
	f.h.Execute().ServeHTTP(rec, httptest.NewRequest("POST", "/agents/size/run", strings.NewReader(`{"height":1}`)))
	if rec.Code != 200 {
		t.Errorf("direct execute = %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	f.h.Describe().ServeHTTP(rec, httptest.NewRequest("GET", "/agents/a/b", nil))
	if rec.Code != 404 {
		t.Errorf("nested = %d", rec.Code)
	}
	if rec := do(f.h, "HEAD", "/agents", ""); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("head = %d %q", rec.Code, rec.Body)
	}
}

func TestNewErrors(t *testing.T) {
	reg, _ := agent.New(agent.Settings{})
	for _, tt := range []struct {
		reg *agent.Registry
		s   agenthttp.Settings
	}{
		{nil, agenthttp.Settings{}},
		{reg, agenthttp.Settings{MaxBodyBytes: -1}},
		{reg, agenthttp.Settings{Prefix: "agents"}},
		{reg, agenthttp.Settings{Prefix: "/agents/"}},
		{reg, agenthttp.Settings{Prefix: "/{x}"}},
	} {
		if _, err := agenthttp.New(tt.reg, tt.s); err == nil {
			t.Errorf("New(%+v) succeeded", tt.s)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err    error
		status int
		retry  string
	}{
		{errors.New("plain secret"), 500, ""},
		{&agent.Error{Kind: agent.KindOverloaded, RetryAfter: 1500 * time.Millisecond}, 429, "2"},
		{&agent.Error{Kind: agent.KindTimeout}, 504, ""},
		{&agent.Error{Kind: agent.KindCanceled}, 499, ""},
		{&agent.Error{Kind: agent.Kind(77)}, 500, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		agenthttp.WriteError(rec, httptest.NewRequest("GET", "/", nil), tt.err)
		if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retry || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("%v: %d %q %s", tt.err, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
}

// errReader fails like a client that vanished mid-body.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestBodyReadError(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest("POST", "/agents/size/run", errReader{}))
	if rec.Code != agent.StatusClientClosedRequest {
		t.Errorf("code = %d", rec.Code)
	}
}

func TestClientDisconnect(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	reg, _ := agent.New(agent.Settings{})
	started := make(chan struct{})
	finished := make(chan error, 1)
	mustReg(t, reg, agent.Agent[sizeIn, sizeOut](agent.Func(agent.Info{Name: "slow"}, func(ctx context.Context, _ sizeIn) (sizeOut, error) {
		close(started)
		<-ctx.Done()
		finished <- ctx.Err()
		return sizeOut{}, ctx.Err()
	})), agent.Options{})
	h, _ := agenthttp.New(reg, agenthttp.Settings{})
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/agents/slow/run", strings.NewReader(`{"height":1}`))
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client err = %v", err)
	}
	if err := <-finished; !errors.Is(err, context.Canceled) {
		t.Errorf("agent saw %v", err)
	}
	srv.Close()
	if err := reg.Close(t.Context()); err != nil {
		t.Error(err)
	}
}
