package agentbench

import (
	"context"
	"testing"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/breaker"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/failsafe-go/failsafe-go/timeout"
)

type input struct{ N int }

// work is the agent: it does not block on its context.
func work(_ context.Context, in input) (int, error) { return in.N + 1, nil }

// ioWork blocks on its context like an I/O agent would (here it never
// has to wait: the select finds the ready channel).
func ioWork(ctx context.Context, in input) (int, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	default:
	}
	return in.N + 1, nil
}

var policies = agent.Policy{Timeout: time.Second, MaxAttempts: 1, Breaker: &breaker.Settings{}, MaxInFlight: 1024}

func devskyy(b *testing.B, p agent.Policy, fn func(context.Context, input) (int, error)) *agent.Handle[input, int] {
	b.Helper()
	reg, err := agent.New(agent.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := agent.Register(reg, agent.Func(agent.Info{Name: "bench"}, fn), agent.Options{Policy: p})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func failsafeExec() failsafe.Executor[int] {
	return failsafe.With[int](
		retrypolicy.NewBuilder[int]().WithMaxAttempts(1).Build(),
		circuitbreaker.NewWithDefaults[int](),
		bulkhead.New[int](1024),
		timeout.New[int](time.Second),
	).WithContext(context.Background())
}

// BenchmarkOverhead is the runner with no policy against a direct call.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		s := 0
		for b.Loop() {
			n, _ := work(ctx, input{1})
			s += n
		}
		_ = s
	})
	b.Run("devskyy", func(b *testing.B) {
		h := devskyy(b, agent.Policy{}, work)
		b.ReportAllocs()
		for b.Loop() {
			if r := h.Run(ctx, input{1}); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
	b.Run("failsafe", func(b *testing.B) {
		ex := failsafe.With[int]().WithContext(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ex.GetWithExecution(func(e failsafe.Execution[int]) (int, error) { return work(e.Context(), input{1}) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	// two monotonic clock reads: the floor of any runner that reports a
	// duration, shown to calibrate the host's clock cost
	b.Run("two-clock-reads", func(b *testing.B) {
		t0 := time.Now()
		var d time.Duration
		for b.Loop() {
			d += time.Since(t0) - time.Since(t0)
		}
		_ = d
	})
}

// BenchmarkAllPolicies runs timeout + retry(1 attempt) + breaker +
// bulkhead and one successful attempt.
func BenchmarkAllPolicies(b *testing.B) {
	ctx := context.Background()
	for _, agentCase := range []struct {
		name string
		fn   func(context.Context, input) (int, error)
	}{{"cpu", work}, {"io", ioWork}} {
		b.Run(agentCase.name+"/devskyy", func(b *testing.B) {
			h := devskyy(b, policies, agentCase.fn)
			b.ReportAllocs()
			for b.Loop() {
				if r := h.Run(ctx, input{1}); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		})
		b.Run(agentCase.name+"/failsafe", func(b *testing.B) {
			ex := failsafeExec()
			fn := agentCase.fn
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ex.GetWithExecution(func(e failsafe.Execution[int]) (int, error) { return fn(e.Context(), input{1}) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParallel is BenchmarkAllPolicies under RunParallel.
func BenchmarkParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("devskyy", func(b *testing.B) {
		h := devskyy(b, policies, work)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r := h.Run(ctx, input{1}); r.Err != nil {
					b.Error(r.Err)
					return
				}
			}
		})
	})
	b.Run("failsafe", func(b *testing.B) {
		ex := failsafeExec()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ex.GetWithExecution(func(e failsafe.Execution[int]) (int, error) { return work(e.Context(), input{1}) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
