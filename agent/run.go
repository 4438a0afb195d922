package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/ledger"
)

// Handle runs one registered agent with its typed input and output. Get
// one from [Register] or [Lookup]. The zero value is not usable; a Handle is
// safe for concurrent use.
type Handle[In, Out any] struct {
	e        *entry
	a        Agent[In, Out]
	exec     func(ctx context.Context, in In) (Out, error) // a.Execute, or a FuncAgent's Fn
	fb       func(ctx context.Context, in In, cause error) (Out, error)
	validate func(p any) error // p is *In; nil: nothing to check
}

// Name returns the agent's name.
func (h *Handle[In, Out]) Name() string { return h.e.name }

// Info returns the agent's description, schemas included.
func (h *Handle[In, Out]) Info() Info { return h.e.info }

// Call runs the agent and returns its output (or degraded output) and the
// error of a failed execution, an [*Error].
func (h *Handle[In, Out]) Call(ctx context.Context, in In) (Out, error) {
	r := h.Run(ctx, in)
	return r.Output, r.Err
}

// Run executes the agent once under its policy and returns the result. The
// order is fixed:
//
//  1. flag check (registry closed, agent disabled, Init not done);
//  2. input validation (validate tags, then the Validate method);
//  3. a concurrency slot (MaxInFlight, MaxQueued, QueueTimeout);
//  4. for each attempt, unless the caller is already gone: breaker
//     admission, the attempt deadline, the call
//     with panic safety, classification of the outcome; a retry, after an
//     exponential backoff with jitter, only for a retryable error, only
//     while attempts remain, never once the caller cancelled and never when
//     the sleep would outlast the deadline; TotalTimeout bounds all
//     attempts and sleeps;
//  5. the degraded answer, when the agent has one and the breaker was open,
//     no slot was free, or a retryable failure used up the attempts;
//  6. exactly one ledger entry when the execution failed or was degraded;
//  7. release of the slot.
//
// A panic in the agent is recovered here and becomes a [KindPanic] error
// whose stack goes to the ledger entry; it is never retried. A panic in the
// degraded answer counts as that answer failing.
//
// Run calls the agent on the caller's goroutine and starts no goroutine of
// its own; the attempt deadline is a context deadline, so an agent that
// ignores its context is not interrupted (see [Agent]).
func (h *Handle[In, Out]) Run(ctx context.Context, in In) (res Result[Out]) {
	h.run(ctx, in, nil, &res)
	return res
}

var (
	errAttemptDeadline = fmt.Errorf("%w (attempt timeout)", ErrAgentDeadline)
	errTotalDeadline   = fmt.Errorf("%w (total timeout)", ErrAgentDeadline)
)

func (h *Handle[In, Out]) run(ctx context.Context, in In, decodeErr error, res *Result[Out]) {
	e := h.e
	r := e.reg
	start := r.mono()
	if r.observed {
		res.ID = ledger.NewID()
	}
	e.inflight.add(1)
	if r.s.Hooks.OnStart != nil {
		r.s.Hooks.OnStart(ctx, Event{Agent: e.name, ID: res.ID})
	}
	var err *Error
	switch {
	case r.closed.Load():
		err = &Error{Kind: KindUnavailable, Public: "the agent registry is closed"}
	case !e.enabled(ctx):
		err = &Error{Kind: KindDisabled}
	case !e.ready.Load():
		err = &Error{Kind: KindUnavailable, Err: errors.New("agent: not initialised")}
	case decodeErr != nil:
		err = asError(decodeErr)
	case h.validate != nil:
		err = h.check(in)
	}
	acquired := false
	if err == nil && e.slots != nil {
		err = e.acquire(ctx, &res.QueueWait)
		acquired = err == nil
	}
	fallback := false
	switch {
	case err == nil && e.direct: // attempts, for one plain attempt, without its two frames (TestDirectAttemptMatchesAttemptLoop keeps them in step)
		if ctx.Err() != nil {
			err = callerError(ctx, nil)
			break
		}
		res.Attempts = 1
		out, pv, cerr := h.call(ctx, in)
		if cerr == nil && pv == nil {
			res.Output = out
			break
		}
		err = classify(ctx, ctx, cerr, pv)
		fallback = h.retryable(ctx, err) // attempts used up
	case err == nil:
		err, fallback = h.attempts(ctx, in, res, start+res.QueueWait)
	default:
		fallback = err.Kind == KindOverloaded
		if r.s.Hooks.OnReject != nil {
			r.s.Hooks.OnReject(ctx, Event{Agent: e.name, ID: res.ID, Err: err})
		}
	}
	if err != nil {
		h.fail(ctx, in, err, fallback, start, res)
	} else {
		res.Duration = r.mono() - start
	}
	if acquired {
		<-e.slots
	}
	e.inflight.add(-1)
	if r.s.Hooks.OnComplete != nil {
		r.s.Hooks.OnComplete(ctx, Event{Agent: e.name, ID: res.ID, Attempt: res.Attempts, Err: res.Err,
			Duration: res.Duration, Outcome: res.Outcome})
	}
}

