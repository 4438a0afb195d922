package agent

import "context"

// Agent is a unit of work with a typed input and a typed output. Execute
// must honour ctx: it is the only way the runner can stop an attempt (the
// runner calls Execute on the caller's goroutine and never abandons it, so an
// agent that ignores its context holds the caller and its concurrency slot
// until it returns).
//
// Implementations must be safe for concurrent use: the runner calls Execute
// from as many goroutines as the policy's concurrency limit allows.
type Agent[In, Out any] interface {
	// Info describes the agent. It is read once, at registration; empty
	// Input and Output schemas are derived from In and Out.
	Info() Info
	// Execute runs the agent once.
	Execute(ctx context.Context, in In) (Out, error)
}

// Info describes an agent. Name is required; Kind selects the kind-level
// policy. The zero value is not a valid description. An Info is a plain
// value; the registry keeps its own copy.
type Info struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind,omitempty"`
	Version      string   `json:"version,omitempty"`
	Description  string   `json:"description,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	// Input and Output are JSON Schemas of the agent's types. [Register]
	// derives them with [SchemaOf] when nil.
	Input  *Schema `json:"input,omitempty"`
	Output *Schema `json:"output,omitempty"`
}

// Optional interfaces, detected at registration.
type (
	// Initializer is implemented by agents that need set-up before their
	// first execution. [Registry.Start] calls Init once; until it returns nil
	// the agent answers [KindUnavailable].
	Initializer interface {
		Init(ctx context.Context) error
	}
	// Closer is implemented by agents holding resources. [Registry.Close]
	// calls Close once, in reverse registration order.
	Closer interface {
		Close(ctx context.Context) error
	}
	// HealthChecker is implemented by agents that can check their
	// dependencies. [Registry.CheckHealth] calls it; a failure makes the
	// agent's status [StatusError] for the registry's HealthTTL.
	HealthChecker interface {
		CheckHealth(ctx context.Context) error
	}
	// Validator is implemented by input types (with a value or pointer
	// receiver) that check themselves beyond their validate tags. Its error
	// is reported as [KindInvalidInput]; its text reaches remote callers only
	// when wrapped with [Public].
	Validator interface {
		Validate() error
	}
)

// Degrader is implemented by agents that can give a degraded answer when
// the breaker is open, no concurrency slot is free, or retries are used up.
// cause is the [*Error] that would otherwise be returned. The answer's
// outcome is [OutcomeDegraded].
type Degrader[In, Out any] interface {
	Degraded(ctx context.Context, in In, cause error) (Out, error)
}

// FuncAgent is an [Agent] made from a plain function by [Func]. Set
// Fallback to give it a degraded answer (see [Degrader]). Its fields must
// not change after registration; it is then safe for concurrent use when
// its functions are.
type FuncAgent[In, Out any] struct {
	// Meta is what Info returns.
	Meta Info
	// Fn is what Execute calls. [Register] reads Fn and Fallback once:
	// changing them after registration has no effect on the handle.
	Fn func(ctx context.Context, in In) (Out, error)
	// Fallback, when not nil, is the degraded answer.
	Fallback func(ctx context.Context, in In, cause error) (Out, error)
}

// Func turns a typed function into an agent. Its input and output schemas
// are derived from In and Out at registration.
func Func[In, Out any](info Info, fn func(ctx context.Context, in In) (Out, error)) *FuncAgent[In, Out] {
	return &FuncAgent[In, Out]{Meta: info, Fn: fn}
}

// Info returns f.Meta.
func (f *FuncAgent[In, Out]) Info() Info { return f.Meta }

// Execute calls f.Fn.
func (f *FuncAgent[In, Out]) Execute(ctx context.Context, in In) (Out, error) {
	return f.Fn(ctx, in)
}
