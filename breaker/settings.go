package breaker

import (
	"context"
	"fmt"
	"time"
)

// Settings configures a [Breaker]. The zero value is valid and means the
// documented defaults: trip after 5 consecutive failures, stay open 60 s
// (growing ×2 per consecutive re-open up to 10 min, ±10% jitter), admit one
// probe at a time in half-open and close after one successful probe.
//
// [New] copies Settings; changing the struct afterwards has no effect. The
// function fields (Trip, Classify, OpenTimeoutFunc, OnStateChange) may be
// called from any goroutine, concurrently except OnStateChange.
type Settings struct {
	// ConsecutiveFailures trips the breaker after this many consecutive
	// failures in the closed state. Zero means 5; negative disables the
	// policy.
	ConsecutiveFailures int

	// FailureRate, when above zero, trips the breaker when the share of
	// failures among the calls in the rate window reaches it, once the
	// window holds at least MinCalls calls. It must be at most 1. A
	// count-based window is evaluated after every call; a time-based one
	// after every failure and slow call, so that a success costs no clock
	// read.
	FailureRate float64

	// SlowCallDuration, when above zero, enables the slow-call policy: a
	// call (success or failure) lasting at least this long is slow, and
	// the breaker trips when the share of slow calls in the rate window
	// reaches SlowCallRate (with at least MinCalls calls). Measuring costs
	// two clock reads per call, which is why it is opt-in.
	SlowCallDuration time.Duration
	// SlowCallRate is the slow-call threshold. Zero means 1 (every call in
	// the window slow); it must be at most 1.
	SlowCallRate float64

	// Window is the length of the time-based rate window. Zero means 60 s.
	// It is divided into WindowBuckets buckets (zero means 10), each at
	// least a millisecond long.
	Window        time.Duration
	WindowBuckets int
	// WindowCalls, when above zero, makes the rate window count-based: the
	// last WindowCalls calls instead of a time span.
	WindowCalls int
	// MinCalls is the least number of calls in the window before a rate
	// is evaluated. Zero means 20, or WindowCalls when that is smaller.
	MinCalls int

	// Trip is a custom trip predicate, evaluated in the closed state after
	// every counted failure and every slow call, with a snapshot that
	// includes the in-flight count. Returning true opens the breaker.
	Trip func(Snapshot) bool

	// HalfOpenProbes is how many probe calls may be in flight at once in
	// the half-open state. Zero means 1.
	HalfOpenProbes int
	// HalfOpenSuccesses is how many successful probes close the breaker;
	// it is independent of HalfOpenProbes. Zero means 1.
	HalfOpenSuccesses int
	// HalfOpenTimeout bounds the half-open state: if the breaker has not
	// closed by then (probes lost or never done), it re-opens. Zero means
	// 60 s.
	HalfOpenTimeout time.Duration

	// OpenTimeout is the base open duration. Zero means 60 s.
	OpenTimeout time.Duration
	// OpenMultiplier grows the open duration per consecutive re-open
	// (without closing in between). Zero means 2; 1 keeps it fixed; it
	// must not be below 1.
	OpenMultiplier float64
	// MaxOpenTimeout caps the open duration. Zero means 10 min, or
	// OpenTimeout when that is larger.
	MaxOpenTimeout time.Duration
	// OpenJitter randomises each open duration by ±OpenJitter (a fraction).
	// Zero means 0.1; negative means none; it must be below 1.
	OpenJitter float64
	// OpenTimeoutFunc, when set, overrides the open duration: it gets the
	// number of openings since the last close (1 for the first) and the
	// duration the backoff computed, and returns the duration to use. A
	// result at or below zero keeps the computed one.
	OpenTimeoutFunc func(reopens int, computed time.Duration) time.Duration

	// Classify turns a call's result into an [Outcome]. Nil means
	// [DefaultClassify]. ctx is the context given to Do, Call or Allow.
	Classify func(ctx context.Context, err error) Outcome

	// OnStateChange, when set, is called for every state or mode change,
	// in generation order, one call at a time, with no lock held. It may
	// call back into the breaker. It runs on the goroutine whose call
	// caused the change or, when changes race, on the one delivering the
	// queue; a timer's change runs on the timer's goroutine.
	OnStateChange func(Event)
}

// config is Settings with the defaults applied.
type config struct {
	Settings
	classify func(context.Context, error) Outcome
	lean     bool // only the consecutive-failure policy and default classify
	slow     bool
	inflight bool
	maxOpen  time.Duration
	jitter   float64
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSettings}, args...)...)
}