func asError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Kind: KindInternal, Err: err}
}

// check runs the input validation; in escapes here only.
func (h *Handle[In, Out]) check(in In) *Error {
	if err := h.validate(&in); err != nil {
		return asError(err)
	}
	return nil
}

// acquire takes a concurrency slot, queueing within the policy's limits.
func (e *entry) acquire(ctx context.Context, wait *time.Duration) *Error {
	select {
	case e.slots <- struct{}{}:
		return nil
	default:
	}
	overloaded := &Error{Kind: KindOverloaded, RetryAfter: time.Second}
	if e.pol.maxQueued == 0 {
		return overloaded
	}
	if e.queued.Add(1) > int64(e.pol.maxQueued) {
		e.queued.Add(-1)
		return overloaded
	}
	defer e.queued.Add(-1)
	t0 := e.reg.mono()
	defer func() { *wait = e.reg.mono() - t0 }()
	var timeout <-chan time.Time
	if e.pol.queueTimeout > 0 {
		t := time.NewTimer(e.pol.queueTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return callerError(ctx, nil)
	case <-timeout:
		overloaded.Err = errors.New("agent: queue timeout")
		return overloaded
	}
}

// callerError is the error of an execution whose caller's context ended.
func callerError(ctx context.Context, cause error) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Err: errors.Join(ErrCallerDeadline, cause)}
	}
	return &Error{Kind: KindCanceled, Err: errors.Join(context.Cause(ctx), cause)}
}

// attempts runs the attempt loop. fallback reports whether a degraded
// answer may replace the error.
// now is the monotonic time the first attempt starts at (the execution's
// start plus its queue wait), saving a clock read.
func (h *Handle[In, Out]) attempts(ctx context.Context, in In, res *Result[Out], now time.Duration) (err *Error, fallback bool) {
	p := &h.e.pol
	runCtx := ctx
	if p.total > 0 && p.attempts > 1 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, p.total, errTotalDeadline)
		defer cancel()
	}
	var bo *backoff.ExponentialBackOff // built on the first retry
	for n := 1; ; n++ {
		if ctx.Err() != nil { // the caller is gone: do not start an attempt
			res.Attempts = n - 1
			return callerError(ctx, nil), false
		}
		res.Attempts = n
		var out Out
		if n > 1 {
			now = h.e.reg.mono()
		}
		out, err = h.attempt(ctx, runCtx, in, n, res.ID, now)
		if err == nil {
			res.Output = out
			return nil, false
		}
		if err.Kind == KindBreakerOpen {
			res.Attempts = n - 1 // the agent was not called
			return err, true
		}
		if !h.retryable(ctx, err) {
			return err, false
		}
		if n >= p.attempts {
			return err, true
		}
		if bo == nil {
			bo = &backoff.ExponentialBackOff{
				InitialInterval: p.backoff.Initial, RandomizationFactor: p.backoff.Jitter,
				Multiplier: p.backoff.Multiplier, MaxInterval: p.backoff.Max,
				Stop: backoff.Stop, Clock: backoff.SystemClock,
			}
			bo.Reset()
		}
		delay := bo.NextBackOff()
		if dl, ok := runCtx.Deadline(); ok && time.Until(dl) <= delay {
			return err, true // the sleep would outlast the deadline
		}
		if hk := h.e.reg.s.Hooks.OnRetry; hk != nil {
			hk(ctx, Event{Agent: h.e.name, ID: res.ID, Attempt: n, Err: err, Delay: delay})
		}
		t := time.NewTimer(delay)
		select {
		case <-runCtx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return callerError(ctx, err), false
			}
			return &Error{Kind: KindTimeout, Err: errors.Join(context.Cause(runCtx), err)}, true
		case <-t.C:
		}
	}
}

