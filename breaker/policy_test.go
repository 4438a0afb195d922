package breaker_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/google/go-cmp/cmp"
)

func run(b *breaker.Breaker, pattern string) {
	for _, c := range pattern {
		switch c {
		case 'S':
			_ = b.Do(context.Background(), succeeding)
		case 'F':
			_ = b.Do(context.Background(), failing)
		case 'I':
			_ = b.Do(context.Background(), func(context.Context) error { return context.Canceled })
		}
	}
}

func TestFailureRateTimeWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, MinCalls: 10, Window: 10 * time.Second, WindowBuckets: 10})
		run(b, "SSSSSFFFF") // 9 calls: below MinCalls
		if b.State() != breaker.StateClosed {
			t.Fatal("tripped below MinCalls")
		}
		want := breaker.Snapshot{Calls: 9, Failures: 4, Generation: 1}
		got := b.Snapshot()
		if diff := cmp.Diff(want, got, cmpCounts); diff != "" {
			t.Fatalf("snapshot (-want +got):\n%s", diff)
		}
		advance(11 * time.Second) // the window forgets them
		run(b, "SSSSSFFFF")
		if b.State() != breaker.StateClosed {
			t.Fatal("old calls still counted")
		}
		run(b, "IF") // 10 calls, 5 failures
		if b.State() != breaker.StateOpen {
			t.Fatalf("state %v, want open at 50%%: %+v", b.State(), b.Snapshot())
		}
		b.Reset()
	})
}

var cmpCounts = cmp.Comparer(func(a, b breaker.Snapshot) bool {
	return a.Calls == b.Calls && a.Failures == b.Failures && a.SlowCalls == b.SlowCalls
})

func TestTimeWindowManySuccessesAdvanceLazily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, MinCalls: 4, Window: 4 * time.Second, WindowBuckets: 4})
		for range 200 {
			_ = b.Do(context.Background(), succeeding)
		}
		advance(time.Second)
		for range 200 {
			_ = b.Do(context.Background(), succeeding)
		}
		if got := b.Snapshot().Calls; got != 400 {
			t.Fatalf("calls %d, want 400", got)
		}
		advance(10 * time.Second)
		// The pending successes of a stale window are carried, never lost
		// to inflate the failure rate.
		run(b, "SSSF")
		if got := b.State(); got != breaker.StateClosed {
			t.Fatalf("state %v", got)
		}
		advance(10 * time.Second)
		if got := b.Snapshot().Calls; got != 0 {
			t.Fatalf("calls after idle window %d, want 0", got)
		}
	})
}

func TestFailureRateCountWindow(t *testing.T) {
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, WindowCalls: 4})
	run(b, "FSFS")
	if b.State() != breaker.StateOpen {
		t.Fatalf("state %v, want open", b.State())
	}
	b.Reset()
	run(b, "FSSSSSSFSSSF") // never two failures among the last four
	if b.State() != breaker.StateClosed {
		t.Fatalf("state %v: %+v", b.State(), b.Snapshot())
	}
	if diff := cmp.Diff(breaker.Snapshot{Calls: 4, Failures: 1}, b.Snapshot(), cmpCounts); diff != "" {
		t.Fatalf("snapshot (-want +got):\n%s", diff)
	}
}

func TestSlowCallRate(t *testing.T) {
	for _, calls := range []int{0, 5} {
		synctest.Test(t, func(t *testing.T) {
			b := mustNew(t, breaker.Settings{ConsecutiveFailures: -1, SlowCallDuration: time.Second, SlowCallRate: 0.5, MinCalls: 4, WindowCalls: calls})
			slow := func(context.Context) error { time.Sleep(2 * time.Second); return nil }
			_ = b.Do(context.Background(), slow)
			_ = b.Do(context.Background(), succeeding)
			_ = b.Do(context.Background(), succeeding)
			if b.State() != breaker.StateClosed {
				t.Fatal("tripped early")
			}
			p, _ := b.Allow(context.Background())
			time.Sleep(3 * time.Second)
			p.Done(nil)
			if b.State() != breaker.StateOpen {
				t.Fatalf("state %v, want open: %+v", b.State(), b.Snapshot())
			}
			if got := b.Snapshot().SlowCalls; got != 0 {
				t.Fatalf("open generation slow calls %d", got)
			}
			b.Reset()
		})
	}
}

