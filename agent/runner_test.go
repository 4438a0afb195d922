package agent_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/ledger"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type in struct {
	Name string `json:"name" validate:"required"`
	N    int    `json:"n" validate:"gte=0,lte=10"`
}

type out struct {
	Greeting string `json:"greeting"`
}

var errBoom = errors.New("boom: secret-token-123")

func newReg(t *testing.T, s agent.Settings) (*agent.Registry, *agenttest.Ledger) {
	t.Helper()
	led := agenttest.NewLedger()
	if s.Ledger == nil {
		s.Ledger = led
	}
	reg, err := agent.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return reg, led
}

func register[I, O any](t *testing.T, reg *agent.Registry, a agent.Agent[I, O], p agent.Policy) *agent.Handle[I, O] {
	t.Helper()
	h, err := agent.Register(reg, a, agent.Options{Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type runSummary struct {
	Outcome  agent.Outcome
	Kind     string
	Attempts int
	Entries  int
	Output   string
	Public   string
}

func summarise(r agent.Result[out], led *agenttest.Ledger) runSummary {
	s := runSummary{Outcome: r.Outcome, Attempts: r.Attempts, Entries: len(led.Entries()), Output: r.Output.Greeting}
	var ae *agent.Error
	if errors.As(r.Err, &ae) {
		s.Kind = ae.Kind.String()
		s.Public = ae.PublicMessage()
	}
	return s
}

func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	ok := agenttest.Step[out]{Output: out{"hi"}}
	fail := agenttest.Step[out]{Err: errBoom}
	slow := agenttest.Step[out]{Delay: time.Hour}
	tests := []struct {
		name   string
		policy agent.Policy
		steps  []agenttest.Step[out]
		input  in
		want   runSummary
	}{
		{"success", agent.Policy{}, []agenttest.Step[out]{ok}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeSuccess, Attempts: 1, Output: "hi"}},
		{"internal error", agent.Policy{}, []agenttest.Step[out]{fail}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeFailed, Kind: "internal", Attempts: 1, Entries: 1, Public: "the agent failed"}},
		{"retry then success", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{fail, fail, ok}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeSuccess, Attempts: 3, Output: "hi"}},
		{"retries exhausted", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{fail}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeFailed, Kind: "internal", Attempts: 3, Entries: 1, Public: "the agent failed"}},
		{"permanent not retried", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{{Err: fmt.Errorf("x: %w", agent.Permanent(errBoom))}}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeFailed, Kind: "internal", Attempts: 1, Entries: 1, Public: "the agent failed"}},
		{"public error kept", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{{Err: agent.Public(agent.KindInvalidInput, "unknown sku", errBoom)}}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeRejected, Kind: "invalid input", Attempts: 1, Entries: 1, Public: "unknown sku"}},
		{"panic not retried", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{{Panic: "secret-token-123"}}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeFailed, Kind: "panic", Attempts: 1, Entries: 1, Public: "the agent failed"}},
		{"invalid input", agent.Policy{MaxAttempts: 3}, []agenttest.Step[out]{ok}, in{N: 11},
			runSummary{Outcome: agent.OutcomeRejected, Kind: "invalid input", Entries: 1, Public: "invalid input: name: required; n: lte"}},
		{"attempt timeout retried", agent.Policy{MaxAttempts: 2, Timeout: time.Second}, []agenttest.Step[out]{slow, ok}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeSuccess, Attempts: 2, Output: "hi"}},
		{"attempt timeout", agent.Policy{Timeout: time.Second}, []agenttest.Step[out]{slow}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeTimedOut, Kind: "timeout", Attempts: 1, Entries: 1, Public: "the agent timed out"}},
		{"total timeout cuts retries", agent.Policy{MaxAttempts: 10, Timeout: time.Second, TotalTimeout: 2500 * time.Millisecond,
			Backoff: agent.Backoff{Initial: time.Second, Jitter: -1}}, []agenttest.Step[out]{slow}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeTimedOut, Kind: "timeout", Attempts: 2, Entries: 1, Public: "the agent timed out"}},
		{"total timeout single attempt", agent.Policy{Timeout: time.Hour, TotalTimeout: time.Second}, []agenttest.Step[out]{slow}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeTimedOut, Kind: "timeout", Attempts: 1, Entries: 1, Public: "the agent timed out"}},
		{"retry if vetoes", agent.Policy{MaxAttempts: 3, RetryIf: func(*agent.Error) bool { return false }}, []agenttest.Step[out]{fail}, in{Name: "a"},
			runSummary{Outcome: agent.OutcomeFailed, Kind: "internal", Attempts: 1, Entries: 1, Public: "the agent failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg, led := newReg(t, agent.Settings{})
				h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "greeter"}, tt.steps...), tt.policy)
				res := h.Run(t.Context(), tt.input)
				if diff := cmp.Diff(tt.want, summarise(res, led)); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
				if res.Err != nil {
					e, ok := led.Find(res.ID)
					if !ok {
						t.Fatalf("no ledger entry with the execution id")
					}
					if e.Component != "greeter" || !strings.HasPrefix(e.Type, "agent.") || (tt.want.Kind == "panic") != (e.Stack != "") {
						t.Errorf("entry = %+v", e)
					}
					var ae *agent.Error
					errors.As(res.Err, &ae)
					if ae.ID != res.ID || ae.Agent != "greeter" {
						t.Errorf("error ids = %v %q", ae.ID, ae.Agent)
					}
				}
			})
		})
	}
}