// attempt makes one attempt: breaker admission, deadline, call,
// classification.
func (h *Handle[In, Out]) attempt(ctx, runCtx context.Context, in In, n int, id ledger.ID, now time.Duration) (Out, *Error) {
	e := h.e
	p := &e.pol
	var permit breaker.Permit
	if e.br != nil {
		var berr error
		if permit, berr = e.br.Allow(ctx); berr != nil {
			var zero Out
			ae := &Error{Kind: KindBreakerOpen, Err: berr, RetryAfter: e.br.RetryAfter()}
			if hk := e.reg.s.Hooks.OnReject; hk != nil {
				hk(ctx, Event{Agent: e.name, ID: id, Attempt: n, Err: ae})
			}
			return zero, ae
		}
	}
	actx := runCtx
	var dc *deadlineCtx
	var cancel context.CancelFunc
	t, cause := p.timeout, errAttemptDeadline
	if p.total > 0 && p.attempts == 1 && (t == 0 || p.total < t) {
		t, cause = p.total, errTotalDeadline
	}
	if t > 0 {
		dl := e.reg.epoch.Add(now + t)
		if pd, ok := runCtx.Deadline(); !ok || dl.Before(pd) {
			if e.usesCtx.Load() { // the lazy context would be materialised anyway: skip it
				actx, cancel = context.WithDeadlineCause(runCtx, dl, cause)
			} else {
				dc = &deadlineCtx{parent: runCtx, deadline: dl, cause: cause, used: &e.usesCtx}
				actx = dc
			}
		}
	}
	var t0 time.Duration
	hk := e.reg.s.Hooks.OnAttempt
	if hk != nil {
		t0 = e.reg.mono()
	}
	out, pv, err := h.call(actx, in)
	var ae *Error
	if err != nil || pv != nil {
		ae = classify(ctx, actx, err, pv)
	}
	if dc != nil {
		dc.stop()
	}
	if cancel != nil {
		cancel()
	}
	if e.br != nil {
		permit.Done(breakerOutcome(ae))
	}
	if hk != nil {
		var ee error
		if ae != nil {
			ee = ae
		}
		hk(ctx, Event{Agent: e.name, ID: id, Attempt: n, Err: ee, Duration: e.reg.mono() - t0})
	}
	return out, ae
}

type panicValue struct {
	v     any
	stack []byte
}

// call runs the agent, turning a panic into a value.
func (h *Handle[In, Out]) call(ctx context.Context, in In) (out Out, pv *panicValue, err error) {
	defer func() {
		if p := recover(); p != nil {
			pv = &panicValue{v: p, stack: debug.Stack()}
		}
	}()
	out, err = h.exec(ctx, in)
	return out, nil, err
}

// classify turns a failed attempt into an *Error. ctx is the caller's
// context, actx the attempt's.
func classify(ctx, actx context.Context, err error, pv *panicValue) *Error {
	switch {
	case pv != nil:
		return &Error{Kind: KindPanic, Err: fmt.Errorf("agent: panic: %v", pv.v), stack: string(pv.stack)}
	case ctx.Err() != nil:
		return callerError(ctx, err)
	case actx.Err() != nil && errors.Is(context.Cause(actx), ErrAgentDeadline):
		return &Error{Kind: KindTimeout, Err: errors.Join(context.Cause(actx), err)}
	}
	var ae *Error
	if errors.As(err, &ae) {
		return &Error{Kind: ae.Kind, Public: ae.Public, RetryAfter: ae.RetryAfter, Err: ae.Err,
			stack: ae.stack, permanent: ae.permanent || isPermanent(err)}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Err: err}
	}
	return &Error{Kind: KindInternal, Err: err}
}

