package agent

import (
	"errors"
	"time"

	"github.com/devskyy/devskyy/breaker"
)

// Policy says how the runner executes an agent. Policies resolve field by
// field: the agent's own (given to [Register]), then its kind's
// ([Settings.Kinds]), then [Settings.Default], then the built-in default
// documented on each field. A zero field inherits; a negative duration or
// limit switches the feature off at that level.
//
// The built-in defaults switch everything off except one attempt: no
// timeouts, no retry, no breaker, no concurrency limit. A production host
// sets at least Timeout and a Breaker in Settings.Default.
//
// A Policy is a plain value; copies are independent except for the Breaker
// pointer and RetryIf, which are read, never written.
type Policy struct {
	// Timeout bounds each attempt. Default: none.
	Timeout time.Duration
	// TotalTimeout bounds all attempts and backoff sleeps together (the
	// queue wait is bounded by QueueTimeout). Default: none.
	TotalTimeout time.Duration
	// MaxAttempts is the number of attempts, retries included. Default 1.
	MaxAttempts int
	// Backoff shapes the sleep between attempts.
	Backoff Backoff
	// RetryIf, when set, decides whether a failed attempt is retried,
	// replacing the default rule (retry internal errors, the agent's own
	// timeouts and unavailable answers; never invalid input, panics,
	// breaker rejections or cancellation). A [Permanent] error and a
	// cancelled caller are never retried.
	RetryIf func(err *Error) bool
	// Breaker, when not nil, gives the agent its own circuit breaker
	// built with breaker.New(agent name, *Breaker). Default: none.
	Breaker *breaker.Settings
	// MaxInFlight caps concurrent executions of the agent. Default: no cap.
	MaxInFlight int
	// MaxQueued caps executions waiting for a slot when MaxInFlight are
	// running; a call beyond it is rejected at once as [KindOverloaded].
	// Default 0: no queue.
	MaxQueued int
	// QueueTimeout bounds the wait for a slot. Default: the caller's
	// context only.
	QueueTimeout time.Duration
}

// Backoff configures the exponential backoff with jitter between attempts
// (github.com/cenkalti/backoff/v4). Zero fields inherit, then default.
type Backoff struct {
	// Initial is the first sleep. Default 100ms.
	Initial time.Duration
	// Max caps one sleep. Default 5s.
	Max time.Duration
	// Multiplier grows the sleep per attempt. Default 2.
	Multiplier float64
	// Jitter is the randomisation factor in [0, 1]: a sleep is drawn from
	// [d*(1-Jitter), d*(1+Jitter)]. Default 0.5; negative means none.
	Jitter float64
}

// Built-in defaults.
const (
	defaultInitial    = 100 * time.Millisecond
	defaultMax        = 5 * time.Second
	defaultMultiplier = 2
	defaultJitter     = 0.5
)

// policy is a resolved Policy.
type policy struct {
	timeout, total, queueTimeout time.Duration
	attempts                     int
	backoff                      Backoff
	retryIf                      func(*Error) bool
	breaker                      *breaker.Settings
	maxInFlight, maxQueued       int
}

func firstDur(d ...time.Duration) time.Duration {
	for _, v := range d {
		if v != 0 {
			return max(v, 0)
		}
	}
	return 0
}

func firstInt(d ...int) int {
	for _, v := range d {
		if v != 0 {
			return max(v, 0)
		}
	}
	return 0
}

func firstFloat(d ...float64) float64 {
	for _, v := range d {
		if v != 0 {
			return max(v, 0)
		}
	}
	return 0
}

// resolve merges p (agent), k (kind) and d (default).
func resolve(p, k, d Policy) (policy, error) {
	r := policy{
		timeout:      firstDur(p.Timeout, k.Timeout, d.Timeout),
		total:        firstDur(p.TotalTimeout, k.TotalTimeout, d.TotalTimeout),
		queueTimeout: firstDur(p.QueueTimeout, k.QueueTimeout, d.QueueTimeout),
		attempts:     firstInt(p.MaxAttempts, k.MaxAttempts, d.MaxAttempts, 1),
		maxInFlight:  firstInt(p.MaxInFlight, k.MaxInFlight, d.MaxInFlight),
		maxQueued:    firstInt(p.MaxQueued, k.MaxQueued, d.MaxQueued),
		backoff: Backoff{
			Initial:    firstDur(p.Backoff.Initial, k.Backoff.Initial, d.Backoff.Initial, defaultInitial),
			Max:        firstDur(p.Backoff.Max, k.Backoff.Max, d.Backoff.Max, defaultMax),
			Multiplier: firstFloat(p.Backoff.Multiplier, k.Backoff.Multiplier, d.Backoff.Multiplier, defaultMultiplier),
			Jitter:     firstFloat(p.Backoff.Jitter, k.Backoff.Jitter, d.Backoff.Jitter, defaultJitter),
		},
	}
	for _, x := range []Policy{p, k, d} {
		if r.retryIf == nil {
			r.retryIf = x.RetryIf
		}
		if r.breaker == nil {
			r.breaker = x.Breaker
		}
	}
	switch {
	case r.backoff.Multiplier < 1:
		return r, errors.New("agent: backoff multiplier below 1")
	case r.backoff.Jitter > 1:
		return r, errors.New("agent: backoff jitter above 1")
	case r.backoff.Initial > r.backoff.Max:
		return r, errors.New("agent: backoff initial above max")
	case r.maxQueued > 0 && r.maxInFlight == 0:
		return r, errors.New("agent: max queued without max in flight")
	}
	return r, nil
}