func TestTimeoutAttribution(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "slow"}, agenttest.Step[out]{Delay: time.Hour}), agent.Policy{Timeout: time.Minute})
		_, err := h.Call(t.Context(), in{Name: "a"})
		if !errors.Is(err, agent.KindTimeout) || !errors.Is(err, agent.ErrAgentDeadline) || errors.Is(err, agent.ErrCallerDeadline) {
			t.Errorf("agent deadline: %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = h.Call(ctx, in{Name: "a"})
		if !errors.Is(err, agent.KindTimeout) || !errors.Is(err, agent.ErrCallerDeadline) || errors.Is(err, agent.ErrAgentDeadline) {
			t.Errorf("caller deadline: %v", err)
		}
		if got := agent.HTTPStatus(err); got != http.StatusGatewayTimeout {
			t.Errorf("status = %d", got)
		}
	})
}

func TestCallerCancelsMidRun(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, led := newReg(t, agent.Settings{})
		a := agenttest.New[in, out](agent.Info{Name: "slow"}, agenttest.Step[out]{Delay: time.Hour})
		h := register(t, reg, a, agent.Policy{MaxAttempts: 5, Timeout: 2 * time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		var res agent.Result[out]
		done := make(chan struct{})
		go func() { res = h.Run(ctx, in{Name: "a"}); close(done) }()
		synctest.Wait()
		cancel()
		<-done
		if res.Outcome != agent.OutcomeCanceled || !errors.Is(res.Err, agent.KindCanceled) || res.Attempts != 1 {
			t.Errorf("res = %+v", res)
		}
		if agent.HTTPStatus(res.Err) != agent.StatusClientClosedRequest {
			t.Errorf("status = %d", agent.HTTPStatus(res.Err))
		}
		if n := len(led.Entries()); n != 1 {
			t.Errorf("entries = %d", n)
		}
	})
}

func TestCancelDuringBackoff(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "f"}, agenttest.Step[out]{Err: errBoom}),
			agent.Policy{MaxAttempts: 5, Backoff: agent.Backoff{Initial: time.Minute, Max: time.Minute}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan agent.Result[out])
		go func() { done <- h.Run(ctx, in{Name: "a"}) }()
		synctest.Wait()
		cancel()
		res := <-done
		if res.Outcome != agent.OutcomeCanceled || res.Attempts != 1 {
			t.Errorf("res = %+v", res)
		}
		// total timeout expiring during the sleep
		h2 := register(t, reg, agenttest.New[in, out](agent.Info{Name: "g"}, agenttest.Step[out]{Err: errBoom}),
			agent.Policy{MaxAttempts: 5, TotalTimeout: 90 * time.Second, Backoff: agent.Backoff{Initial: time.Minute, Max: time.Minute, Jitter: -1}})
		res = h2.Run(t.Context(), in{Name: "a"})
		if res.Outcome != agent.OutcomeFailed || res.Attempts != 2 {
			t.Errorf("res = %+v", res)
		}
	})
}

