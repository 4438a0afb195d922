// Package agent defines the Agent interface of the DevSkyy SDK, a registry
// of agents, and the runner that makes every execution safe: flags, input
// validation, a concurrency limit, a circuit breaker, per-attempt and total
// deadlines, retries with backoff, a degraded answer, and one ledger entry
// per failure.
//
// Orchestration (sequence, parallel, map, race, dependency graphs) lives in
// [github.com/devskyy/devskyy/agent/flow], HTTP exposure in
// [github.com/devskyy/devskyy/agent/agenthttp] and test fakes in
// [github.com/devskyy/devskyy/agent/agenttest].
//
// # The model
//
// An [Agent] has a typed input and output and describes itself with an
// [Info] (name, kind, version, capabilities, JSON Schemas derived from its
// Go types by [SchemaOf]). [Func] turns a plain function into an agent.
// Optional interfaces are detected at registration: [Initializer],
// [Closer], [HealthChecker], [Degrader], and [Validator] on the input type.
//
// A [Registry] holds agents under unique names. [Register] returns a typed
// [Handle]; [Lookup] finds one again by name and fails clearly on a type
// mismatch; [Registry.RunJSON] is the dynamic edge for HTTP and other
// untyped callers. [Registry.Start] initialises agents concurrently;
// [Registry.Close] drains executions and closes agents in reverse order.
//
//	reg, _ := agent.New(agent.Settings{Default: agent.Policy{Timeout: 30 * time.Second}})
//	scan, _ := agent.Register(reg, agent.Func(agent.Info{Name: "scanner"}, scanFn), agent.Options{})
//	_ = reg.Start(ctx)
//	defer reg.Close(ctx)
//	res := scan.Run(ctx, ScanInput{Path: "."})
//
// # The runner
//
// [Handle.Run] executes in one fixed order, documented on the method. Its
// [Policy] resolves field by field: the agent's own, its kind's, the
// registry default, then the built-in default. The built-in defaults switch
// everything off but a single attempt, so a registry with no policy costs
// next to nothing over a direct call; hosts set timeouts and breakers
// explicitly, per agent or per kind.
//
// Retries use github.com/cenkalti/backoff/v4 (exponential, with jitter) and
// happen only for retryable failures: internal errors, unavailable answers
// and the agent's own attempt timeouts. Invalid input, panics, disabled
// agents, breaker rejections, a [Permanent] error and a cancelled caller are
// never retried; a backoff sleep that would outlast the deadline is not
// taken.
//
// The runner starts no goroutine per call. The attempt deadline is a
// context deadline on the caller's goroutine (context.WithTimeoutCause), so
// an agent that ignores its context keeps running, holding the caller and
// its slot, until it returns: agents must honour ctx.
//
// # Errors
//
// Every failure is an [*Error] carrying a [Kind], the agent, the execution
// id, a public message, the cause and retry information.
// errors.Is(err, agent.KindTimeout) tests the kind. Kinds map to HTTP
// statuses ([Kind.HTTPStatus]): invalid input 400, not found 404, disabled
// 503, unavailable and breaker open 503 with Retry-After, overloaded 429,
// timeout 504, cancelled 499, internal and panic 500. A timeout names its
// cause: [ErrAgentDeadline] (the policy's deadline) or [ErrCallerDeadline].
//
// Only a message marked with [Public] (and the runner's own validation
// messages, which name fields and rules, never values) reaches a remote
// caller; everything else becomes the kind's generic text plus the
// execution id, which is the id of the failure's ledger entry. The ledger
// entry holds the cause's text, the attempts, durations, the request id, a
// sha256 digest of the input (never the input) and the stack of a panic.
//
// Executions rejected before the agent was called (invalid input, a
// disabled agent, no concurrency slot, an open breaker) write at most
// [Settings.RejectionEntries] entries per agent per second (default 10).
// The ledger is an audit trail with size retention: without the limit, a
// client sending bad requests as fast as it can would make each one a
// durable write and could push older entries out. The rejections past the
// limit are counted, the next rejection entry carries the count as its
// "suppressed" attribute, and [Hooks] see every one; such a rejection's
// execution id is then found in no entry. Executions that called the
// agent always get their one entry.
//
// # Observability
//
// [Hooks] observe start, attempts, retries, rejections, breaker
// transitions and completion, with the request context; nil hooks cost a
// comparison. [LogHooks] logs them with log/slog.
//
// # Status
//
// An agent's [Status] is computed, not self-reported: disabled (flag),
// error (Init or a recent health check failed), degraded (breaker not
// closed), processing (executions in flight) or idle.
//
// # Cost
//
// With no policy, an execution costs two monotonic clock reads (for
// [Result.Duration]) and a few atomic operations over a direct call, and
// allocates nothing. With a timeout, a breaker and a concurrency limit it
// allocates once (the attempt context); the context's timer is built only
// if the agent waits on ctx.Done() or derives a child context (then four
// more allocations, as with context.WithTimeout). Failures allocate their
// [*Error] and ledger entry. benchmarks/agent compares the runner with
// failsafe-go composing the same policies.
//
// # Concurrency
//
// A Registry and its Handles are safe for concurrent use; executions take
// no lock except the channel of a concurrency limit. Agents must be safe for
// concurrent use.
package agent