// breakerOutcome is the error the breaker records: caller cancellations
// and client errors say nothing about the agent's health.
func breakerOutcome(ae *Error) error {
	switch {
	case ae == nil, ae.Kind == KindInvalidInput, ae.Kind == KindNotFound:
		return nil
	case ae.Kind == KindCanceled, errors.Is(ae.Err, ErrCallerDeadline):
		return context.Canceled
	}
	return ae
}

// retryable applies the retry rule to a failed attempt.
func (h *Handle[In, Out]) retryable(ctx context.Context, err *Error) bool {
	if ctx.Err() != nil || err.permanent || isPermanent(err.Err) || err.Kind == KindCanceled ||
		errors.Is(err.Err, ErrCallerDeadline) {
		return false
	}
	if h.e.pol.retryIf != nil {
		return h.e.pol.retryIf(err)
	}
	switch err.Kind {
	case KindInternal, KindUnavailable:
		return true
	case KindTimeout:
		return !errors.Is(err.Err, errTotalDeadline)
	}
	return false
}

// fail completes a failed execution: ids, the degraded answer, the ledger.
func (h *Handle[In, Out]) fail(ctx context.Context, in In, err *Error, fallback bool, start time.Duration, res *Result[Out]) {
	e := h.e
	if res.ID.IsZero() {
		res.ID = ledger.NewID()
	}
	err.Agent, err.ID, err.Attempts = e.name, res.ID, res.Attempts
	res.Err, res.Outcome = err, outcomeOf(err.Kind)
	if fallback && h.fb != nil {
		if out, ferr := h.degrade(ctx, in, err); ferr == nil {
			res.Output, res.Err, res.Outcome = out, nil, OutcomeDegraded
		}
	}
	res.Duration = e.reg.mono() - start
	if e.reg.s.Ledger == nil {
		return
	}
	var suppressed int64
	if res.Attempts == 0 && e.reg.s.RejectionEntries > 0 {
		if !e.rejects.admit(start+res.Duration, e.reg.s.RejectionEntries) {
			e.rejects.suppressed.Add(1)
			return
		}
		suppressed = e.rejects.suppressed.Swap(0)
	}
	h.record(ctx, in, err, res, suppressed)
}

// rejectWindow counts an agent's rejection entries in the current second
// of the registry's clock: the second in the high 40 bits of w, the count
// in the low 24, updated together by compare-and-swap.
type rejectWindow struct {
	w          atomic.Uint64
	suppressed atomic.Int64 // rejections not recorded since the last rejection entry
}

const rejectCountBits = 24

// admit reports whether a rejection at now (registry time) may write an
// entry: fewer than limit have in now's second.
func (w *rejectWindow) admit(now time.Duration, limit int) bool {
	sec := uint64(now / time.Second)
	lim := uint64(min(limit, 1<<rejectCountBits-1))
	for {
		old := w.w.Load()
		n := old & (1<<rejectCountBits - 1)
		if old>>rejectCountBits != sec {
			n = 0
		}
		if n >= lim {
			return false
		}
		if w.w.CompareAndSwap(old, sec<<rejectCountBits|(n+1)) {
			return true
		}
	}
}

func (h *Handle[In, Out]) degrade(ctx context.Context, in In, cause error) (out Out, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("agent: fallback panic: %v", p)
		}
	}()
	return h.fb(ctx, in, cause)
}

