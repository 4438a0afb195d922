package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
)

type benchIn struct{ N int }

func benchFn(_ context.Context, in benchIn) (int, error) { return in.N + 1, nil }

func benchHandle(b *testing.B, s agent.Settings, p agent.Policy) *agent.Handle[benchIn, int] {
	b.Helper()
	reg, err := agent.New(s)
	if err != nil {
		b.Fatal(err)
	}
	h, err := agent.Register(reg, agent.Func(agent.Info{Name: "bench"}, benchFn), agent.Options{Policy: p})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

var allPolicies = agent.Policy{
	Timeout:     time.Second,
	MaxAttempts: 1,
	Breaker:     &breaker.Settings{},
	MaxInFlight: 1024,
}

func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		var sink int
		for b.Loop() {
			n, _ := benchFn(ctx, benchIn{1})
			sink += n
		}
		_ = sink
	})
	// direct+clock is the direct call between two monotonic clock reads:
	// the floor for any runner that reports a Result.Duration, since
	// time.Since is what Run reads at its start and its end.
	b.Run("direct+clock", func(b *testing.B) {
		b.ReportAllocs()
		epoch := time.Now()
		var sink time.Duration
		for b.Loop() {
			t0 := time.Since(epoch)
			n, _ := benchFn(ctx, benchIn{1})
			sink += time.Since(epoch) - t0 + time.Duration(n)
		}
		_ = sink
	})
	cases := []struct {
		name string
		s    agent.Settings
		p    agent.Policy
	}{
		{"none", agent.Settings{}, agent.Policy{}},
		{"all", agent.Settings{}, allPolicies},
		{"all+ledger+hooks", agent.Settings{Ledger: agenttest.NewLedger(), Hooks: agent.Hooks{OnComplete: func(context.Context, agent.Event) {}}}, allPolicies},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := benchHandle(b, c.s, c.p)
			b.ReportAllocs()
			for b.Loop() {
				if r := h.Run(ctx, benchIn{1}); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			h := benchHandle(b, c.s, c.p)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r := h.Run(ctx, benchIn{1}); r.Err != nil {
						b.Error(r.Err)
						return
					}
				}
			})
		})
	}
}
