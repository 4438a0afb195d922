package breakerbench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devskyy/devskyy/breaker"
	eapache "github.com/eapache/go-resiliency/breaker"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"
)

var errWork = errors.New("work failed")

// work is the guarded call: a non-inlined function returning nil.
//
//go:noinline
func work() error { return nil }

//go:noinline
func workCtx(context.Context) error { return nil }

// subject is one library's breaker, set up closed or open.
type subject struct {
	name string
	// make returns the guarded call; open trips the breaker first.
	make func(b *testing.B, open bool) func() error
}

func devskyy(s breaker.Settings) func(b *testing.B, open bool) func() error {
	return func(b *testing.B, open bool) func() error {
		s.OpenTimeout = time.Hour
		br, err := breaker.New("bench", s)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if open {
			br.SetMode(breaker.ModeForcedOpen)
		}
		return func() error { return br.Do(ctx, workCtx) }
	}
}

func gobreakerMake(st gobreaker.Settings) func(b *testing.B, open bool) func() error {
	return func(b *testing.B, open bool) func() error {
		st.Timeout = time.Hour
		cb := gobreaker.NewCircuitBreaker[struct{}](st)
		if open {
			for cb.State() != gobreaker.StateOpen {
				_, _ = cb.Execute(func() (struct{}, error) { return struct{}{}, errWork })
			}
		}
		return func() error {
			_, err := cb.Execute(func() (struct{}, error) { return struct{}{}, work() })
			return err
		}
	}
}

func failsafeMake(b *testing.B, open bool) func() error {
	cb := circuitbreaker.NewBuilder[any]().WithFailureThreshold(5).WithDelay(time.Hour).Build()
	ex := failsafe.With[any](cb)
	if open {
		cb.Open()
	}
	return func() error { return ex.Run(work) }
}

func eapacheMake(b *testing.B, open bool) func() error {
	br := eapache.New(5, 1, time.Hour)
	if open {
		for br.GetState() != eapache.Open {
			_ = br.Run(func() error { return errWork })
		}
	}
	return func() error { return br.Run(work) }
}

func consecutive() []subject {
	return []subject{
		{"devskyy", devskyy(breaker.Settings{})},
		{"gobreaker", gobreakerMake(gobreaker.Settings{})},
		{"failsafe", failsafeMake},
		{"goresiliency", eapacheMake},
	}
}

func rate() []subject {
	return []subject{
		{"devskyy", devskyy(breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5, Window: 60 * time.Second})},
		{"gobreaker", gobreakerMake(gobreaker.Settings{Interval: 60 * time.Second, BucketPeriod: 6 * time.Second, ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= 20 && c.TotalFailures*2 >= c.Requests
		}})},
		{"failsafe", func(b *testing.B, open bool) func() error {
			cb := circuitbreaker.NewBuilder[any]().WithFailureRateThreshold(0.5, 20, 60*time.Second).WithDelay(time.Hour).Build()
			ex := failsafe.With[any](cb)
			if open {
				cb.Open()
			}
			return func() error { return ex.Run(work) }
		}},
	}
}

func serial(b *testing.B, subjects []subject, open bool) {
	for _, s := range subjects {
		b.Run(s.name, func(b *testing.B) {
			call := s.make(b, open)
			b.ReportAllocs()
			for b.Loop() {
				_ = call()
			}
		})
	}
}

func parallel(b *testing.B, subjects []subject, open bool) {
	for _, s := range subjects {
		b.Run(s.name, func(b *testing.B) {
			call := s.make(b, open)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = call()
				}
			})
		})
	}
}

// BenchmarkBareCall is the floor: the guarded work without a breaker.
func BenchmarkBareCall(b *testing.B) {
	for b.Loop() {
		_ = work()
	}
}

func BenchmarkClosedSuccess(b *testing.B)         { serial(b, consecutive(), false) }
func BenchmarkClosedSuccessParallel(b *testing.B) { parallel(b, consecutive(), false) }
func BenchmarkOpenRejection(b *testing.B)         { serial(b, consecutive(), true) }
func BenchmarkOpenRejectionParallel(b *testing.B) { parallel(b, consecutive(), true) }
func BenchmarkRateClosedSuccess(b *testing.B)     { serial(b, rate(), false) }
func BenchmarkRateClosedParallel(b *testing.B)    { parallel(b, rate(), false) }

// BenchmarkTwoStep measures the two-step admission: Allow then Done.
func BenchmarkTwoStep(b *testing.B) {
	b.Run("devskyy", func(b *testing.B) {
		br, err := breaker.New("bench", breaker.Settings{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			p, err := br.Allow(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p.Done(work())
		}
	})
	b.Run("failsafe", func(b *testing.B) {
		cb := circuitbreaker.NewBuilder[any]().WithFailureThreshold(5).Build()
		b.ReportAllocs()
		for b.Loop() {
			if !cb.TryAcquirePermit() {
				b.Fatal("rejected")
			}
			if work() == nil {
				cb.RecordSuccess()
			}
		}
	})
}
