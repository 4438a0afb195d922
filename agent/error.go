package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/devskyy/devskyy/ledger"
)

// Kind classifies why an execution failed. Each kind maps to one HTTP
// status (see [Kind.HTTPStatus]) and is itself an error, so that
// errors.Is(err, agent.KindTimeout) reports whether err, anywhere in its
// chain, is an [*Error] of that kind.
//
// The zero value is [KindInternal].
type Kind uint8

// The kinds of failure. The HTTP status of each is given in brackets.
const (
	KindInternal     Kind = iota // the agent failed [500]
	KindInvalidInput             // the input failed decoding or validation [400]
	KindNotFound                 // no agent has that name [404]
	KindDisabled                 // a feature flag turned the agent off [503]
	KindUnavailable              // the agent is not started, closed or said it is unavailable [503 + Retry-After]
	KindBreakerOpen              // the agent's circuit breaker rejected the call [503 + Retry-After]
	KindOverloaded               // no concurrency slot within the queue limits [429 + Retry-After]
	KindTimeout                  // a deadline expired, see [ErrAgentDeadline] and [ErrCallerDeadline] [504]
	KindCanceled                 // the caller cancelled [499]
	KindPanic                    // the agent panicked [500]
	numKinds
)

var kindNames = [numKinds]string{
	"internal", "invalid input", "not found", "disabled", "unavailable",
	"breaker open", "overloaded", "timeout", "canceled", "panic",
}

var kindStatus = [numKinds]int{
	http.StatusInternalServerError, http.StatusBadRequest, http.StatusNotFound,
	http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusServiceUnavailable,
	http.StatusTooManyRequests, http.StatusGatewayTimeout, StatusClientClosedRequest,
	http.StatusInternalServerError,
}

// publicText is the generic text a remote caller sees for each kind when the
// error carries no public message.
var publicText = [numKinds]string{
	"the agent failed", "the input is invalid", "no such agent", "the agent is disabled",
	"the agent is unavailable", "the agent is temporarily unavailable", "too many requests for this agent",
	"the agent timed out", "the request was cancelled", "the agent failed",
}

// StatusClientClosedRequest is the non-standard status (nginx's 499) used
// for [KindCanceled]: the caller went away before the answer.
const StatusClientClosedRequest = 499

// String returns the kind's name, e.g. "breaker open".
func (k Kind) String() string {
	if k >= numKinds {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Error makes a kind usable as an errors.Is target.
func (k Kind) Error() string { return "agent: " + k.String() }

// HTTPStatus returns the HTTP status code for the kind.
func (k Kind) HTTPStatus() int {
	if k >= numKinds {
		return http.StatusInternalServerError
	}
	return kindStatus[k]
}

// ErrAgentDeadline is the cause of a [KindTimeout] error raised by the
// agent's own policy (the attempt timeout or the total timeout).
var ErrAgentDeadline = errors.New("agent: agent deadline exceeded")

// ErrCallerDeadline is the cause of a [KindTimeout] error raised because
// the caller's context deadline expired first.
var ErrCallerDeadline = errors.New("agent: caller deadline exceeded")

// ErrTypeMismatch is returned by [Lookup] when the agent registered under a
// name has other input or output types than asked for.
var ErrTypeMismatch = errors.New("agent: type mismatch")

// Error is the one error type of an execution. The runner returns every
// failure as an *Error; agents may return one too (see [Public]) to choose
// the kind and a message that is safe to show.
//
// Error() is for logs and may contain the cause's text; [Error.PublicMessage]
// is what may cross a trust boundary. The zero value is a [KindInternal]
// error with no cause. An *Error is immutable once returned and safe for
// concurrent reads.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Agent is the agent's name, empty when unknown.
	Agent string
	// ID is the execution id; the ledger entry of the failure has this id.
	ID ledger.ID
	// Public is a message the agent marked as safe for remote callers.
	// Empty means the generic text of the kind.
	Public string
	// Err is the cause. It is never shown to remote callers.
	Err error
	// RetryAfter, when positive, is how long a caller should wait before
	// trying again (from the breaker, or set by the agent).
	RetryAfter time.Duration
	// Attempts is the number of attempts made (0 when rejected before the
	// first attempt).
	Attempts int

	stack     string // of a panic, for the ledger
	permanent bool   // set by Permanent
}

// Error returns a message for logs: the kind, the agent and the cause.
func (e *Error) Error() string {
	s := "agent"
	if e.Agent != "" {
		s += " " + e.Agent
	}
	s += ": " + e.Kind.String()
	if e.Public != "" {
		s += ": " + e.Public
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's [Kind].
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// PublicMessage returns the text that may be shown to a remote caller: the
// public message when the agent marked one, else the generic text of the
// kind.
func (e *Error) PublicMessage() string {
	if e.Public != "" {
		return e.Public
	}
	if e.Kind >= numKinds {
		return publicText[KindInternal]
	}
	return publicText[e.Kind]
}

// Public returns an error of the given kind whose message is marked safe
// for remote callers. cause, which may be nil, stays internal. Agents use it
// for answers the caller should read, e.g.
//
//	return out, agent.Public(agent.KindInvalidInput, "sku is not in the catalogue", err)
//
// The runner keeps the kind (an invalid-input answer is not retried and is
// a 400) and fills in the agent and execution id.
func Public(kind Kind, msg string, cause error) error {
	return &Error{Kind: kind, Public: msg, Err: cause}
}

// Permanent marks err as not retryable. The runner looks for the mark
// anywhere in the wrap chain (backoff.Permanent is honoured as well).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: KindInternal, Err: err, permanent: true}
}

// HTTPStatus returns the HTTP status for err: the status of its kind when
// it is or wraps an [*Error], 499 for context.Canceled, 504 for
// context.DeadlineExceeded and 500 otherwise.
func HTTPStatus(err error) int {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind.HTTPStatus()
	case errors.Is(err, context.Canceled):
		return StatusClientClosedRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// isPermanent reports whether err carries a non-retryable mark.
func isPermanent(err error) bool {
	for err != nil {
		switch x := err.(type) {
		case *Error:
			if x.permanent {
				return true
			}
		case *backoff.PermanentError:
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if isPermanent(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
