package flow_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/agent/flow"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

func newReg(t *testing.T) *agent.Registry {
	t.Helper()
	reg, err := agent.New(agent.Settings{Ledger: agenttest.NewLedger()})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func reg[I, O any](t *testing.T, r *agent.Registry, a agent.Agent[I, O]) *agent.Handle[I, O] {
	t.Helper()
	h, err := agent.Register(r, a, agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fn[I, O any](t *testing.T, r *agent.Registry, name string, f func(context.Context, I) (O, error)) *agent.Handle[I, O] {
	t.Helper()
	return reg(t, r, agent.Agent[I, O](agent.Func(agent.Info{Name: name}, f)))
}

// gauge counts concurrent calls and remembers the peak.
type gauge struct{ cur, peak atomic.Int64 }

func (g *gauge) wrap(d time.Duration) func(context.Context, int) (int, error) {
	return func(ctx context.Context, n int) (int, error) {
		c := g.cur.Add(1)
		defer g.cur.Add(-1)
		for {
			p := g.peak.Load()
			if c <= p || g.peak.CompareAndSwap(p, c) {
				break
			}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
		}
		if n < 0 {
			return 0, errBoom
		}
		return n * 2, nil
	}
}

func TestSequenceThen(t *testing.T) {
	r := newReg(t)
	inc := fn(t, r, "inc", func(_ context.Context, n int) (int, error) { return n + 1, nil })
	dbl := fn(t, r, "dbl", func(_ context.Context, n int) (int, error) { return n * 2, nil })
	str := fn(t, r, "str", func(_ context.Context, n int) (string, error) { return strings.Repeat("x", n), nil })
	fail := fn(t, r, "fail", func(_ context.Context, n int) (int, error) { return 0, errBoom })
	if got, err := flow.Sequence(t.Context(), 1, inc, dbl, inc); got != 5 || err != nil {
		t.Errorf("sequence = %d %v", got, err)
	}
	if _, err := flow.Sequence(t.Context(), 1, inc, fail, inc); !errors.Is(err, agent.KindInternal) {
		t.Errorf("sequence err = %v", err)
	}
	step := flow.Then(flow.Then(flow.Of(inc), flow.Of(dbl)), flow.Of(str))
	if got, err := step(t.Context(), 1); got != "xxxx" || err != nil {
		t.Errorf("then = %q %v", got, err)
	}
	if _, err := flow.Then(flow.Of(fail), flow.Of(str))(t.Context(), 1); err == nil {
		t.Error("then: no error")
	}
}

func TestParallelMap(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		r := newReg(t)
		var g gauge
		h := fn(t, r, "w", g.wrap(time.Second))
		h2 := fn(t, r, "w2", g.wrap(time.Second))
		rs := flow.Parallel(t.Context(), 3, 1, h, h2)
		if rs[0].Output != 6 || rs[1].Output != 6 || g.peak.Load() != 1 {
			t.Errorf("parallel = %+v peak %d", rs, g.peak.Load())
		}
		g.peak.Store(0)
		start := time.Now()
		rs = flow.Map(t.Context(), h, []int{1, 2, -1, 4, 5}, 2)
		var got []int
		for _, r := range rs {
			got = append(got, r.Output)
		}
		if diff := cmp.Diff([]int{2, 4, 0, 8, 10}, got); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		if g.peak.Load() != 2 || time.Since(start) != 3*time.Second {
			t.Errorf("peak = %d took %v", g.peak.Load(), time.Since(start))
		}
		if err := flow.Join(rs); !errors.Is(err, agent.KindInternal) {
			t.Errorf("join = %v", err)
		}
		if err := flow.Join(rs[:2]); err != nil {
			t.Errorf("join = %v", err)
		}
		// caller cancels mid-map: everything returns, nothing leaks
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan []agent.Result[int])
		go func() { done <- flow.Map(ctx, h, []int{1, 2, 3, 4}, 0) }()
		synctest.Wait()
		cancel()
		for _, r := range <-done {
			if r.Outcome != agent.OutcomeCanceled {
				t.Errorf("r = %+v", r)
			}
		}
	})
}

