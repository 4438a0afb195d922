package breaker

import (
	"strconv"
	"sync/atomic"
	"time"
)

// State is the state of a breaker as callers see it. The zero value is
// StateClosed.
type State uint8

const (
	// StateClosed admits every call and counts outcomes.
	StateClosed State = iota
	// StateHalfOpen admits a limited number of concurrent probe calls.
	StateHalfOpen
	// StateOpen rejects every call with an [*OpenError].
	StateOpen
	// StateDisabled is reported while the breaker is in [ModeDisabled]:
	// it admits every call and records nothing.
	StateDisabled
)

// String returns "closed", "half-open", "open" or "disabled".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	case StateDisabled:
		return "disabled"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Mode is the operating mode an operator sets with [Breaker.SetMode]. The
// zero value is ModeNormal.
type Mode uint8

const (
	// ModeNormal runs the state machine and enforces it.
	ModeNormal Mode = iota
	// ModeForcedOpen rejects every call until the mode is changed again:
	// it is sticky, no timer or [Breaker.Reset] leaves it.
	ModeForcedOpen
	// ModeDisabled admits every call and records nothing (pass-through).
	ModeDisabled
	// ModeMetricsOnly runs the state machine, records outcomes and
	// notifies listeners, but never rejects: calls that would have been
	// rejected are admitted and counted in [Snapshot.ShadowRejections].
	// Use it to roll out a breaker's settings in shadow.
	ModeMetricsOnly
)

// String returns "normal", "forced-open", "disabled" or "metrics-only".
func (m Mode) String() string {
	switch m {
	case ModeNormal:
		return "normal"
	case ModeForcedOpen:
		return "forced-open"
	case ModeDisabled:
		return "disabled"
	case ModeMetricsOnly:
		return "metrics-only"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Event describes one state change. Listeners receive events in generation
// order, one at a time, with no lock held. It is a plain value; the zero
// Event describes nothing.
type Event struct {
	// Name is the breaker's name (the key, for a [Group] member).
	Name string
	// From and To are the states left and entered.
	From, To State
	// Generation is the generation entered; it grows by one per change.
	Generation uint64
	// Snapshot holds the counts of the generation being left, taken at
	// the change (so a trip shows the failures that caused it), with Mode
	// and Reopens of the generation entered.
	Snapshot Snapshot
}

// Snapshot is a point-in-time view of a breaker's counts, a plain value
// whose zero value is a fresh closed breaker's. Counters are read one by one
// without a lock, so under concurrent calls they are each exact but not
// mutually atomic.
type Snapshot struct {
	// State and Mode are the current state and mode.
	State State
	Mode  Mode
	// Generation is the current generation; every state or mode change
	// starts a new one and late results of older ones are dropped.
	Generation uint64
	// Since is when the current generation began.
	Since time.Time
	// Calls, Failures and SlowCalls are the counts in the rate window
	// (time or count based) of the current closed generation. They stay
	// zero when no rate policy is configured, because counting every
	// success would cost the closed path a shared write.
	Calls, Failures, SlowCalls int64
	// ConsecutiveFailures is the current run of failures in the closed
	// state.
	ConsecutiveFailures int64
	// ProbeSuccesses counts the successful probes of a half-open
	// generation.
	ProbeSuccesses int64
	// InFlight is the number of admitted calls not yet done. It is tracked
	// only when [Settings.Trip] is set (otherwise it stays zero).
	InFlight int64
	// Reopens is the number of openings since the breaker last closed;
	// it drives the open-duration backoff.
	Reopens int
	// ShadowRejections counts calls admitted in [ModeMetricsOnly] that
	// would have been rejected, in the current generation.
	ShadowRejections int64
}

// kind of a generation, as the hot path sees it.
const (
	kindLean   uint8 = iota // closed, enforcing, no per-success bookkeeping
	kindWindow              // closed, enforcing, time window only: successes go to stripes
	kindClosed              // closed with other bookkeeping (count window, slow, trip, classify)
	kindHalf                // half-open
	kindOpen                // open (timer) or forced open
	kindPass                // disabled
)

// gen is one generation of the state machine. Its identity (the pointer in
// Breaker.cur) is the state word: a transition swaps in a new *gen under
// Breaker.mu, so that every field that is not atomic is immutable after
// publication and results that carry an older *gen are recognised as late.
type gen struct {
	id      uint64
	kind    uint8
	rej     error // err when every call is rejected (kindOpen, not metrics-only), else nil
	state   State
	mode    Mode
	reopens int
	since   time.Time
	until   time.Time     // end of the open duration (kindOpen, not forced)
	openFor time.Duration // the open duration decided at the opening
	err     *OpenError    // the preallocated rejection of this generation
	timer   *time.Timer   // open → half-open, or half-open timeout

	consec atomic.Int64 // consecutive failures (closed)
	tw     *timeWindow  // time-based rate window (closed), or nil
	cw     *countWindow // count-based rate window (closed), or nil

	probes    []atomic.Uint64 // half-open probe slots: 0 free, else ticket
	ticket    atomic.Uint64   // probe ticket source
	probeSucc atomic.Int64
	shadow    atomic.Int64 // metrics-only would-be rejections
}
