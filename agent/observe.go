package agent

import (
	"context"
	"log/slog"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/ledger"
)

// Event is what a hook receives, a plain value. Fields that do not apply
// to a hook are zero.
type Event struct {
	// Agent is the agent's name.
	Agent string
	// ID is the execution id, always set (hooks make the runner assign it
	// up front).
	ID ledger.ID
	// Attempt is the attempt number, from 1 (OnAttempt, OnRetry, OnComplete).
	Attempt int
	// Err is the attempt's or execution's error (OnAttempt, OnRetry,
	// OnReject, OnComplete).
	Err error
	// Delay is the backoff sleep before the next attempt (OnRetry).
	Delay time.Duration
	// Duration is the attempt's (OnAttempt) or execution's (OnComplete)
	// duration.
	Duration time.Duration
	// Outcome is the execution's outcome (OnComplete).
	Outcome Outcome
}

// Hooks observe executions. The zero value observes nothing. Every hook is
// optional; a nil hook costs one comparison. Hooks run synchronously on the caller's goroutine (except
// OnBreaker, see below), so they must be fast and safe for concurrent use;
// they receive the request context, so a hook can read the request id or a
// trace span from it.
type Hooks struct {
	// OnStart runs when an execution begins, before the flag check.
	OnStart func(ctx context.Context, e Event)
	// OnAttempt runs after each attempt, with its error (nil on success).
	OnAttempt func(ctx context.Context, e Event)
	// OnRetry runs before the backoff sleep of a retry.
	OnRetry func(ctx context.Context, e Event)
	// OnReject runs when an execution is rejected before or instead of an
	// attempt: disabled, invalid input, overloaded, breaker open,
	// unavailable.
	OnReject func(ctx context.Context, e Event)
	// OnBreaker runs on every state change of an agent's breaker. A
	// transition belongs to the agent, not to one request: ctx is
	// context.Background() and the hook runs wherever the breaker reports
	// it.
	OnBreaker func(ctx context.Context, agent string, e breaker.Event)
	// OnComplete runs when an execution ends, after its ledger entry.
	OnComplete func(ctx context.Context, e Event)
}

func (h *Hooks) any() bool {
	return h.OnStart != nil || h.OnAttempt != nil || h.OnRetry != nil ||
		h.OnReject != nil || h.OnBreaker != nil || h.OnComplete != nil
}

// LogHooks returns hooks that log to l: attempts and starts at debug,
// retries and rejections at warn, breaker transitions at warn, completions
// at info (error on failure). Errors are logged with their full text: logs
// are internal. A nil l gives empty hooks.
func LogHooks(l *slog.Logger) Hooks {
	if l == nil {
		return Hooks{}
	}
	attrs := func(e Event) []slog.Attr {
		a := []slog.Attr{slog.String("agent", e.Agent), slog.String("execution_id", e.ID.String())}
		if e.Attempt > 0 {
			a = append(a, slog.Int("attempt", e.Attempt))
		}
		if e.Err != nil {
			a = append(a, slog.String("error", e.Err.Error()))
		}
		if e.Delay > 0 {
			a = append(a, slog.Duration("delay", e.Delay))
		}
		if e.Duration > 0 {
			a = append(a, slog.Duration("duration", e.Duration))
		}
		return a
	}
	return Hooks{
		OnStart: func(ctx context.Context, e Event) {
			l.LogAttrs(ctx, slog.LevelDebug, "agent start", attrs(e)...)
		},
		OnAttempt: func(ctx context.Context, e Event) {
			l.LogAttrs(ctx, slog.LevelDebug, "agent attempt", attrs(e)...)
		},
		OnRetry: func(ctx context.Context, e Event) {
			l.LogAttrs(ctx, slog.LevelWarn, "agent retry", attrs(e)...)
		},
		OnReject: func(ctx context.Context, e Event) {
			l.LogAttrs(ctx, slog.LevelWarn, "agent rejected", attrs(e)...)
		},
		OnBreaker: func(ctx context.Context, agent string, e breaker.Event) {
			l.LogAttrs(ctx, slog.LevelWarn, "agent breaker", slog.String("agent", agent),
				slog.String("from", e.From.String()), slog.String("to", e.To.String()))
		},
		OnComplete: func(ctx context.Context, e Event) {
			lvl := slog.LevelInfo
			if e.Err != nil {
				lvl = slog.LevelError
			}
			l.LogAttrs(ctx, lvl, "agent complete", append(attrs(e), slog.String("outcome", e.Outcome.String()))...)
		},
	}
}