func TestBreakerAndFallback(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		var transitions []string
		var mu sync.Mutex
		reg, led := newReg(t, agent.Settings{Hooks: agent.Hooks{OnBreaker: func(_ context.Context, name string, e breaker.Event) {
			mu.Lock()
			transitions = append(transitions, name+":"+e.To.String())
			mu.Unlock()
		}}})
		a := agenttest.New[in, out](agent.Info{Name: "flaky"}, agenttest.Step[out]{Err: errBoom})
		fa := agent.Func(agent.Info{Name: "flaky"}, a.Execute)
		fa.Fallback = func(ctx context.Context, _ in, cause error) (out, error) {
			if errors.Is(cause, agent.KindBreakerOpen) {
				return out{"cached"}, nil
			}
			return out{}, cause
		}
		h := register(t, reg, fa, agent.Policy{Breaker: &breaker.Settings{ConsecutiveFailures: 2, OpenTimeout: time.Minute}})
		for range 2 {
			if res := h.Run(t.Context(), in{Name: "a"}); res.Outcome != agent.OutcomeFailed {
				t.Fatalf("res = %+v", res)
			}
		}
		if d, _ := reg.Describe("flaky"); d.Status != agent.StatusDegraded || d.Breaker != "open" {
			t.Errorf("describe = %+v", d)
		}
		res := h.Run(t.Context(), in{Name: "a"})
		if res.Outcome != agent.OutcomeDegraded || res.Output.Greeting != "cached" || res.Err != nil || res.Attempts != 0 {
			t.Errorf("degraded = %+v", res)
		}
		if a.Calls() != 2 {
			t.Errorf("calls = %d", a.Calls())
		}
		if n := len(led.Entries()); n != 3 {
			t.Errorf("entries = %d", n)
		}
		mu.Lock()
		if diff := cmp.Diff([]string{"flaky:open"}, transitions); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		mu.Unlock()
	})
}

func TestBreakerOpenError(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{Default: agent.Policy{Breaker: &breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Minute, OpenJitter: -1}}})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "x"}, agenttest.Step[out]{Err: errBoom}), agent.Policy{MaxAttempts: 3,
			Backoff: agent.Backoff{Initial: time.Millisecond, Max: time.Millisecond}})
		res := h.Run(t.Context(), in{Name: "a"})
		var ae *agent.Error
		if !errors.As(res.Err, &ae) || ae.Kind != agent.KindBreakerOpen || ae.RetryAfter <= 0 || res.Attempts != 1 || ae.Attempts != 1 {
			t.Fatalf("res = %+v err = %v", res, res.Err)
		}
		if !errors.Is(res.Err, breaker.ErrOpen) || agent.HTTPStatus(res.Err) != 503 {
			t.Errorf("err = %v", res.Err)
		}
	})
}

