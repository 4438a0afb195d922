package agenttest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/ledger"
	"github.com/google/go-cmp/cmp"
)

func TestAgentScript(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errX := errors.New("x")
		a := agenttest.New[int, string](agent.Info{Name: "s"},
			agenttest.Step[string]{Output: "one"},
			agenttest.Step[string]{Err: errX, Delay: time.Second},
		)
		a.Push(agenttest.Step[string]{Output: "slow", Delay: time.Minute, IgnoreContext: true})
		if a.Info().Name != "s" {
			t.Errorf("info = %+v", a.Info())
		}
		ctx := t.Context()
		o1, e1 := a.Execute(ctx, 1)
		if e1 != nil {
			t.Errorf("e1 = %v", e1)
		}
		start := time.Now()
		_, e2 := a.Execute(ctx, 2)
		if time.Since(start) != time.Second {
			t.Errorf("delay = %v", time.Since(start))
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start = time.Now()
		o3, _ := a.Execute(cctx, 3) // ignores its context
		if time.Since(start) != time.Minute || o3 != "slow" {
			t.Errorf("ignore = %v %q", time.Since(start), o3)
		}
		if o1 != "one" || !errors.Is(e2, errX) {
			t.Errorf("got %q %v", o1, e2)
		}
		a.Push(agenttest.Step[string]{Delay: time.Hour})
		a.Execute(ctx, 4) // consumes the "slow" step, leaving the hour-long one
		_, e5 := a.Execute(cctx, 5)
		if !errors.Is(e5, context.DeadlineExceeded) {
			t.Errorf("e5 = %v", e5)
		}
		if diff := cmp.Diff([]int{1, 2, 3, 4, 5}, a.Inputs()); diff != "" || a.Calls() != 5 {
			t.Errorf("(-want +got)\n%s", diff)
		}
	})
}

func TestAgentEmptyAndPanic(t *testing.T) {
	a := agenttest.New[int, int](agent.Info{Name: "e"})
	if o, err := a.Execute(t.Context(), 1); o != 0 || err != nil {
		t.Errorf("empty = %v %v", o, err)
	}
	p := agenttest.New[int, int](agent.Info{Name: "p"}, agenttest.Step[int]{Panic: "boom"})
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recover = %v", r)
		}
	}()
	p.Execute(t.Context(), 1)
}

func TestLedger(t *testing.T) {
	l := agenttest.NewLedger()
	id := ledger.NewID()
	got, err := l.Record(t.Context(), ledger.Entry{ID: id, Message: "a"})
	if err != nil || got != id {
		t.Fatalf("record = %v %v", got, err)
	}
	auto, _ := l.Record(t.Context(), ledger.Entry{Message: "b"})
	if auto.IsZero() {
		t.Error("no id assigned")
	}
	if e, ok := l.Find(id); !ok || e.Message != "a" {
		t.Errorf("find = %+v %v", e, ok)
	}
	if _, ok := l.Find(ledger.ID{}); ok {
		t.Error("found the zero id")
	}
	l.FailWith(errors.New("full"))
	if _, err := l.Record(t.Context(), ledger.Entry{}); err == nil {
		t.Error("no error")
	}
	if n := len(l.Entries()); n != 2 {
		t.Errorf("entries = %d", n)
	}
}
