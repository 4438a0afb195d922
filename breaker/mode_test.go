package breaker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/google/go-cmp/cmp"
)

func TestForcedOpenIsSticky(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var j journal
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Second, OnStateChange: j.listen})
		b.SetMode(breaker.ModeForcedOpen)
		b.SetMode(breaker.ModeForcedOpen) // no-op
		b.Reset()                         // does not release
		advance(time.Hour)
		err := b.Do(context.Background(), succeeding)
		var oe *breaker.OpenError
		if !errors.As(err, &oe) || !oe.Forced || b.State() != breaker.StateOpen || b.Mode() != breaker.ModeForcedOpen {
			t.Fatalf("forced open: err %v state %v mode %v", err, b.State(), b.Mode())
		}
		if _, err := b.Allow(context.Background()); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("Allow: %v", err)
		}
		if b.RetryAfter() != 0 {
			t.Fatal("forced open has a retry hint")
		}
		b.SetMode(breaker.ModeNormal)
		if err := b.Do(context.Background(), succeeding); err != nil || b.State() != breaker.StateClosed {
			t.Fatalf("released: err %v state %v", err, b.State())
		}
		if diff := cmp.Diff([]string{"closed>open#2", "open>closed#3"}, j.take()); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
		b.SetMode(breaker.Mode(99)) // unknown: ignored
		if b.Mode() != breaker.ModeNormal {
			t.Fatal("unknown mode applied")
		}
	})
}

func TestDisabledPassesThrough(t *testing.T) {
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1})
	trip(t, b, 1)
	b.SetMode(breaker.ModeDisabled)
	if b.State() != breaker.StateDisabled {
		t.Fatalf("state %v", b.State())
	}
	for range 10 {
		if err := b.Do(context.Background(), failing); err != errBoom {
			t.Fatalf("disabled Do: %v", err)
		}
	}
	p, err := b.Allow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Done(errBoom)
	b.Reset()
	if b.State() != breaker.StateDisabled || b.Snapshot().ConsecutiveFailures != 0 {
		t.Fatalf("disabled recorded: %+v", b.Snapshot())
	}
	b.SetMode(breaker.ModeNormal)
	if b.State() != breaker.StateClosed {
		t.Fatalf("state %v", b.State())
	}
}

func TestMetricsOnlyNeverRejects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var j journal
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 2, OpenTimeout: time.Second, OpenJitter: -1, OnStateChange: j.listen})
		b.SetMode(breaker.ModeMetricsOnly)
		run(b, "FF")
		if b.State() != breaker.StateOpen {
			t.Fatalf("state %v, want open (recorded)", b.State())
		}
		for range 3 {
			if err := b.Do(context.Background(), succeeding); err != nil {
				t.Fatalf("metrics-only rejected: %v", err)
			}
		}
		if _, err := breaker.Call(context.Background(), b, func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
		p, err := b.Allow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p.Done(nil)
		if got := b.Snapshot().ShadowRejections; got != 5 {
			t.Fatalf("shadow rejections %d, want 5", got)
		}
		b.SetMode(breaker.ModeNormal) // keeps the open state and its deadline
		if b.State() != breaker.StateOpen || b.RetryAfter() != time.Second {
			t.Fatalf("state %v retry %v", b.State(), b.RetryAfter())
		}
		b.SetMode(breaker.ModeMetricsOnly)
		advance(time.Second)
		probe, err := b.Allow(context.Background()) // takes the only probe
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Do(context.Background(), succeeding); err != nil { // shadow
			t.Fatal(err)
		}
		b.SetMode(breaker.ModeNormal) // half-open afresh
		if b.State() != breaker.StateHalfOpen {
			t.Fatalf("state %v", b.State())
		}
		probe.Done(nil) // late
		if err := b.Do(context.Background(), succeeding); err != nil || b.State() != breaker.StateClosed {
			t.Fatalf("err %v state %v", err, b.State())
		}
		b.SetMode(breaker.ModeMetricsOnly)
		want := []string{"closed>closed#2", "closed>open#3", "open>open#4", "open>open#5", "open>half-open#6", "half-open>half-open#7", "half-open>closed#8", "closed>closed#9"}
		if diff := cmp.Diff(want, j.take()); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
	})
}

func TestListenerMayCallBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b *breaker.Breaker
		var mu sync.Mutex
		var got []string
		b = mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenJitter: -1, OnStateChange: func(e breaker.Event) {
			mu.Lock()
			got = append(got, e.From.String()+">"+e.To.String()+"|"+b.State().String())
			mu.Unlock()
			_ = b.Snapshot()
			if e.To == breaker.StateOpen && e.Snapshot.ConsecutiveFailures == 1 {
				b.Reset() // re-enters the breaker from the listener
			}
		}})
		_ = b.Do(context.Background(), failing)
		want := []string{"closed>open|open", "open>closed|closed"}
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
	})
}

func TestListenerEventsInOrderUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var gens []uint64
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenJitter: -1, OnStateChange: func(e breaker.Event) {
			mu.Lock()
			gens = append(gens, e.Generation)
			mu.Unlock()
		}})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					b.Reset()
					_ = b.Do(context.Background(), failing)
				}
			})
		}
		wg.Wait()
		b.Reset()
		mu.Lock()
		defer mu.Unlock()
		for i := range gens {
			if gens[i] != uint64(i+2) {
				t.Fatalf("event %d has generation %d, want %d", i, gens[i], i+2)
			}
		}
	})
}

func TestListenerPanicDoesNotWedge(t *testing.T) {
	calls := 0
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OnStateChange: func(breaker.Event) {
		calls++
		if calls == 1 {
			panic("listener")
		}
	}})
	func() {
		defer func() { _ = recover() }()
		_ = b.Do(context.Background(), failing)
	}()
	b.Reset()
	if calls != 2 || b.State() != breaker.StateClosed {
		t.Fatalf("calls %d state %v", calls, b.State())
	}
}

func TestStrings(t *testing.T) {
	got := []string{
		breaker.StateClosed.String(), breaker.StateHalfOpen.String(), breaker.StateOpen.String(), breaker.StateDisabled.String(), breaker.State(9).String(),
		breaker.ModeNormal.String(), breaker.ModeForcedOpen.String(), breaker.ModeDisabled.String(), breaker.ModeMetricsOnly.String(), breaker.Mode(9).String(),
		breaker.Success.String(), breaker.Failure.String(), breaker.Ignore.String(), breaker.Outcome(9).String(),
		(&breaker.OpenError{}).Error(),
		(&breaker.OpenError{Name: "db", State: breaker.StateOpen, RetryAfter: time.Second}).Error(),
		(&breaker.OpenError{Name: "db", State: breaker.StateHalfOpen}).Error(),
		(&breaker.OpenError{Name: "db", State: breaker.StateOpen, Forced: true}).Error(),
	}
	want := []string{
		"closed", "half-open", "open", "disabled", "state(9)",
		"normal", "forced-open", "disabled", "metrics-only", "mode(9)",
		"success", "failure", "ignore", "outcome(9)",
		"breaker: open",
		`breaker "db": open (retry after 1s)`,
		`breaker "db": open (half-open probes busy)`,
		`breaker "db": forced open`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("strings (-want +got):\n%s", diff)
	}
}