func TestRace(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		r := newReg(t)
		var lost atomic.Int64
		mk := func(name string, d time.Duration, err error) *agent.Handle[int, string] {
			return fn(t, r, name, func(ctx context.Context, _ int) (string, error) {
				tm := time.NewTimer(d)
				defer tm.Stop()
				select {
				case <-ctx.Done():
					if errors.Is(context.Cause(ctx), flow.ErrLost) {
						lost.Add(1)
					}
					return "", ctx.Err()
				case <-tm.C:
				}
				return name, err
			})
		}
		fast, slow, failing := mk("fast", time.Second, nil), mk("slow", time.Hour, nil), mk("failing", time.Millisecond, errBoom)
		start := time.Now()
		res := flow.Race(t.Context(), 0, slow, failing, fast)
		if res.Output != "fast" || res.Err != nil || time.Since(start) != time.Second || lost.Load() != 1 {
			t.Errorf("race = %+v after %v lost %d", res, time.Since(start), lost.Load())
		}
		res = flow.Race(t.Context(), 0, failing, failing)
		if !errors.Is(res.Err, agent.KindInternal) {
			t.Errorf("all fail = %+v", res)
		}
		res = flow.Race[int, string](t.Context(), 0)
		if !errors.Is(res.Err, agent.KindInvalidInput) {
			t.Errorf("empty = %+v", res)
		}
	})
}

type scan struct{ Files int }
type theme struct{ Name string }
type report struct{ Summary string }

func TestGraph(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newReg(t)
		var g gauge
		scanner := fn(t, r, "scanner", func(_ context.Context, path string) (scan, error) { return scan{Files: len(path)}, nil })
		themer := fn(t, r, "themer", func(_ context.Context, s scan) (theme, error) {
			return theme{Name: "t" + strings.Repeat("!", s.Files)}, nil
		})
		slowInt := fn(t, r, "slow", g.wrap(time.Second))
		reporter := fn(t, r, "reporter", func(_ context.Context, in [2]string) (report, error) { return report{in[0] + "|" + in[1]}, nil })

		gr := flow.NewGraph(flow.Options{Limit: 2})
		rep := flow.Add(gr, "report", reporter, func(_ context.Context, v flow.Values) ([2]string, error) {
			th, _ := flow.Get(v, flow.Ref[theme]{})
			_ = th
			return [2]string{"a", "b"}, nil
		}, flow.Name("theme"), flow.Name("side"))
		sc := flow.Add(gr, "scan", scanner, func(context.Context, flow.Values) (string, error) { return "abc", nil })
		flow.Add(gr, "theme", themer, func(_ context.Context, v flow.Values) (scan, error) {
			s, ok := flow.Get(v, sc)
			if !ok {
				return scan{}, errors.New("no scan")
			}
			return s, nil
		}, sc)
		side := flow.Add(gr, "side", slowInt, func(context.Context, flow.Values) (int, error) { return 21, nil })
		plan, err := gr.Build()
		if err != nil {
			t.Fatal(err)
		}
		vals, err := plan.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got, ok := flow.Get(vals, rep)
		sv, _ := flow.Get(vals, side)
		if !ok || got.Summary != "a|b" || sv != 42 || vals.Err("theme") != nil || g.peak.Load() != 1 {
			t.Errorf("report = %+v %v side %d err %v", got, ok, sv, vals.Err("theme"))
		}
		if res, ok := flow.ResultOf(vals, sc); !ok || res.Attempts != 1 {
			t.Errorf("result = %+v", res)
		}
		if vals.Err("nope") == nil {
			t.Error("no error for an unknown node")
		}
	})
}