func TestConcurrencyLimit(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{})
		a := agenttest.New[in, out](agent.Info{Name: "busy"}, agenttest.Step[out]{Delay: time.Minute, Output: out{"ok"}})
		h := register(t, reg, a, agent.Policy{MaxInFlight: 1, MaxQueued: 1, QueueTimeout: 30 * time.Second})
		results := make(chan agent.Result[out], 3)
		for range 2 {
			go func() { results <- h.Run(t.Context(), in{Name: "a"}) }()
		}
		synctest.Wait()
		if d, _ := reg.Describe("busy"); d.Status != agent.StatusProcessing || d.InFlight != 2 {
			t.Errorf("describe = %+v", d)
		}
		// third: the queue is full
		r3 := h.Run(t.Context(), in{Name: "a"})
		if !errors.Is(r3.Err, agent.KindOverloaded) || r3.Outcome != agent.OutcomeRejected || agent.HTTPStatus(r3.Err) != 429 {
			t.Errorf("r3 = %+v", r3)
		}
		got := []agent.Outcome{(<-results).Outcome, (<-results).Outcome}
		// the queued one timed out after 30s while the first ran for a minute
		if diff := cmp.Diff([]agent.Outcome{agent.OutcomeRejected, agent.OutcomeSuccess}, got); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		// queued and then served
		h2 := register(t, reg, agenttest.New[in, out](agent.Info{Name: "busy2"}, agenttest.Step[out]{Delay: time.Second}), agent.Policy{MaxInFlight: 1, MaxQueued: 5})
		for range 2 {
			go func() { results <- h2.Run(t.Context(), in{Name: "a"}) }()
		}
		r1, r2 := <-results, <-results
		if r1.Err != nil || r2.Err != nil || max(r1.QueueWait, r2.QueueWait) != time.Second {
			t.Errorf("r1 = %+v r2 = %+v", r1, r2)
		}
		// queued then caller cancels
		ctx, cancel := context.WithCancel(t.Context())
		go func() { results <- h2.Run(t.Context(), in{Name: "a"}) }()
		synctest.Wait()
		go func() { results <- h2.Run(ctx, in{Name: "a"}) }()
		synctest.Wait()
		cancel()
		for range 2 {
			<-results
		}
		// no queue: rejected at once, degraded when the agent has a fallback
		fa := agent.Func(agent.Info{Name: "solo"}, a.Execute)
		fa.Fallback = func(context.Context, in, error) (out, error) { return out{"later"}, nil }
		h3 := register(t, reg, fa, agent.Policy{MaxInFlight: 1})
		go func() { results <- h3.Run(t.Context(), in{Name: "a"}) }()
		synctest.Wait()
		if r := h3.Run(t.Context(), in{Name: "a"}); r.Outcome != agent.OutcomeDegraded || r.Output.Greeting != "later" {
			t.Errorf("r = %+v", r)
		}
		<-results
	})
}

func TestFlagsAndLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		off := map[string]bool{"flagged": true}
		var rejects int
		reg, _ := newReg(t, agent.Settings{
			Enabled: func(_ context.Context, name string) bool { return !off[name] },
			Hooks:   agent.Hooks{OnReject: func(context.Context, agent.Event) { rejects++ }},
		})
		flagged := register(t, reg, agenttest.New[in, out](agent.Info{Name: "flagged"}), agent.Policy{})
		plain := register(t, reg, agenttest.New[in, out](agent.Info{Name: "plain"}), agent.Policy{})
		if _, err := flagged.Call(t.Context(), in{Name: "a"}); !errors.Is(err, agent.KindDisabled) || agent.HTTPStatus(err) != 503 {
			t.Errorf("flagged: %v", err)
		}
		if err := reg.SetEnabled("plain", false); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.Call(t.Context(), in{Name: "a"}); !errors.Is(err, agent.KindDisabled) {
			t.Errorf("plain: %v", err)
		}
		if d, _ := reg.Describe("plain"); d.Status != agent.StatusDisabled {
			t.Errorf("status = %v", d.Status)
		}
		_ = reg.SetEnabled("plain", true)
		if _, err := plain.Call(t.Context(), in{Name: "a"}); err != nil {
			t.Errorf("plain: %v", err)
		}
		if err := reg.SetEnabled("nope", true); !errors.Is(err, agent.KindNotFound) {
			t.Errorf("nope: %v", err)
		}
		if rejects != 2 {
			t.Errorf("rejects = %d", rejects)
		}
		if err := reg.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.Call(t.Context(), in{Name: "a"}); !errors.Is(err, agent.KindUnavailable) {
			t.Errorf("after close: %v", err)
		}
		if d, _ := reg.Describe("plain"); d.Status != agent.StatusError {
			t.Errorf("status = %v", d.Status)
		}
		if err := reg.Close(t.Context()); err != nil {
			t.Errorf("second close: %v", err)
		}
		if _, err := agent.Register(reg, agenttest.New[in, out](agent.Info{Name: "late"}), agent.Options{}); err == nil {
			t.Error("register after close")
		}
	})
}

// lifecycle is an agent with every optional interface.
type lifecycle struct {
	name    string
	initErr error
	panics  bool
	health  error
	log     *[]string
	mu      *sync.Mutex
}

