package breaker_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/devskyy/devskyy/breaker"
)

func TestNewRejectsInvalidSettings(t *testing.T) {
	tests := []struct {
		name string
		s    breaker.Settings
	}{
		{"negative failure rate", breaker.Settings{FailureRate: -0.1}},
		{"failure rate above one", breaker.Settings{FailureRate: 1.5}},
		{"failure rate NaN", breaker.Settings{FailureRate: math.NaN()}},
		{"negative slow duration", breaker.Settings{SlowCallDuration: -time.Second}},
		{"slow rate above one", breaker.Settings{SlowCallDuration: time.Second, SlowCallRate: 2}},
		{"bucket below 1ms", breaker.Settings{Window: 5 * time.Millisecond, WindowBuckets: 10}},
		{"negative window", breaker.Settings{Window: -time.Second}},
		{"too many buckets", breaker.Settings{Window: time.Hour, WindowBuckets: 5000}},
		{"negative window calls", breaker.Settings{WindowCalls: -1}},
		{"negative min calls", breaker.Settings{MinCalls: -1}},
		{"min calls above window calls", breaker.Settings{FailureRate: 0.5, WindowCalls: 10, MinCalls: 11}},
		{"no trip policy", breaker.Settings{ConsecutiveFailures: -1}},
		{"negative probes", breaker.Settings{HalfOpenProbes: -1}},
		{"too many probes", breaker.Settings{HalfOpenProbes: 5000}},
		{"negative successes", breaker.Settings{HalfOpenSuccesses: -1}},
		{"negative half-open timeout", breaker.Settings{HalfOpenTimeout: -time.Second}},
		{"negative open timeout", breaker.Settings{OpenTimeout: -time.Second}},
		{"multiplier below one", breaker.Settings{OpenMultiplier: 0.5}},
		{"max open below open", breaker.Settings{OpenTimeout: time.Minute, MaxOpenTimeout: time.Second}},
		{"jitter of one", breaker.Settings{OpenJitter: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := breaker.New("x", tt.s)
			if !errors.Is(err, breaker.ErrInvalidSettings) || b != nil {
				t.Fatalf("New() = %v, %v; want nil, ErrInvalidSettings", b, err)
			}
			if _, err := breaker.NewGroup(tt.s); !errors.Is(err, breaker.ErrInvalidSettings) {
				t.Fatalf("NewGroup() error = %v; want ErrInvalidSettings", err)
			}
		})
	}
}

func TestNewAcceptsValidSettings(t *testing.T) {
	tests := []struct {
		name string
		s    breaker.Settings
	}{
		{"zero", breaker.Settings{}},
		{"rate only", breaker.Settings{ConsecutiveFailures: -1, FailureRate: 0.5}},
		{"count window small", breaker.Settings{FailureRate: 0.5, WindowCalls: 5}},
		{"slow only", breaker.Settings{ConsecutiveFailures: -1, SlowCallDuration: time.Second}},
		{"trip only", breaker.Settings{ConsecutiveFailures: -1, Trip: func(breaker.Snapshot) bool { return false }}},
		{"large open", breaker.Settings{OpenTimeout: time.Hour}},
		{"no jitter", breaker.Settings{OpenJitter: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := breaker.New("x", tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != "x" || b.State() != breaker.StateClosed || b.Mode() != breaker.ModeNormal {
				t.Fatalf("new breaker: name %q state %v mode %v", b.Name(), b.State(), b.Mode())
			}
		})
	}
}
