package ledger

import "context"

// The one place where request and run ids travel in a context.
type requestIDKey struct{}
type runIDKey struct{}

// WithRequestID returns a copy of ctx carrying the request id. [Ledger.Record]
// uses it when an entry's RequestID is empty.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// WithRunID returns a copy of ctx carrying the run id (a job, CI cycle or
// agent run). [Ledger.Record] uses it when an entry's RunID is empty.
func WithRunID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runIDKey{}, id)
}

// RunIDFrom returns the run id carried by ctx, or "".
func RunIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(runIDKey{}).(string)
	return s
}
