// Package breaker is a circuit breaker: it stops calling a dependency that
// keeps failing, lets a few probes test it after a pause, and resumes when
// they succeed. It is built for hot paths: a closed-state call under the
// default policy costs one atomic load and no allocation, and a rejection
// costs one atomic load and returns a preallocated error.
//
// # The model
//
//	          trip policy fires
//	┌────────┐ ─────────────────────────▶ ┌────────┐
//	│ closed │                            │  open  │◀─┐
//	└────────┘ ◀──────┐                   └────────┘  │
//	                  │ HalfOpenSuccesses      │       │ a probe fails, or
//	                  │ probes succeed         │ open  │ HalfOpenTimeout
//	                  │                        │ time  │ passes
//	               ┌───────────┐ ◀─────────────┘       │
//	               │ half-open │ ──────────────────────┘
//	               └───────────┘
//
// Closed admits every call and counts outcomes. When a trip policy fires the
// breaker opens: every call is rejected with an [*OpenError] matching
// [ErrOpen] for the open duration. Then it turns half-open and admits up to
// [Settings.HalfOpenProbes] concurrent probes; [Settings.HalfOpenSuccesses]
// successful probes close it, any failed probe re-opens it, and if it has
// not closed within [Settings.HalfOpenTimeout] (say a probe was lost) it
// re-opens as well.
//
// Each change starts a new generation. The current generation is the state
// word, an atomic pointer: admission reads it, transitions replace it, and
// a result that comes back after its generation ended is dropped.
//
// # Outcomes
//
// A call's error is classified by [Settings.Classify] into [Success],
// [Failure] or [Ignore]. By default ([DefaultClassify]) nil succeeds,
// [context.Canceled] and a [context.DeadlineExceeded] of the caller's own
// context are ignored, and every other error fails. A context already done
// before admission takes no permit and records nothing. A panic in the
// guarded call is a failure and keeps unwinding with its original stack.
//
// # Trip policies
//
// Policies combine; any one opens the breaker:
//   - consecutive failures (default 5; negative disables);
//   - failure rate over a time window ([Settings.Window], bucketed) or over
//     the last [Settings.WindowCalls] calls, with [Settings.MinCalls];
//   - slow-call rate, opt-in with [Settings.SlowCallDuration];
//   - a custom predicate [Settings.Trip] over a [Snapshot] that includes
//     the in-flight count.
//
// # Open duration
//
// The first opening lasts [Settings.OpenTimeout] (default 60 s); each
// re-open without a close in between multiplies it by
// [Settings.OpenMultiplier] (default 2) up to [Settings.MaxOpenTimeout]
// (default 10 min), with plus or minus [Settings.OpenJitter] (default 10%) jitter so
// that a fleet does not probe in lockstep; closing resets it. The backoff
// is github.com/cenkalti/backoff/v4's exponential policy, and
// [Settings.OpenTimeoutFunc] can override it. [Breaker.RetryAfter] and
// [OpenError.RetryAfter] feed an HTTP Retry-After header.
//
// Opening arms a timer (the only background activity, and only while open or
// half-open) so that the open state ends without any clock read on the
// rejection path.
//
// # Modes
//
// [Breaker.SetMode] puts a breaker in [ModeForcedOpen] (rejects until
// released), [ModeDisabled] (pass-through, reports [StateDisabled]) or
// [ModeMetricsOnly] (runs and notifies but never rejects, for shadow
// roll-outs), and back to [ModeNormal]. [Breaker.Reset] clears counts and
// backoff.
//
// # Listeners
//
// [Settings.OnStateChange] receives an [Event] per change with from, to,
// generation and a snapshot of counts. Events arrive in generation order,
// one at a time, with no lock held, so a listener may call back into the
// breaker (even change it) without deadlock.
//
// # Three ways to call
//
// [Breaker.Do] for func(ctx) error, the generic [Call] for calls that return
// a value, and [Breaker.Allow] plus [Permit.Done] where the work cannot be
// wrapped in a closure. A [Group] keeps one breaker per key (host, agent)
// and evicts idle closed ones.
//
// # Cost and the decisions behind it
//
// The closed path with only the consecutive-failure policy loads the state
// word, calls the function and, on success, loads the failure run (storing
// only when it was not zero): no shared write, so parallel callers do not
// contend. With a time-window policy a success adds to a striped counter
// (one per goroutine stack, padded to a cache line) and reads no clock; the
// ring advances on failures and every 64th success per stripe, so a success
// may be counted as later than it was, never earlier. Because successes are
// not counted without a rate policy, [Snapshot.Calls] stays zero then.
//
// What remains of the closed path is what the contract requires: the check
// that ctx is not already done (an interface call) and a deferred check
// that records a panic as a failure without recovering it (a defer costs a
// call at function exit). The package's BenchmarkFloor measures exactly
// those obligations with no breaker logic, so that the distance between it
// and BenchmarkDoClosed is the breaker's own cost on the machine at hand.
//
// A rejection returns the generation's preallocated [*OpenError]; its
// RetryAfter is the full open duration (an upper bound of the wait, read
// without a clock), while [Breaker.RetryAfter] is exact.
//
// [Permit.Done] records once across all copies of a permit without
// allocating: a permit owns a slot of a small per-breaker ring until it is
// done (a probe owns its probe slot). With hundreds of permits outstanding
// at once, a permit may get no ring slot; it then records on every Done.
//
// # Zero values and concurrency
//
// The zero [Settings] means the defaults above. [Breaker] and [Group] must
// be created with [New] and [NewGroup], are safe for concurrent use, and
// start no goroutine of their own: the only asynchronous work is the
// callback of the open and half-open timers ([time.AfterFunc]), which makes
// the next transition and returns; [Group.Run] sweeps on the caller's
// goroutine. Breakers are per process by design.
package breaker