func (l *lifecycle) Info() agent.Info {
	return agent.Info{Name: l.name, Kind: "test", Capabilities: []string{"life"}}
}
func (l *lifecycle) Execute(context.Context, in) (out, error) {
	return out{l.name}, nil
}
func (l *lifecycle) Init(context.Context) error {
	l.add("init " + l.name)
	if l.panics {
		panic("init panic")
	}
	return l.initErr
}
func (l *lifecycle) Close(context.Context) error       { l.add("close " + l.name); return nil }
func (l *lifecycle) CheckHealth(context.Context) error { return l.health }
func (l *lifecycle) add(s string) {
	l.mu.Lock()
	*l.log = append(*l.log, s)
	l.mu.Unlock()
}

func TestStartClose(t *testing.T) {
	var log []string
	var mu sync.Mutex
	mk := func(name string) *lifecycle { return &lifecycle{name: name, log: &log, mu: &mu} }
	reg, _ := newReg(t, agent.Settings{StartConcurrency: 1})
	a, b, c, d := mk("a"), mk("b"), mk("c"), mk("d")
	c.initErr = errors.New("c broke")
	d.panics = true
	ha := register(t, reg, agent.Agent[in, out](a), agent.Policy{})
	register(t, reg, agent.Agent[in, out](b), agent.Policy{})
	if _, err := agent.Register(reg, agent.Agent[in, out](c), agent.Options{Optional: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Register(reg, agent.Agent[in, out](d), agent.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ha.Call(t.Context(), in{Name: "x"}); !errors.Is(err, agent.KindUnavailable) {
		t.Errorf("before start: %v", err)
	}
	err := reg.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "agent d: init") || strings.Contains(err.Error(), "agent c") {
		t.Errorf("start = %v", err)
	}
	if reg.Start(t.Context()) == nil {
		t.Error("second start succeeded")
	}
	if o, err := ha.Call(t.Context(), in{Name: "x"}); err != nil || o.Greeting != "a" {
		t.Errorf("after start: %v %v", o, err)
	}
	if dc, _ := reg.Describe("c"); dc.Status != agent.StatusError || !dc.Optional {
		t.Errorf("c = %+v", dc)
	}
	if st, err := reg.CheckHealth(t.Context(), "c"); st != agent.StatusError || err == nil {
		t.Errorf("health c = %v %v", st, err)
	}
	b.health = errors.New("db down")
	if st, err := reg.CheckHealth(t.Context(), "b"); st != agent.StatusError || err == nil {
		t.Errorf("health b = %v %v", st, err)
	}
	b.health = nil
	if st, err := reg.CheckHealth(t.Context(), "b"); st != agent.StatusIdle || err != nil {
		t.Errorf("health b = %v %v", st, err)
	}
	if _, err := reg.CheckHealth(t.Context(), "zz"); !errors.Is(err, agent.KindNotFound) {
		t.Errorf("health zz = %v", err)
	}
	if got := len(reg.WithCapability("life")); got != 4 {
		t.Errorf("with capability = %d", got)
	}
	if got := len(reg.WithCapability("none")); got != 0 {
		t.Errorf("with capability = %d", got)
	}
	if err := reg.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"init a", "init b", "init c", "init d", "close d", "close c", "close b", "close a"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestCloseDrains(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "slow"}, agenttest.Step[out]{Delay: time.Minute, IgnoreContext: true}), agent.Policy{})
		done := make(chan agent.Result[out])
		go func() { done <- h.Run(t.Context(), in{Name: "a"}) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := reg.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("close = %v", err)
		}
		if r := <-done; r.Err != nil {
			t.Errorf("in flight = %+v", r)
		}
		reg2, _ := newReg(t, agent.Settings{})
		h2 := register(t, reg2, agenttest.New[in, out](agent.Info{Name: "slow"}, agenttest.Step[out]{Delay: time.Minute}), agent.Policy{})
		go func() { done <- h2.Run(t.Context(), in{Name: "a"}) }()
		synctest.Wait()
		if err := reg2.Close(t.Context()); err != nil {
			t.Errorf("close = %v", err)
		}
		<-done
	})
}

