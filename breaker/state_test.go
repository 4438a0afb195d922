package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/google/go-cmp/cmp"
)

var errBoom = errors.New("boom")

func failing(context.Context) error    { return errBoom }
func succeeding(context.Context) error { return nil }

func mustNew(t *testing.T, s breaker.Settings) *breaker.Breaker {
	t.Helper()
	b, err := breaker.New("t", s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// advance moves a synctest bubble's clock and lets timers fire.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// journal records events as "from>to#gen".
type journal struct {
	mu sync.Mutex
	ev []string
}

func (j *journal) listen(e breaker.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ev = append(j.ev, fmt.Sprintf("%s>%s#%d", e.From, e.To, e.Generation))
}

func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	ev := j.ev
	j.ev = nil
	return ev
}

func trip(t *testing.T, b *breaker.Breaker, n int) {
	t.Helper()
	for range n {
		_ = b.Do(context.Background(), failing)
	}
	if got := b.State(); got != breaker.StateOpen {
		t.Fatalf("after %d failures: state %v, want open", n, got)
	}
}

func TestConsecutiveFailuresTrip(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		calls     []error
		want      breaker.State
	}{
		{"default five", 0, []error{errBoom, errBoom, errBoom, errBoom, errBoom}, breaker.StateOpen},
		{"four of default", 0, []error{errBoom, errBoom, errBoom, errBoom}, breaker.StateClosed},
		{"success resets run", 3, []error{errBoom, errBoom, nil, errBoom, errBoom}, breaker.StateClosed},
		{"cancel is ignored", 2, []error{errBoom, context.Canceled, errBoom}, breaker.StateOpen},
		{"wrapped cancel ignored", 2, []error{errBoom, fmt.Errorf("x: %w", context.Canceled)}, breaker.StateClosed},
		{"dependency deadline counts", 2, []error{errBoom, context.DeadlineExceeded}, breaker.StateOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustNew(t, breaker.Settings{ConsecutiveFailures: tt.threshold})
			for _, e := range tt.calls {
				got := b.Do(context.Background(), func(context.Context) error { return e })
				if got != e {
					t.Fatalf("Do returned %v, want %v", got, e)
				}
			}
			if got := b.State(); got != tt.want {
				t.Fatalf("state %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaultClassify(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want breaker.Outcome
	}{
		{"nil", live, nil, breaker.Success},
		{"error", live, errBoom, breaker.Failure},
		{"canceled", live, context.Canceled, breaker.Ignore},
		{"own deadline", done, context.DeadlineExceeded, breaker.Ignore},
		{"dependency deadline", live, context.DeadlineExceeded, breaker.Failure},
		{"nil ctx deadline", nil, context.DeadlineExceeded, breaker.Failure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := breaker.DefaultClassify(tt.ctx, tt.err); got != tt.want {
				t.Fatalf("DefaultClassify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCallerDeadlineIgnoredInDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := b.Do(ctx, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if !errors.Is(err, context.DeadlineExceeded) || b.State() != breaker.StateClosed {
			t.Fatalf("err %v state %v; want deadline and closed", err, b.State())
		}
	})
}

func TestDoneContextTakesNoPermit(t *testing.T) {
	for _, s := range []breaker.Settings{{}, {FailureRate: 0.5}} {
		b := mustNew(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err := b.Do(ctx, func(context.Context) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Fatalf("Do: err %v called %v", err, called)
		}
		_, err = breaker.Call(ctx, b, func(context.Context) (int, error) { called = true; return 1, nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Fatalf("Call: err %v called %v", err, called)
		}
		if _, err := b.Allow(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Allow: err %v", err)
		}
		if diff := cmp.Diff(int64(0), b.Snapshot().Calls); diff != "" {
			t.Fatalf("calls (-want +got):\n%s", diff)
		}
	}
}

func TestOpenRejectsAndHalfOpens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var j journal
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 2, OpenTimeout: 10 * time.Second, OpenJitter: -1, OnStateChange: j.listen})
		trip(t, b, 2)
		err := b.Do(context.Background(), succeeding)
		var oe *breaker.OpenError
		if !errors.As(err, &oe) || !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("rejection %v is not an *OpenError matching ErrOpen", err)
		}
		want := breaker.OpenError{Name: "t", State: breaker.StateOpen, RetryAfter: 10 * time.Second}
		if diff := cmp.Diff(want, *oe); diff != "" {
			t.Fatalf("OpenError (-want +got):\n%s", diff)
		}
		if got := b.RetryAfter(); got != 10*time.Second {
			t.Fatalf("RetryAfter %v", got)
		}
		advance(4 * time.Second)
		if got := b.RetryAfter(); got != 6*time.Second {
			t.Fatalf("RetryAfter after 4s %v", got)
		}
		if _, err := breaker.Call(context.Background(), b, func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("Call while open: %v", err)
		}
		advance(6 * time.Second)
		if got := b.State(); got != breaker.StateHalfOpen {
			t.Fatalf("state %v, want half-open", got)
		}
		if b.RetryAfter() != 0 {
			t.Fatal("RetryAfter non-zero in half-open")
		}
		if err := b.Do(context.Background(), succeeding); err != nil {
			t.Fatal(err)
		}
		if got := b.State(); got != breaker.StateClosed {
			t.Fatalf("state %v, want closed", got)
		}
		wantEv := []string{"closed>open#2", "open>half-open#3", "half-open>closed#4"}
		if diff := cmp.Diff(wantEv, j.take()); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
	})
}

func TestHalfOpenProbeLimitAndSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, HalfOpenProbes: 2, HalfOpenSuccesses: 3, OpenTimeout: time.Second, OpenJitter: -1})
		trip(t, b, 1)
		advance(time.Second)
		ctx := context.Background()
		p1, err1 := b.Allow(ctx)
		p2, err2 := b.Allow(ctx)
		_, err3 := b.Allow(ctx)
		if err1 != nil || err2 != nil {
			t.Fatalf("probes rejected: %v %v", err1, err2)
		}
		var oe *breaker.OpenError
		if !errors.As(err3, &oe) || oe.State != breaker.StateHalfOpen || oe.RetryAfter != 0 {
			t.Fatalf("third probe: %v", err3)
		}
		p1.Done(nil)
		p1.Done(nil) // no-op
		if got := b.Snapshot().ProbeSuccesses; got != 1 {
			t.Fatalf("probe successes %d, want 1 (second Done must be a no-op)", got)
		}
		p2.Done(context.Canceled) // ignored: frees the slot, counts nothing
		for range 2 {
			p, err := b.Allow(ctx)
			if err != nil {
				t.Fatalf("probe after release: %v", err)
			}
			if b.State() != breaker.StateHalfOpen {
				t.Fatal("closed too early")
			}
			p.Done(nil)
		}
		if got := b.State(); got != breaker.StateClosed {
			t.Fatalf("state %v, want closed after 3 successes", got)
		}
	})
}

func TestHalfOpenFailureReopensWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hook []int
		b := mustNew(t, breaker.Settings{
			ConsecutiveFailures: 1, OpenTimeout: time.Second, OpenMultiplier: 3, MaxOpenTimeout: 5 * time.Second, OpenJitter: -1,
			OpenTimeoutFunc: func(n int, d time.Duration) time.Duration {
				hook = append(hook, n)
				return 0
			},
		})
		var got []time.Duration
		trip(t, b, 1)
		for range 4 {
			got = append(got, b.RetryAfter())
			advance(b.RetryAfter())
			if b.State() != breaker.StateHalfOpen {
				t.Fatalf("state %v, want half-open", b.State())
			}
			_ = b.Do(context.Background(), failing)
		}
		want := []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("open durations (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{1, 2, 3, 4, 5}, hook); diff != "" {
			t.Fatalf("hook reopens (-want +got):\n%s", diff)
		}
		if got := b.Snapshot().Reopens; got != 5 {
			t.Fatalf("reopens %d", got)
		}
		// Closing resets the backoff.
		advance(b.RetryAfter())
		_ = b.Do(context.Background(), succeeding)
		trip(t, b, 1)
		if got := b.RetryAfter(); got != time.Second {
			t.Fatalf("open duration after close %v, want 1s", got)
		}
		advance(time.Second)
	})
}

func TestOpenTimeoutOverrideAndJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeoutFunc: func(int, time.Duration) time.Duration { return 7 * time.Second }})
		trip(t, b, 1)
		if got := b.RetryAfter(); got != 7*time.Second {
			t.Fatalf("override: %v", got)
		}
		advance(7 * time.Second)
		for range 20 {
			j := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second, OpenJitter: 0.5})
			trip(t, j, 1)
			if got := j.RetryAfter(); got < 5*time.Second || got > 15*time.Second {
				t.Fatalf("jittered open duration %v outside [5s, 15s]", got)
			}
			j.Reset()
		}
	})
}

func TestHalfOpenTimeoutReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var j journal
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Second, OpenMultiplier: 1, OpenJitter: -1, HalfOpenTimeout: 3 * time.Second, OnStateChange: j.listen})
		trip(t, b, 1)
		advance(time.Second)
		lost, err := b.Allow(context.Background()) // a probe that never reports
		if err != nil {
			t.Fatal(err)
		}
		advance(3 * time.Second)
		if got := b.State(); got != breaker.StateOpen {
			t.Fatalf("state %v, want open after half-open timeout", got)
		}
		lost.Done(nil) // late: dropped
		if got := b.State(); got != breaker.StateOpen {
			t.Fatalf("late probe changed state to %v", got)
		}
		advance(time.Second)
		want := []string{"closed>open#2", "open>half-open#3", "half-open>open#4", "open>half-open#5"}
		if diff := cmp.Diff(want, j.take()); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
		b.Reset()
	})
}