func TestGraphBuildErrors(t *testing.T) {
	r := newReg(t)
	h := fn(t, r, "h", func(_ context.Context, n int) (int, error) { return n, nil })
	tests := []struct {
		name  string
		build func(g *flow.Graph)
		want  string
	}{
		{"cycle", func(g *flow.Graph) {
			flow.Add(g, "a", h, nil, flow.Name("c"))
			flow.Add(g, "b", h, nil, flow.Name("a"))
			flow.Add(g, "c", h, nil, flow.Name("b"))
			flow.Add(g, "d", h, nil)
		}, "flow: dependency cycle among [a b c]"},
		{"self", func(g *flow.Graph) { flow.Add(g, "a", h, nil, flow.Name("a")) }, "flow: dependency cycle among [a]"},
		{"unknown", func(g *flow.Graph) { flow.Add(g, "a", h, nil, flow.Name("zz")) }, "flow: node a depends on unknown node zz"},
		{"duplicate", func(g *flow.Graph) { flow.Add(g, "a", h, nil); flow.Add(g, "a", h, nil) }, "flow: duplicate node a"},
		{"unnamed", func(g *flow.Graph) { flow.Add(g, "", h, nil) }, "flow: node without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := flow.NewGraph(flow.Options{})
			tt.build(g)
			_, err := g.Build()
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestGraphModes(t *testing.T) {
	defer goleak.VerifyNone(t) // no goroutine outlives the scenario
	synctest.Test(t, func(t *testing.T) {
		r := newReg(t)
		var g gauge
		slow := fn(t, r, "slow", g.wrap(time.Hour))
		fail := fn(t, r, "fail", func(context.Context, int) (int, error) { return 0, errBoom })
		ok := fn(t, r, "ok", func(_ context.Context, n int) (int, error) { return n + 1, nil })
		build := func(mode flow.Mode, failOptional bool) *flow.Plan {
			gr := flow.NewGraph(flow.Options{Mode: mode})
			flow.Add(gr, "sibling", slow, nil)
			var f flow.Ref[int]
			if failOptional {
				f = flow.Optional(gr, "fail", fail, nil)
			} else {
				f = flow.Add(gr, "fail", fail, nil)
			}
			flow.Add(gr, "after", ok, func(_ context.Context, v flow.Values) (int, error) {
				n, got := flow.Get(v, f)
				if got {
					return n, nil
				}
				return 100, nil
			}, f)
			flow.Add(gr, "bad-input", ok, func(context.Context, flow.Values) (int, error) { return 0, errors.New("no input") }, flow.Name("sibling"))
			p, err := gr.Build()
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		// fail fast with a sibling running: cancelled, joined, error is the failure
		start := time.Now()
		vals, err := build(flow.FailFast, false).Run(t.Context())
		if !errors.Is(err, errBoom) || time.Since(start) != 0 {
			t.Errorf("fail fast = %v after %v", err, time.Since(start))
		}
		if !errors.Is(vals.Err("after"), flow.ErrSkipped) || !errors.Is(vals.Err("sibling"), agent.KindCanceled) {
			t.Errorf("after = %v sibling = %v", vals.Err("after"), vals.Err("sibling"))
		}
		// continue on error: the sibling finishes, the dependent is skipped
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour)
		defer cancel()
		vals, err = build(flow.ContinueOnError, false).Run(ctx)
		if !errors.Is(err, errBoom) || vals.Err("sibling") != nil || !errors.Is(vals.Err("after"), flow.ErrSkipped) {
			t.Errorf("continue = %v / %v / %v", err, vals.Err("sibling"), vals.Err("after"))
		}
		if !strings.Contains(err.Error(), "no input") {
			t.Errorf("continue err = %v", err)
		}
		// optional: its failure does not fail the graph, the dependent runs
		vals, err = build(flow.ContinueOnError, true).Run(ctx)
		if n, ok := flow.Get(vals, flow.Ref[int]{}); ok || n != 0 {
			t.Errorf("zero ref = %v %v", n, ok)
		}
		if vals.Err("after") != nil || !strings.Contains(err.Error(), "no input") || errors.Is(err, errBoom) {
			t.Errorf("optional = %v / %v", err, vals.Err("after"))
		}
	})
}
