package agent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
)

// Client errors and caller cancellations say nothing about the agent's
// health: they never trip its breaker.
func TestBreakerIgnoresClientErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, _ := newReg(t, agent.Settings{Default: agent.Policy{Breaker: &breaker.Settings{ConsecutiveFailures: 1}}})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "c"},
			agenttest.Step[out]{Err: agent.Public(agent.KindInvalidInput, "bad sku", nil)},
			agenttest.Step[out]{Err: agent.Public(agent.KindNotFound, "no sku", nil)},
			agenttest.Step[out]{Delay: time.Hour},
		), agent.Policy{})
		for range 2 {
			h.Run(t.Context(), in{Name: "a"})
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if r := h.Run(ctx, in{Name: "a"}); !errors.Is(r.Err, agent.ErrCallerDeadline) {
			t.Errorf("r = %+v", r)
		}
		ctx, cancel = context.WithCancel(t.Context())
		go func() { synctest.Wait(); cancel() }()
		if r := h.Run(ctx, in{Name: "a"}); !errors.Is(r.Err, agent.KindCanceled) {
			t.Errorf("r = %+v", r)
		}
		if d, _ := reg.Describe("c"); d.Breaker != "closed" {
			t.Errorf("breaker = %s", d.Breaker)
		}
	})
}

func TestPermanentShapes(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"backoff permanent", backoff.Permanent(errBoom)},
		{"joined", errors.Join(errors.New("x"), agent.Permanent(errBoom))},
		{"wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", agent.Permanent(errBoom)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, _ := newReg(t, agent.Settings{})
			a := agenttest.New[in, out](agent.Info{Name: "p"}, agenttest.Step[out]{Err: tt.err})
			h := register(t, reg, a, agent.Policy{MaxAttempts: 3})
			if r := h.Run(t.Context(), in{Name: "a"}); r.Attempts != 1 || a.Calls() != 1 {
				t.Errorf("attempts = %d", r.Attempts)
			}
		})
	}
	// a joined error without the mark is retried
	reg, _ := newReg(t, agent.Settings{})
	a := agenttest.New[in, out](agent.Info{Name: "j"}, agenttest.Step[out]{Err: errors.Join(errBoom, errBoom)}, agenttest.Step[out]{})
	h := register(t, reg, a, agent.Policy{MaxAttempts: 2, Backoff: agent.Backoff{Initial: time.Microsecond, Max: time.Microsecond}})
	if r := h.Run(t.Context(), in{Name: "a"}); r.Attempts != 2 || r.Err != nil {
		t.Errorf("r = %+v", r)
	}
}

func TestFallbackFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, led := newReg(t, agent.Settings{})
		fa := agent.Func(agent.Info{Name: "f"}, func(context.Context, in) (out, error) { return out{}, errBoom })
		fa.Fallback = func(context.Context, in, error) (out, error) { panic("fallback broke") }
		h := register(t, reg, fa, agent.Policy{})
		r := h.Run(t.Context(), in{Name: "a"})
		if r.Outcome != agent.OutcomeFailed || !errors.Is(r.Err, errBoom) || len(led.Entries()) != 1 {
			t.Errorf("r = %+v", r)
		}
		// an input that cannot be encoded still gets a digest attribute
		hf := register(t, reg, agent.Func(agent.Info{Name: "g"}, func(context.Context, func()) (int, error) { return 0, errBoom }), agent.Policy{})
		r2 := hf.Run(t.Context(), func() {})
		e, _ := led.Find(r2.ID)
		found := false
		for _, a := range e.Attrs {
			if a.Key == "input_digest" && a.Value.String() == "unavailable" {
				found = true
			}
		}
		if !found {
			t.Errorf("attrs = %v", e.Attrs)
		}
	})
}

func TestKindError(t *testing.T) {
	if got := agent.KindBreakerOpen.Error(); got != "agent: breaker open" {
		t.Errorf("Error() = %q", got)
	}
	var target error = agent.KindTimeout
	if !errors.Is(&agent.Error{Kind: agent.KindTimeout}, target) {
		t.Error("errors.Is on a kind")
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	reg, _ := newReg(t, agent.Settings{})
	a := agenttest.New[in, out](agent.Info{Name: "never"})
	h := register(t, reg, a, agent.Policy{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := h.Run(ctx, in{Name: "a"})
	if r.Outcome != agent.OutcomeCanceled || r.Attempts != 0 || a.Calls() != 0 {
		t.Errorf("r = %+v calls %d", r, a.Calls())
	}
}