func TestTripPredicateSeesInFlight(t *testing.T) {
	var seen atomic.Int64
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: -1, Trip: func(s breaker.Snapshot) bool {
		seen.Store(s.InFlight)
		return s.InFlight >= 2
	}})
	ctx := context.Background()
	p1, _ := b.Allow(ctx)
	p2, _ := b.Allow(ctx)
	if got := b.Snapshot().InFlight; got != 2 {
		t.Fatalf("in flight %d", got)
	}
	_ = b.Do(ctx, failing) // evaluated with p1, p2 in flight
	if b.State() != breaker.StateOpen || seen.Load() != 2 {
		t.Fatalf("state %v, seen in-flight %d", b.State(), seen.Load())
	}
	p1.Done(nil)
	p2.Done(nil)
	if got := b.Snapshot().InFlight; got != 0 {
		t.Fatalf("in flight after done %d", got)
	}
	b.Reset()
}

func TestCustomClassify(t *testing.T) {
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, Classify: func(_ context.Context, err error) breaker.Outcome {
		if err == errBoom {
			return breaker.Ignore
		}
		return breaker.DefaultClassify(context.Background(), err)
	}})
	run(b, "FFF")
	if b.State() != breaker.StateClosed {
		t.Fatal("ignored errors tripped")
	}
	_ = b.Do(context.Background(), func(context.Context) error { return context.DeadlineExceeded })
	if b.State() != breaker.StateOpen {
		t.Fatal("not tripped")
	}
}

// TestCallMatchesDo checks that the generic Call records exactly what Do
// records, on each closed-state path (consecutive failures only, a time
// window, a count window): two breakers fed the same outcomes, one through
// Do and one through Call, must have the same snapshot after every call.
// The run starts with 70 successes at one instant, so that a time window's
// stripe also takes its periodic clock read, then lets time pass.
func TestCallMatchesDo(t *testing.T) {
	cases := []struct {
		name string
		s    breaker.Settings
	}{
		{"consecutive failures", breaker.Settings{ConsecutiveFailures: 3}},
		{"time window", breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, MinCalls: 4, Window: 4 * time.Second, WindowBuckets: 4}},
		{"count window", breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, MinCalls: 4, WindowCalls: 8}},
	}
	pattern := strings.Repeat("S", 70) + "FSFSSF" + strings.Repeat("S", 10) + strings.Repeat("F", 100)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				viaDo, viaCall := mustNew(t, c.s), mustNew(t, c.s)
				for i, o := range pattern {
					fn := succeeding
					if o == 'F' {
						fn = failing
					}
					errDo := viaDo.Do(context.Background(), fn)
					_, errCall := breaker.Call(context.Background(), viaCall, func(ctx context.Context) (int, error) { return 1, fn(ctx) })
					if (errDo == nil) != (errCall == nil) {
						t.Fatalf("call %d (%c): Do returned %v, Call %v", i, o, errDo, errCall)
					}
					if diff := cmp.Diff(viaDo.Snapshot(), viaCall.Snapshot()); diff != "" {
						t.Fatalf("call %d (%c): snapshots differ (-Do +Call):\n%s", i, o, diff)
					}
					if i >= 70 && i%7 == 0 {
						advance(300 * time.Millisecond)
					}
				}
				if viaDo.State() != breaker.StateOpen {
					t.Errorf("state after the run: %v, want open (the pattern ends with 100 failures)", viaDo.State())
				}
			})
		})
	}
}
