package agent

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

type key struct{}

var errCause = errors.New("cause")

func TestDeadlineCtx(t *testing.T) {
	tests := []struct {
		name  string
		touch func(c *deadlineCtx) // before the deadline
	}{
		{"untouched", func(*deadlineCtx) {}},
		{"done", func(c *deadlineCtx) { _ = c.Done() }},
		{"child", func(c *deadlineCtx) {
			child, cancel := context.WithCancel(c)
			t.Cleanup(cancel)
			go func() { <-child.Done() }()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent := context.WithValue(t.Context(), key{}, "v")
				c := &deadlineCtx{parent: parent, deadline: time.Now().Add(time.Second), cause: errCause}
				defer c.stop()
				tt.touch(c)
				if d, ok := c.Deadline(); !ok || !d.Equal(time.Now().Add(time.Second)) {
					t.Errorf("deadline = %v %v", d, ok)
				}
				if c.Value(key{}) != "v" || c.Err() != nil || context.Cause(c) != nil {
					t.Errorf("before: value %v err %v cause %v", c.Value(key{}), c.Err(), context.Cause(c))
				}
				<-time.After(time.Second) // fake time
				synctest.Wait()
				if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), errCause) {
					t.Errorf("after: err %v cause %v", c.Err(), context.Cause(c))
				}
				select {
				case <-c.Done():
				default:
					t.Error("not done")
				}
				if c.String() == "" {
					t.Error("no name")
				}
			})
		})
	}
}

func TestDeadlineCtxParentCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		c := &deadlineCtx{parent: parent, deadline: time.Now().Add(time.Hour), cause: errCause}
		defer c.stop()
		cancel(errors.New("caller"))
		if !errors.Is(c.Err(), context.Canceled) || context.Cause(c).Error() != "caller" {
			t.Errorf("err %v cause %v", c.Err(), context.Cause(c))
		}
	})
}

// TestAttemptContextAfterMaterialising checks both ways an attempt context
// is built: lazily for an agent that has never used its context, and
// directly (context.WithDeadlineCause) once one of its attempt contexts was
// materialised. Both must time out the same way, with the attempt cause.
func TestAttemptContextAfterMaterialising(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := New(Settings{})
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			lazy  bool
			cause error
		}
		var got []seen
		wait := func(ctx context.Context, _ struct{}) (int, error) {
			_, lazy := ctx.(*deadlineCtx)
			<-ctx.Done()
			got = append(got, seen{lazy, context.Cause(ctx)})
			return 0, ctx.Err()
		}
		h, err := Register(reg, Func(Info{Name: "waits"}, wait), Options{Policy: Policy{Timeout: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if r := h.Run(context.Background(), struct{}{}); !errors.Is(r.Err, KindTimeout) {
				t.Fatalf("Run: %v, want a timeout", r.Err)
			}
		}
		if len(got) != 2 || !got[0].lazy || got[1].lazy {
			t.Fatalf("attempt contexts %+v: want the lazy one first, then a direct one", got)
		}
		for i, s := range got {
			if !errors.Is(s.cause, ErrAgentDeadline) {
				t.Errorf("attempt %d: cause %v, want the attempt deadline", i+1, s.cause)
			}
		}
		if err := reg.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDirectAttemptMatchesAttemptLoop checks that run's path for one plain
// attempt (entry.direct) ends every kind of execution as the general
// attempt loop does. The loop is forced by a one-hour timeout, which the
// agents never reach.
func TestDirectAttemptMatchesAttemptLoop(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name     string
		fn       func(context.Context, int) (int, error)
		fallback bool
		cancel   bool // the caller's context is done before the call
	}{
		{"success", func(_ context.Context, n int) (int, error) { return n + 1, nil }, false, false},
		{"internal error", func(context.Context, int) (int, error) { return 0, boom }, false, false},
		{"internal error, degraded answer", func(context.Context, int) (int, error) { return 0, boom }, true, false},
		{"permanent error, no degraded answer", func(context.Context, int) (int, error) { return 0, Permanent(boom) }, true, false},
		{"panic", func(context.Context, int) (int, error) { panic("kaboom") }, true, false},
		{"caller gone", func(_ context.Context, n int) (int, error) { return n, nil }, true, true},
	}
	type summary struct {
		Output, Attempts int
		Outcome          Outcome
		Kind             Kind
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got [2]summary
			for i, p := range []Policy{{}, {Timeout: time.Hour}} {
				reg, err := New(Settings{})
				if err != nil {
					t.Fatal(err)
				}
				a := Func(Info{Name: "a"}, c.fn)
				if c.fallback {
					a.Fallback = func(context.Context, int, error) (int, error) { return -1, nil }
				}
				h, err := Register(reg, a, Options{Policy: p})
				if err != nil {
					t.Fatal(err)
				}
				if h.e.direct != (i == 0) {
					t.Fatalf("policy %+v: direct = %v", p, h.e.direct)
				}
				ctx, cancel := context.WithCancel(context.Background())
				if c.cancel {
					cancel()
				}
				r := h.Run(ctx, 41)
				cancel()
				got[i] = summary{Output: r.Output, Attempts: r.Attempts, Outcome: r.Outcome}
				if ae, ok := r.Err.(*Error); ok {
					got[i].Kind = ae.Kind
				} else if r.Err != nil {
					t.Fatalf("Run error %T, want *Error", r.Err)
				}
			}
			if diff := cmp.Diff(got[1], got[0]); diff != "" {
				t.Errorf("direct path differs from the attempt loop (-loop +direct):\n%s", diff)
			}
		})
	}
}
