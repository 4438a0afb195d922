package health

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// advance moves a synctest bubble's clock by d and lets everything that
// became runnable settle.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

func mustNew(t *testing.T, s Settings) *Checker {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runOnce forces one run of the named check and waits for it to finish
// completely. Call inside a bubble.
func runOnce(t *testing.T, c *Checker, name string) {
	t.Helper()
	<-c.refresh(c.checks[c.byName[name]], true)
	synctest.Wait()
}

func state(t *testing.T, c *Checker, name string) State {
	t.Helper()
	st, ok := c.State(name)
	if !ok {
		t.Fatalf("no check %q", name)
	}
	return st
}

// script returns a Func that returns the given statuses in turn, then the
// last one forever.
func script(statuses ...Status) Func {
	var mu sync.Mutex
	i := 0
	return func(context.Context) (Result, error) {
		mu.Lock()
		defer mu.Unlock()
		s := statuses[min(i, len(statuses)-1)]
		i++
		switch s {
		case StatusFail:
			return Result{}, errors.New("boom")
		case StatusWarn:
			return Warn("slow"), nil
		default:
			return Pass(), nil
		}
	}
}

func pass(context.Context) (Result, error) { return Pass(), nil }

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
	}{
		{"empty name", Settings{Checks: []Check{{Func: pass}}}},
		{"bad name", Settings{Checks: []Check{{Name: "a b", Func: pass}}}},
		{"long name", Settings{Checks: []Check{{Name: strings.Repeat("a", 65), Func: pass}}}},
		{"nil func", Settings{Checks: []Check{{Name: "a"}}}},
		{"bad mode", Settings{Checks: []Check{{Name: "a", Func: pass, Mode: 9}}}},
		{"negative timeout", Settings{Checks: []Check{{Name: "a", Func: pass, Timeout: -1}}}},
		{"negative threshold", Settings{Checks: []Check{{Name: "a", Func: pass, FailureThreshold: -1}}}},
		{"bad group", Settings{Checks: []Check{{Name: "a", Func: pass, Groups: []string{"x/y"}}}}},
		{"duplicate", Settings{Checks: []Check{{Name: "a", Func: pass}, {Name: "a", Func: pass}}}},
		{"negative queue", Settings{QueueSize: -1}},
		{"bad named group", Settings{Groups: []Group{{Name: ""}}}},
		{"include unknown", Settings{Groups: []Group{{Name: "g", Include: []string{"nope"}}}}},
		{"exclude unknown", Settings{Groups: []Group{{Name: "g", Exclude: []string{"nope"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.s)
			if err == nil {
				_ = c.Close()
				t.Fatal("New succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "health: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := mustNew(t, Settings{Checks: []Check{{Name: "a", Func: pass}, {Name: "b", Func: pass, FailureDuration: time.Minute}}})
	a, b := c.checks[0].def, c.checks[1].def
	got := []any{a.Timeout, a.Interval, a.TTL, a.FailureThreshold, a.SuccessThreshold, a.Groups, b.FailureThreshold, c.set.MaxOutput, c.set.QueueSize}
	want := []any{5 * time.Second, 10 * time.Second, time.Second, 1, 1, []string{GroupReady}, 0, 512, 256}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestStatusStrings(t *testing.T) {
	got := []string{StatusUnknown.String(), StatusPass.String(), StatusWarn.String(), StatusFail.String(),
		Background.String(), OnDemand.String(), Stale.String(), Mode(7).String()}
	want := []string{"unknown", "pass", "warn", "fail", "background", "on-demand", "stale", "Mode(7)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestThresholds(t *testing.T) {
	P, W, F, U := StatusPass, StatusWarn, StatusFail, StatusUnknown
	tests := []struct {
		name      string
		check     Check
		raw       []Status
		want      []Status
		wantFlaps uint64
	}{
		{"default thresholds", Check{}, []Status{P, F, P, W, F}, []Status{P, F, P, W, F}, 3},
		{"fail after 3", Check{FailureThreshold: 3}, []Status{F, F, F, P, F, F, P}, []Status{U, U, F, P, P, P, P}, 1},
		{"recover after 2", Check{SuccessThreshold: 2}, []Status{P, F, P, F, P, W, P}, []Status{P, F, F, F, F, W, P}, 2},
		{"flapping", Check{}, []Status{P, F, P, F, P, F}, []Status{P, F, P, F, P, F}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ck := tt.check
				ck.Name, ck.Func = "x", script(tt.raw...)
				c := mustNew(t, Settings{Checks: []Check{ck}})
				var got []Status
				for range tt.raw {
					runOnce(t, c, "x")
					got = append(got, state(t, c, "x").Status)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("statuses (-want +got):\n%s", diff)
				}
				if f := state(t, c, "x").Flaps; f != tt.wantFlaps {
					t.Errorf("flaps = %d, want %d", f, tt.wantFlaps)
				}
			})
		})
	}
}

func TestFailureDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Checks: []Check{{Name: "x", Func: script(StatusPass, StatusFail), FailureDuration: 30 * time.Second}}})
		var got []Status
		for range 5 {
			runOnce(t, c, "x")
			got = append(got, state(t, c, "x").Status)
			advance(10 * time.Second)
		}
		want := []Status{StatusPass, StatusPass, StatusPass, StatusPass, StatusFail}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestResultNormalisation(t *testing.T) {
	tests := []struct {
		name       string
		fn         Func
		want       Status
		wantOutput string
	}{
		{"zero result", func(context.Context) (Result, error) { return Result{}, nil }, StatusPass, ""},
		{"out of range", func(context.Context) (Result, error) { return Result{Status: 42}, nil }, StatusPass, ""},
		{"error", func(context.Context) (Result, error) { return Pass(), errors.New("bad\nthing") }, StatusFail, "bad thing"},
		{"error with output", func(context.Context) (Result, error) { return Result{Output: "mine"}, errors.New("x") }, StatusFail, "mine"},
		{"pass drops output", func(context.Context) (Result, error) { return Result{Output: "ignored"}, nil }, StatusPass, ""},
		{"error func", ErrorFunc(func(context.Context) error { return errors.New("e") }), StatusFail, "e"},
		{"error func nil", ErrorFunc(func(context.Context) error { return nil }), StatusPass, ""},
		{"capped", func(context.Context) (Result, error) { return Fail(strings.Repeat("é", 10)), nil }, StatusFail, "ééééé…"},
		{"invalid utf8", func(context.Context) (Result, error) { return Fail("a\xffb"), nil }, StatusFail, "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := mustNew(t, Settings{MaxOutput: 11, Checks: []Check{{Name: "x", Func: tt.fn}}})
				runOnce(t, c, "x")
				st := state(t, c, "x")
				if st.Status != tt.want || st.Last.Output != tt.wantOutput {
					t.Errorf("got %v %q, want %v %q", st.Status, st.Last.Output, tt.want, tt.wantOutput)
				}
			})
		})
	}
}

func TestPanicBecomesFailureWithStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
		c := mustNew(t, Settings{Logger: log, Checks: []Check{{Name: "x", Func: func(context.Context) (Result, error) { panic("kaboom") }}}})
		runOnce(t, c, "x")
		st := state(t, c, "x")
		if st.Status != StatusFail || st.Last.Output != "check panicked" {
			t.Errorf("got %v %q", st.Status, st.Last.Output)
		}
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(buf.String(), "kaboom") || !strings.Contains(buf.String(), "goroutine") {
			t.Errorf("log lacks the panic and its stack: %s", buf.String())
		}
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func get(h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Ten simultaneous probes of a 100 ms on-demand check are all answered
// after 100 ms, by one run.
func TestOnDemandSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		slow := func(ctx context.Context) (Result, error) {
			runs.Add(1)
			select {
			case <-time.After(100 * time.Millisecond):
				return Pass(), nil
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
		}
		c := mustNew(t, Settings{Checks: []Check{{Name: "slow", Mode: OnDemand, TTL: time.Minute, Func: slow}}})
		h := c.Handler(GroupReady)
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got []string
		for range 10 {
			wg.Go(func() {
				w := get(h, "/readyz")
				mu.Lock()
				got = append(got, w.Body.String()+" "+time.Since(start).String())
				mu.Unlock()
			})
		}
		wg.Wait()
		want := make([]string, 10)
		for i := range want {
			want[i] = `{"status":"pass"}` + "\n 100ms"
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if n := runs.Load(); n != 1 {
			t.Errorf("runs = %d, want 1", n)
		}
		// Fresh for a minute: no run; then one more.
		advance(59 * time.Second)
		get(h, "/readyz")
		advance(time.Second)
		get(h, "/readyz")
		if n := runs.Load(); n != 2 {
			t.Errorf("runs = %d, want 2", n)
		}
	})
}