func TestLateResultsDropped(t *testing.T) {
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: 2})
	ctx := context.Background()
	old, err := b.Allow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Do(ctx, failing)
	b.Reset()
	old.Done(errBoom) // belongs to the previous generation
	_ = b.Do(ctx, failing)
	if got := b.State(); got != breaker.StateClosed {
		t.Fatalf("late failure counted: state %v", got)
	}
	if got := b.Snapshot().ConsecutiveFailures; got != 1 {
		t.Fatalf("consecutive failures %d, want 1", got)
	}
}

func TestPermitDoneOnce(t *testing.T) {
	b := mustNew(t, breaker.Settings{ConsecutiveFailures: 2})
	p, err := b.Allow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp := p
	p.Done(errBoom)
	cp.Done(errBoom)
	p.Done(errBoom)
	if got := b.Snapshot().ConsecutiveFailures; got != 1 {
		t.Fatalf("consecutive failures %d, want 1", got)
	}
	var zero breaker.Permit
	zero.Done(errBoom)
	// A stale copy whose slot now belongs to a newer permit records
	// nothing, and does not release the newer permit's slot.
	b.Reset()
	first, err := b.Allow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stale := first
	first.Done(nil)
	second, err := b.Allow(context.Background()) // takes the slot first freed
	if err != nil {
		t.Fatal(err)
	}
	stale.Done(errBoom)
	second.Done(errBoom)
	second.Done(errBoom)
	if got := b.Snapshot().ConsecutiveFailures; got != 1 {
		t.Fatalf("after a stale Done: consecutive failures %d, want 1", got)
	}
	b.Reset()
	// Many outstanding permits: all still record exactly once.
	ps := make([]breaker.Permit, 600)
	for i := range ps {
		if ps[i], err = b.Allow(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range ps {
		p.Done(nil)
	}
	if got := b.Snapshot().ConsecutiveFailures; got != 0 {
		t.Fatalf("consecutive failures %d, want 0", got)
	}
}

//go:noinline
func panicky(context.Context) error { panic("kaboom") }

func TestPanicRecordedAndPropagated(t *testing.T) {
	for _, s := range []breaker.Settings{{ConsecutiveFailures: 1}, {ConsecutiveFailures: 1, FailureRate: 0.5}} {
		for name, call := range map[string]func(*breaker.Breaker){
			"Do": func(b *breaker.Breaker) { _ = b.Do(context.Background(), panicky) },
			"Call": func(b *breaker.Breaker) {
				_, _ = breaker.Call(context.Background(), b, func(ctx context.Context) (int, error) { return 0, panicky(ctx) })
			},
		} {
			t.Run(name, func(t *testing.T) {
				b := mustNew(t, s)
				var stack string
				func() {
					defer func() {
						if r := recover(); r != "kaboom" {
							t.Fatalf("recovered %v", r)
						}
						stack = string(debug.Stack())
					}()
					call(b)
				}()
				if !strings.Contains(stack, "panicky") {
					t.Fatalf("original panic frame lost:\n%s", stack)
				}
				if got := b.State(); got != breaker.StateOpen {
					t.Fatalf("state %v, want open", got)
				}
			})
		}
	}
}

func TestPanickingProbeReleasesSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Second, OpenJitter: -1, Classify: func(_ context.Context, err error) breaker.Outcome {
			if err == nil {
				return breaker.Success
			}
			return breaker.Ignore
		}})
		b.SetMode(breaker.ModeForcedOpen)
		b.SetMode(breaker.ModeNormal)
		// Custom classify ignores errors; trip with a panic instead.
		func() {
			defer func() { _ = recover() }()
			_ = b.Do(context.Background(), panicky)
		}()
		if b.State() != breaker.StateOpen {
			t.Fatalf("state %v", b.State())
		}
		advance(time.Second)
		_ = b.Do(context.Background(), failing) // ignored: frees the probe
		if err := b.Do(context.Background(), succeeding); err != nil {
			t.Fatalf("probe slot not released: %v", err)
		}
		if b.State() != breaker.StateClosed {
			t.Fatalf("state %v", b.State())
		}
	})
}

func TestPanickingProbeReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Second, OpenMultiplier: 1, OpenJitter: -1})
		trip(t, b, 1)
		advance(time.Second)
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Fatalf("recovered %v", r)
				}
			}()
			_ = b.Do(context.Background(), panicky)
		}()
		if got := b.State(); got != breaker.StateOpen {
			t.Fatalf("state %v, want open after a panicking probe", got)
		}
		advance(time.Second)
		if err := b.Do(context.Background(), succeeding); err != nil || b.State() != breaker.StateClosed {
			t.Fatalf("next probe: err %v state %v", err, b.State())
		}
	})
}