var kindSeverity = [numKinds]ledger.Severity{
	KindInternal: ledger.SeverityMedium, KindInvalidInput: ledger.SeverityInfo, KindNotFound: ledger.SeverityInfo,
	KindDisabled: ledger.SeverityInfo, KindUnavailable: ledger.SeverityLow, KindBreakerOpen: ledger.SeverityLow,
	KindOverloaded: ledger.SeverityLow, KindTimeout: ledger.SeverityMedium, KindCanceled: ledger.SeverityInfo,
	KindPanic: ledger.SeverityHigh,
}

// record writes the execution's one ledger entry.
func (h *Handle[In, Out]) record(ctx context.Context, in In, err *Error, res *Result[Out], suppressed int64) {
	e := h.e
	typ := "agent." + kindType[err.Kind]
	msg := "agent " + e.name + " " + res.Outcome.String() + ": " + err.Kind.String()
	attrs := []slog.Attr{
		slog.String("kind", err.Kind.String()),
		slog.String("outcome", res.Outcome.String()),
		slog.Int("attempts", res.Attempts),
		slog.Duration("duration", res.Duration),
		slog.Duration("queue_wait", res.QueueWait),
		slog.String("input_digest", digest(in)),
		slog.String("agent_kind", e.info.Kind),
		slog.String("agent_version", e.info.Version),
	}
	if err.Err != nil {
		attrs = append(attrs, slog.String("error", err.Err.Error()))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int64("suppressed", suppressed))
	}
	_, lerr := e.reg.s.Ledger.Record(context.WithoutCancel(ctx), ledger.Entry{
		ID: res.ID, Type: typ, Severity: kindSeverity[err.Kind], Message: msg, Component: e.name,
		RequestID: ledger.RequestIDFrom(ctx), RunID: ledger.RunIDFrom(ctx), Attrs: attrs, Stack: err.stack,
	})
	if lerr != nil && e.reg.s.Logger != nil {
		e.reg.s.Logger.LogAttrs(ctx, slog.LevelError, "agent ledger record failed",
			slog.String("agent", e.name), slog.String("execution_id", res.ID.String()), slog.String("error", lerr.Error()))
	}
}

var kindType = [numKinds]string{"internal", "invalid_input", "not_found", "disabled", "unavailable",
	"breaker_open", "overloaded", "timeout", "canceled", "panic"}

// digest is a sha256 of the input's JSON encoding: it identifies an input
// without storing it.
func digest(in any) string {
	b, err := json.Marshal(in)
	if err != nil {
		return "unavailable"
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// runJSON is the JSON edge of the handle.
func (h *Handle[In, Out]) runJSON(ctx context.Context, body []byte) Result[json.RawMessage] {
	var in In
	derr := decodeStrict(body, &in)
	var r Result[Out]
	h.run(ctx, in, derr, &r)
	out := Result[json.RawMessage]{Err: r.Err, Outcome: r.Outcome, Attempts: r.Attempts,
		Duration: r.Duration, QueueWait: r.QueueWait, ID: r.ID}
	if r.Err == nil {
		b, err := json.Marshal(r.Output)
		if err != nil {
			id := r.ID
			if id.IsZero() {
				id = ledger.NewID()
			}
			out.ID = id
			out.Err = &Error{Kind: KindInternal, Agent: h.e.name, ID: id, Err: fmt.Errorf("agent: encode output: %w", err)}
			out.Outcome = OutcomeFailed
			return out
		}
		out.Output = b
	}
	return out
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &Error{Kind: KindInvalidInput, Public: "the request body is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		msg := "the request body is not valid input"
		switch {
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			msg = "the request body is not valid JSON"
		case errors.As(err, &te) && safeField(te.Field):
			msg = "field " + te.Field + " has the wrong type"
		case errors.As(err, &te):
			msg = "the request body has the wrong type"
		case bytes.Contains([]byte(err.Error()), []byte("unknown field")):
			msg = "the request body has an unknown field"
		}
		return &Error{Kind: KindInvalidInput, Public: msg, Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Kind: KindInvalidInput, Public: "the request body has data after the JSON value"}
	}
	return nil
}

// safeField reports whether a decoder's field path may be echoed: it
// comes from the Go type, but map keys in it come from the input.
func safeField(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