// Twenty probes of a check that ignores its context leave at most one
// goroutine behind, reported as stuck, and none once it returns.
func TestStuckCheckCostsOneGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runs, inFlight, maxInFlight atomic.Int32
		stubborn := func(context.Context) (Result, error) {
			runs.Add(1)
			n := inFlight.Add(1)
			if n > maxInFlight.Load() {
				maxInFlight.Store(n)
			}
			<-release // ignores ctx
			inFlight.Add(-1)
			return Pass(), nil
		}
		c := mustNew(t, Settings{Logger: slog.New(slog.DiscardHandler), Checks: []Check{{Name: "stuck", Mode: OnDemand, TTL: time.Second, Timeout: time.Second, Func: stubborn}}})
		h := c.Handler(GroupReady)
		mux := http.NewServeMux()
		c.Mount(mux, "")
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				<-time.After(time.Duration(i) * 200 * time.Millisecond) // spread over 4 s
				if code := get(h, "/readyz").Code; code != 503 {
					t.Errorf("probe %d: code %d, want 503", i, code)
				}
			})
		}
		wg.Wait()
		st := state(t, c, "stuck")
		if !st.Running || !st.StuckSince.Equal(start) || st.Status != StatusFail {
			t.Errorf("state = %+v, want running, stuck since %v, fail", st, start)
		}
		if r, m := runs.Load(), maxInFlight.Load(); r != 1 || m != 1 {
			t.Errorf("runs = %d, max in flight = %d, want 1 and 1", r, m)
		}
		if got := get(mux, "/readyz/stuck?verbose").Body.String(); got != `{"status":"fail"}`+"\n" {
			t.Errorf("anonymous verbose body = %q, want the status only", got)
		}
		close(release)
		synctest.Wait()
		st = state(t, c, "stuck")
		if st.Running || !st.StuckSince.IsZero() {
			t.Errorf("after return: %+v", st)
		}
		// The late pass was discarded; the next stale probe runs again.
		if code := get(h, "/readyz").Code; code != 200 || runs.Load() != 2 {
			t.Errorf("next probe: code %d, runs %d; want 200, 2", code, runs.Load())
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	})
	goleak.VerifyNone(t)
}

func TestBackgroundLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		fn := func(context.Context) (Result, error) { runs.Add(1); return Pass(), nil }
		c := mustNew(t, Settings{Checks: []Check{{Name: "bg", Interval: 10 * time.Second, InitialDelay: 5 * time.Second, Jitter: time.Second, Func: fn}}})
		if st := state(t, c, "bg"); st.Runs != 0 || st.Status != StatusUnknown {
			t.Fatalf("before start: %+v", st)
		}
		if s, _ := c.Status(GroupReady); s != StatusUnknown {
			t.Errorf("ready before first run = %v, want unknown", s)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err == nil {
			t.Error("second Start succeeded")
		}
		advance(4 * time.Second)
		if n := runs.Load(); n != 0 {
			t.Errorf("runs before initial delay = %d", n)
		}
		advance(time.Second)
		if n := runs.Load(); n != 1 {
			t.Errorf("runs after initial delay = %d, want 1", n)
		}
		advance(33 * time.Second) // at 38 s: runs at 5, 15-16, 25-27, 35-38
		if n := runs.Load(); n != 4 {
			t.Errorf("runs after 38 s = %d, want 4", n)
		}
		cancel()
		synctest.Wait()
		advance(time.Minute)
		if n := runs.Load(); n != 4 {
			t.Errorf("runs after cancel = %d, want 4", n)
		}
		// It can be restarted after its context ended, and Close stops it.
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		advance(time.Second)
		_ = c.Close()
		if err := c.Start(t.Context()); !errors.Is(err, ErrClosed) {
			t.Errorf("Start after Close = %v, want ErrClosed", err)
		}
		if err := c.Run(t.Context()); !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close = %v, want ErrClosed", err)
		}
	})
}

func TestRunBlocksUntilCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Checks: []Check{{Name: "a", Func: pass}}})
		ctx, cancel := context.WithTimeout(t.Context(), 55*time.Second)
		defer cancel()
		if err := c.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if time.Since(time.Unix(946684800, 0)) != 55*time.Second {
			t.Errorf("Run returned at %v", time.Now())
		}
		if st := state(t, c, "a"); st.Runs != 6 {
			t.Errorf("runs = %d, want 6", st.Runs)
		}
	})
}

func TestShutdownBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := mustNew(t, Settings{Checks: []Check{{Name: "s", Mode: OnDemand, Func: func(context.Context) (Result, error) {
			<-release
			return Pass(), nil
		}}}})
		c.refresh(c.checks[0], false)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want deadline exceeded", err)
		}
		st := state(t, c, "s")
		if st.Status != StatusFail || st.Last.Output != "check canceled: checker closed" {
			t.Errorf("state after close: %+v", st)
		}
		// No run starts after Close.
		close(release)
		synctest.Wait()
		<-c.refresh(c.checks[0], true)
		if st := state(t, c, "s"); st.Running || st.Runs != 1 {
			t.Errorf("run after close: %+v", st)
		}
		if err := c.Shutdown(t.Context()); err != nil {
			t.Error(err)
		}
	})
}

func TestListeners(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var changes, observed []string
		c := mustNew(t, Settings{
			Checks: []Check{{Name: "x", Func: script(StatusPass, StatusPass, StatusFail)}},
			OnChange: func(e Event) {
				mu.Lock()
				changes = append(changes, e.Check+" "+e.Previous.String()+">"+e.Status.String())
				mu.Unlock()
				panic("listener bug") // recovered, logged
			},
			Observe: func(e Event) {
				mu.Lock()
				observed = append(observed, e.Raw.String())
				mu.Unlock()
			},
			Logger: slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		advance(25 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]string{"x unknown>pass", "x pass>fail"}, changes); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"pass", "pass", "fail"}, observed); diff != "" {
			t.Errorf("observed (-want +got):\n%s", diff)
		}
	})
}

func TestListenerQueueDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{QueueSize: 2, Observe: func(Event) {}, Checks: []Check{{Name: "x", Func: pass}}})
		for range 5 {
			runOnce(t, c, "x") // nobody delivers: the queue fills, checks go on
		}
		if d := c.Dropped(); d != 3 {
			t.Errorf("dropped = %d, want 3", d)
		}
		if st := state(t, c, "x"); st.Runs != 5 {
			t.Errorf("runs = %d", st.Runs)
		}
	})
}

func TestGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{
			Checks: []Check{
				{Name: "beat", Func: pass, Groups: []string{GroupLive, GroupReady}},
				{Name: "db", Func: script(StatusFail)},
				{Name: "cache", Func: script(StatusFail), Optional: true},
				{Name: "slowpoke", Func: script(StatusWarn), Groups: []string{"extra"}},
				{Name: "init", Func: script(StatusFail, StatusPass, StatusFail), Groups: []string{GroupStartup}},
			},
			Groups: []Group{
				{Name: "all", Include: []string{"*"}},
				{Name: "deps", Include: []string{"db", "cache", "cache"}, Exclude: []string{"db"}},
				{Name: "extra", Include: []string{"beat"}},
			},
		})
		status := func() map[string]Status {
			m := map[string]Status{}
			for _, g := range []string{GroupLive, GroupReady, GroupStartup, "all", "deps", "extra"} {
				m[g], _ = c.Status(g)
			}
			return m
		}
		want := map[string]Status{GroupLive: StatusUnknown, GroupReady: StatusUnknown, GroupStartup: StatusUnknown,
			"all": StatusUnknown, "deps": StatusPass, "extra": StatusUnknown}
		if diff := cmp.Diff(want, status()); diff != "" {
			t.Errorf("before runs (-want +got):\n%s", diff)
		}
		for _, n := range []string{"beat", "db", "cache", "slowpoke", "init"} {
			runOnce(t, c, n)
		}
		want = map[string]Status{GroupLive: StatusPass, GroupReady: StatusFail, GroupStartup: StatusFail,
			"all": StatusFail, "deps": StatusWarn, "extra": StatusWarn}
		if diff := cmp.Diff(want, status()); diff != "" {
			t.Errorf("after runs (-want +got):\n%s", diff)
		}
		runOnce(t, c, "init") // pass: startup latches
		runOnce(t, c, "init") // fail again: still started
		if s, _ := c.Status(GroupStartup); s != StatusPass {
			t.Errorf("startup = %v, want latched pass", s)
		}
		if _, ok := c.Status("nope"); ok {
			t.Error("Status of an unknown group reported ok")
		}
		if _, ok := c.State("nope"); ok {
			t.Error("State of an unknown check reported ok")
		}
	})
}

func TestDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Checks: []Check{{Name: "a", Func: pass, Groups: []string{GroupLive, GroupReady}}}})
		runOnce(t, c, "a")
		if c.Draining() {
			t.Error("draining before Drain")
		}
		c.Drain()
		c.Drain()
		ready, _ := c.Status(GroupReady)
		live, _ := c.Status(GroupLive)
		if !c.Draining() || ready != StatusFail || live != StatusPass {
			t.Errorf("after Drain: ready %v live %v", ready, live)
		}
	})
}

// Probes, runs, expiries, drain and listeners all at once, for the race
// detector.
func TestConcurrentProbesAndRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var observed atomic.Int32
		c := mustNew(t, Settings{
			Authorize: func(*http.Request) bool { return true },
			Observe:   func(Event) { observed.Add(1) },
			Checks: []Check{
				{Name: "bg", Func: script(StatusPass, StatusFail, StatusWarn), Interval: 10 * time.Millisecond, Groups: []string{GroupLive, GroupReady}},
				{Name: "od", Func: script(StatusFail, StatusPass), Mode: OnDemand, TTL: 5 * time.Millisecond},
				{Name: "st", Func: script(StatusWarn, StatusPass), Mode: Stale, TTL: 7 * time.Millisecond, Optional: true},
			},
		})
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		c.Mount(mux, "")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				targets := []string{"/readyz", "/livez?verbose", "/readyz?exclude=od", "/readyz/st?verbose", "/startupz"}
				for j := range 50 {
					if code := get(mux, targets[(i+j)%len(targets)]).Code; code != 200 && code != 503 {
						t.Errorf("code %d", code)
					}
					<-time.After(time.Millisecond)
				}
			})
		}
		wg.Go(func() {
			<-time.After(25 * time.Millisecond)
			c.Drain()
		})
		wg.Wait()
		synctest.Wait()
		if observed.Load() == 0 {
			t.Error("no events delivered")
		}
		if s, _ := c.Status(GroupReady); s != StatusFail {
			t.Errorf("ready after drain = %v", s)
		}
	})
}
