package agent

import (
	"time"

	"github.com/devskyy/devskyy/ledger"
)

// Outcome summarises how an execution ended. The zero value is
// [OutcomeSuccess].
type Outcome uint8

// The outcomes.
const (
	OutcomeSuccess  Outcome = iota // the agent answered
	OutcomeFailed                  // the agent failed (error, panic, retries used up)
	OutcomeDegraded                // the agent's degraded answer was given instead
	OutcomeRejected                // not run: disabled, invalid input, overloaded, breaker open, unavailable
	OutcomeTimedOut                // a deadline expired
	OutcomeCanceled                // the caller cancelled
)

var outcomeNames = [...]string{"success", "failed", "degraded", "rejected", "timed out", "canceled"}

// String returns the outcome's name, e.g. "timed out".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// MarshalText encodes the outcome as its name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// outcomeOf returns the outcome of a failure of kind k.
func outcomeOf(k Kind) Outcome {
	switch k {
	case KindDisabled, KindInvalidInput, KindOverloaded, KindBreakerOpen, KindUnavailable, KindNotFound:
		return OutcomeRejected
	case KindTimeout:
		return OutcomeTimedOut
	case KindCanceled:
		return OutcomeCanceled
	}
	return OutcomeFailed
}

// Result is the record of one execution. Err is nil exactly when Outcome is
// [OutcomeSuccess] or [OutcomeDegraded]; it is then the [*Error] of the
// failure. The zero value is an empty success.
type Result[Out any] struct {
	// Output is the agent's answer (or its degraded answer).
	Output Out
	// Err is the failure, an [*Error], or nil.
	Err error
	// Outcome says how the execution ended.
	Outcome Outcome
	// Attempts is the number of times the agent was called.
	Attempts int
	// Duration is the time from the start of the execution to its end,
	// including the queue wait.
	Duration time.Duration
	// QueueWait is the time spent waiting for a concurrency slot.
	QueueWait time.Duration
	// ID is the execution id, the id of its ledger entry. It is set on
	// failure (and degraded answers), and on every execution when the
	// registry has hooks; a plain success without hooks leaves it zero,
	// sparing the clock read and randomness of a new id.
	ID ledger.ID
}
