package breaker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devskyy/devskyy/breaker"
)

//go:noinline
func work(context.Context) error { return nil }

//go:noinline
func workInt(context.Context) (int, error) { return 1, nil }

func newBench(b *testing.B, s breaker.Settings) *breaker.Breaker {
	b.Helper()
	br, err := breaker.New("bench", s)
	if err != nil {
		b.Fatal(err)
	}
	return br
}

func BenchmarkBareCall(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		_ = work(ctx)
	}
}

// floor holds the state word of floorDo.
type floor struct{ consec atomic.Int64 }

// floorDo is the least a closed-state Do that meets the package's contract
// can do: one atomic load of the state, the check that ctx is not already
// done, a deferred check that records a panic, the call, and a load of the
// consecutive-failure count. It records nothing (there is no state
// machine); it exists so that BenchmarkFloor can show how far Do is from
// the cost of its own obligations on the machine at hand.
//
//go:noinline
func (f *floor) floorDo(ctx context.Context, fn func(context.Context) error) error {
	n := &f.consec
	if err := ctx.Err(); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			n.Add(1)
		}
	}()
	err := fn(ctx)
	done = true
	if err == nil && n.Load() != 0 {
		n.Store(0)
	}
	return err
}

// BenchmarkFloor is floorDo: the cost of the contract's obligations
// without any breaker logic. Compare BenchmarkDoClosed with it.
func BenchmarkFloor(b *testing.B) {
	var f floor
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = f.floorDo(ctx, work)
	}
}

func BenchmarkDoClosed(b *testing.B) {
	br := newBench(b, breaker.Settings{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = br.Do(ctx, work)
	}
}

func BenchmarkDoClosedParallel(b *testing.B) {
	br := newBench(b, breaker.Settings{})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = br.Do(ctx, work)
		}
	})
}

func BenchmarkCallClosed(b *testing.B) {
	br := newBench(b, breaker.Settings{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = breaker.Call(ctx, br, workInt)
	}
}

func rateSettings() breaker.Settings {
	return breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, Window: 10 * time.Second}
}

func BenchmarkDoClosedRate(b *testing.B) {
	br := newBench(b, rateSettings())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = br.Do(ctx, work)
	}
}

func BenchmarkDoClosedRateParallel(b *testing.B) {
	br := newBench(b, rateSettings())
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = br.Do(ctx, work)
		}
	})
}

func BenchmarkAllowDone(b *testing.B) {
	br := newBench(b, breaker.Settings{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := br.Allow(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Done(work(ctx))
	}
}

func openBreaker(b *testing.B) *breaker.Breaker {
	br := newBench(b, breaker.Settings{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	_ = br.Do(context.Background(), func(context.Context) error { return errors.New("x") })
	if br.State() != breaker.StateOpen {
		b.Fatal("not open")
	}
	return br
}

func BenchmarkDoOpen(b *testing.B) {
	br := openBreaker(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = br.Do(ctx, work)
	}
}

func BenchmarkDoOpenParallel(b *testing.B) {
	br := openBreaker(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = br.Do(ctx, work)
		}
	})
}