func newConfig(s Settings) (config, error) {
	c := config{Settings: s}
	if c.ConsecutiveFailures == 0 {
		c.ConsecutiveFailures = 5
	}
	if c.FailureRate < 0 || c.FailureRate > 1 || c.FailureRate != c.FailureRate {
		return c, invalid("FailureRate must be within [0, 1]")
	}
	if c.SlowCallDuration < 0 {
		return c, invalid("SlowCallDuration must not be negative")
	}
	if c.SlowCallRate == 0 {
		c.SlowCallRate = 1
	}
	if c.SlowCallRate < 0 || c.SlowCallRate > 1 || c.SlowCallRate != c.SlowCallRate {
		return c, invalid("SlowCallRate must be within (0, 1]")
	}
	if c.Window == 0 {
		c.Window = 60 * time.Second
	}
	if c.WindowBuckets == 0 {
		c.WindowBuckets = 10
	}
	if c.Window < 0 || c.WindowBuckets < 0 || c.Window/time.Duration(c.WindowBuckets) < time.Millisecond {
		return c, invalid("Window/WindowBuckets must be at least 1ms")
	}
	if c.WindowBuckets > 1000 {
		return c, invalid("WindowBuckets must be at most 1000")
	}
	if c.WindowCalls < 0 || c.WindowCalls > 1<<20 {
		return c, invalid("WindowCalls must be within [0, 1048576]")
	}
	if c.MinCalls < 0 {
		return c, invalid("MinCalls must not be negative")
	}
	if c.MinCalls == 0 {
		c.MinCalls = 20
		if c.WindowCalls > 0 && c.WindowCalls < 20 {
			c.MinCalls = c.WindowCalls
		}
	}
	if c.WindowCalls > 0 && c.MinCalls > c.WindowCalls {
		return c, invalid("MinCalls above WindowCalls: the rate policy could never trip")
	}
	c.slow = c.SlowCallDuration > 0
	if c.ConsecutiveFailures < 0 && c.FailureRate == 0 && !c.slow && c.Trip == nil {
		return c, invalid("no trip policy: the breaker could never open")
	}
	if c.HalfOpenProbes < 0 || c.HalfOpenSuccesses < 0 {
		return c, invalid("HalfOpenProbes and HalfOpenSuccesses must not be negative")
	}
	if c.HalfOpenProbes == 0 {
		c.HalfOpenProbes = 1
	}
	if c.HalfOpenProbes > 1024 {
		return c, invalid("HalfOpenProbes must be at most 1024")
	}
	if c.HalfOpenSuccesses == 0 {
		c.HalfOpenSuccesses = 1
	}
	if c.HalfOpenTimeout < 0 || c.OpenTimeout < 0 || c.MaxOpenTimeout < 0 {
		return c, invalid("durations must not be negative")
	}
	if c.HalfOpenTimeout == 0 {
		c.HalfOpenTimeout = 60 * time.Second
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = 60 * time.Second
	}
	if c.OpenMultiplier == 0 {
		c.OpenMultiplier = 2
	}
	if c.OpenMultiplier < 1 || c.OpenMultiplier != c.OpenMultiplier {
		return c, invalid("OpenMultiplier must be at least 1")
	}
	c.maxOpen = c.MaxOpenTimeout
	if c.maxOpen == 0 {
		c.maxOpen = max(10*time.Minute, c.OpenTimeout)
	}
	if c.maxOpen < c.OpenTimeout {
		return c, invalid("MaxOpenTimeout below OpenTimeout")
	}
	switch {
	case c.OpenJitter == 0:
		c.jitter = 0.1
	case c.OpenJitter < 0:
		c.jitter = 0
	case c.OpenJitter >= 1 || c.OpenJitter != c.OpenJitter:
		return c, invalid("OpenJitter must be below 1")
	default:
		c.jitter = c.OpenJitter
	}
	c.classify = c.Classify
	if c.classify == nil {
		c.classify = DefaultClassify
	}
	c.inflight = c.Trip != nil
	c.lean = c.Classify == nil && c.FailureRate == 0 && !c.slow && c.Trip == nil
	return c, nil
}

// rates reports whether a rate window is needed.
func (c *config) rates() bool { return c.FailureRate > 0 || c.slow || c.Trip != nil }