func TestRegisterErrors(t *testing.T) {
	reg, _ := newReg(t, agent.Settings{})
	register(t, reg, agenttest.New[in, out](agent.Info{Name: "one"}), agent.Policy{})
	tests := []struct {
		name string
		a    agent.Agent[in, out]
		opts agent.Options
	}{
		{"nil", nil, agent.Options{}},
		{"duplicate", agenttest.New[in, out](agent.Info{Name: "one"}), agent.Options{}},
		{"empty name", agenttest.New[in, out](agent.Info{}), agent.Options{}},
		{"bad name", agenttest.New[in, out](agent.Info{Name: "a/b"}), agent.Options{}},
		{"bad policy", agenttest.New[in, out](agent.Info{Name: "p"}), agent.Options{Policy: agent.Policy{Backoff: agent.Backoff{Jitter: 2}}}},
		{"bad breaker", agenttest.New[in, out](agent.Info{Name: "b"}), agent.Options{Policy: agent.Policy{Breaker: &breaker.Settings{FailureRate: 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := agent.Register(reg, tt.a, tt.opts); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		s    agent.Settings
	}{
		{"multiplier", agent.Settings{Default: agent.Policy{Backoff: agent.Backoff{Multiplier: 0.5}}}},
		{"initial above max", agent.Settings{Default: agent.Policy{Backoff: agent.Backoff{Initial: time.Hour}}}},
		{"queue without limit", agent.Settings{Kinds: map[string]agent.Policy{"k": {MaxQueued: 3}}}},
		{"negative", agent.Settings{StartConcurrency: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := agent.New(tt.s); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestLookup(t *testing.T) {
	reg, _ := newReg(t, agent.Settings{})
	register(t, reg, agenttest.New[in, out](agent.Info{Name: "one"}), agent.Policy{})
	h, err := agent.Lookup[in, out](reg, "one")
	if err != nil || h.Name() != "one" || h.Info().Input == nil {
		t.Fatalf("lookup = %v %v", h, err)
	}
	if _, err := agent.Lookup[string, out](reg, "one"); !errors.Is(err, agent.ErrTypeMismatch) || !strings.Contains(err.Error(), "agent_test.in") {
		t.Errorf("mismatch = %v", err)
	}
	if _, err := agent.Lookup[in, out](reg, "two"); !errors.Is(err, agent.KindNotFound) || agent.HTTPStatus(err) != 404 {
		t.Errorf("missing = %v", err)
	}
	if _, ok := reg.Describe("two"); ok {
		t.Error("describe two")
	}
}

func TestPolicyResolution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{
			Default: agent.Policy{Timeout: time.Hour, MaxAttempts: 1},
			Kinds:   map[string]agent.Policy{"ml": {Timeout: 2 * time.Minute, MaxAttempts: 2}},
		})
		step := agenttest.Step[out]{Delay: 10 * time.Hour}
		tests := []struct {
			name     string
			kind     string
			p        agent.Policy
			want     time.Duration
			attempts int
		}{
			{"default", "", agent.Policy{}, time.Hour, 1},
			{"kind", "ml", agent.Policy{}, 2*time.Minute*2 + 100*time.Millisecond, 2},
			{"agent", "ml", agent.Policy{Timeout: time.Minute, MaxAttempts: 1}, time.Minute, 1},
		}
		for _, tt := range tests {
			h := register(t, reg, agenttest.New[in, out](agent.Info{Name: tt.name, Kind: tt.kind}, step), tt.p)
			start := time.Now()
			res := h.Run(t.Context(), in{Name: "a"})
			if got := time.Since(start); res.Attempts != tt.attempts || (tt.attempts == 1 && got != tt.want) {
				t.Errorf("%s: took %v attempts %d", tt.name, got, res.Attempts)
			}
		}
	})
}

func TestHooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		rec := func(name string) func(context.Context, agent.Event) {
			return func(ctx context.Context, e agent.Event) {
				mu.Lock()
				defer mu.Unlock()
				if ledger.RequestIDFrom(ctx) != "req-1" {
					got = append(got, "no request id")
				}
				got = append(got, fmt.Sprintf("%s %d", name, e.Attempt))
			}
		}
		reg, led := newReg(t, agent.Settings{Hooks: agent.Hooks{OnStart: rec("start"), OnAttempt: rec("attempt"), OnRetry: rec("retry"), OnComplete: rec("complete")}})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "h"}, agenttest.Step[out]{Err: errBoom}, agenttest.Step[out]{}), agent.Policy{MaxAttempts: 2})
		ctx := ledger.WithRequestID(t.Context(), "req-1")
		res := h.Run(ctx, in{Name: "a"})
		if res.ID.IsZero() || res.Err != nil || len(led.Entries()) != 0 {
			t.Errorf("res = %+v", res)
		}
		want := []string{"start 0", "attempt 1", "retry 1", "attempt 2", "complete 2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		// the ledger entry carries the request id
		h2 := register(t, reg, agenttest.New[in, out](agent.Info{Name: "h2"}, agenttest.Step[out]{Err: errBoom}), agent.Policy{})
		res = h2.Run(ctx, in{Name: "a"})
		e, ok := led.Find(res.ID)
		if !ok || e.RequestID != "req-1" || e.Severity != ledger.SeverityMedium || e.Type != "agent.internal" {
			t.Errorf("entry = %+v", e)
		}
	})
}

