package breaker

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// ErrOpen is matched, through [errors.Is], by every rejection: an open
// breaker, a half-open breaker whose probe slots are all taken, and a
// forced-open breaker. The concrete error is an [*OpenError].
var ErrOpen = errors.New("breaker: open")

// ErrInvalidSettings is matched, through [errors.Is], by every error [New]
// and [NewGroup] return for a [Settings] value they refuse.
var ErrInvalidSettings = errors.New("breaker: invalid settings")

// OpenError is the error a rejected call gets. It matches [ErrOpen] through
// [errors.Is] and is the target for [errors.As] when a caller wants the
// breaker name or a retry hint.
//
// The zero OpenError reads "breaker: open". A breaker hands out one
// preallocated *OpenError per generation so that a
// rejection does not allocate: treat it as read-only. Its RetryAfter is the
// whole open duration decided when the breaker opened, so it is an upper
// bound of the remaining wait; [Breaker.RetryAfter] gives the exact
// remaining time at the cost of a clock read.
type OpenError struct {
	// Name is the breaker's name.
	Name string
	// State is the state that rejected the call: StateOpen or StateHalfOpen.
	State State
	// RetryAfter is how long after the opening the breaker admits probes
	// again; zero when unknown (forced open, half-open probes busy).
	RetryAfter time.Duration
	// Forced reports whether the breaker was forced open by an operator.
	Forced bool
}

// Error implements error.
func (e *OpenError) Error() string {
	s := "breaker"
	if e.Name != "" {
		s += " " + strconv.Quote(e.Name)
	}
	switch {
	case e.Forced:
		s += ": forced open"
	case e.State == StateHalfOpen:
		s += ": open (half-open probes busy)"
	default:
		s += ": open"
	}
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

// Is reports whether target is [ErrOpen].
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Outcome is the classification of a call's result. The zero value is
// Success.
type Outcome uint8

const (
	// Success counts towards closing and against tripping.
	Success Outcome = iota
	// Failure counts towards tripping; in half-open it re-opens.
	Failure
	// Ignore records nothing; a half-open probe that ends ignored only
	// frees its slot.
	Ignore
)

// String returns "success", "failure" or "ignore".
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Ignore:
		return "ignore"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// DefaultClassify is the classification used when [Settings.Classify] is
// nil: nil is a success; [context.Canceled] is ignored, and so is
// [context.DeadlineExceeded] when ctx (the caller's context) is done, since
// those say nothing about the dependency's health; every other error is a
// failure. A DeadlineExceeded while the caller's context is still live (the
// dependency's own timeout) is a failure.
func DefaultClassify(ctx context.Context, err error) Outcome {
	if err == nil {
		return Success
	}
	if errors.Is(err, context.Canceled) {
		return Ignore
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx != nil && ctx.Err() != nil {
		return Ignore
	}
	return Failure
}