func TestLedgerFailureLogged(t *testing.T) {
	var buf strings.Builder
	led := agenttest.NewLedger()
	led.FailWith(errors.New("disk full"))
	reg, _ := newReg(t, agent.Settings{Ledger: led, Logger: slogTo(&buf)})
	h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "x"}, agenttest.Step[out]{Err: errBoom}), agent.Policy{})
	h.Run(t.Context(), in{Name: "a"})
	if !strings.Contains(buf.String(), "disk full") {
		t.Errorf("log = %q", buf.String())
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{&agent.Error{Kind: agent.KindInvalidInput}, 400},
		{&agent.Error{Kind: agent.KindNotFound}, 404},
		{&agent.Error{Kind: agent.KindDisabled}, 503},
		{&agent.Error{Kind: agent.KindUnavailable}, 503},
		{&agent.Error{Kind: agent.KindBreakerOpen}, 503},
		{&agent.Error{Kind: agent.KindOverloaded}, 429},
		{&agent.Error{Kind: agent.KindTimeout}, 504},
		{&agent.Error{Kind: agent.KindCanceled}, 499},
		{&agent.Error{Kind: agent.KindInternal}, 500},
		{&agent.Error{Kind: agent.KindPanic}, 500},
		{&agent.Error{Kind: agent.Kind(200)}, 500},
		{fmt.Errorf("w: %w", context.Canceled), 499},
		{context.DeadlineExceeded, 504},
		{errBoom, 500},
	}
	for _, tt := range tests {
		if got := agent.HTTPStatus(tt.err); got != tt.want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &agent.Error{Kind: agent.KindTimeout, Agent: "scan", Public: "slow", Err: errBoom}
	if got, want := e.Error(), "agent scan: timeout: slow: boom: secret-token-123"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := e.PublicMessage(); got != "slow" {
		t.Errorf("public = %q", got)
	}
	if got := (&agent.Error{Kind: 99}).PublicMessage(); got != "the agent failed" {
		t.Errorf("public = %q", got)
	}
	if got := agent.Kind(99).String(); got != "kind(99)" {
		t.Errorf("kind = %q", got)
	}
	if agent.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if !errors.Is(e, agent.KindTimeout) || errors.Is(e, agent.KindPanic) || !errors.Is(e, errBoom) {
		t.Error("errors.Is")
	}
	for _, s := range []fmt.Stringer{agent.Outcome(9), agent.Status(9)} {
		if s.String() != "unknown" {
			t.Errorf("%T = %q", s, s)
		}
	}
	b, _ := agent.OutcomeDegraded.MarshalText()
	c, _ := agent.StatusDegraded.MarshalText()
	if string(b) != "degraded" || string(c) != "degraded" {
		t.Errorf("text = %s %s", b, c)
	}
}

// The production ledger is a Recorder.
var _ agent.Recorder = (*ledger.Ledger)(nil)
