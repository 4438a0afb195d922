package flow

import (
	"context"
	"errors"

	"github.com/devskyy/devskyy/agent"
	"golang.org/x/sync/errgroup"
)

// Step is a typed call, as made by [Of] or [Then]. A nil Step panics when
// called; steps built here are safe for concurrent use when their handles
// are.
type Step[In, Out any] func(ctx context.Context, in In) (Out, error)

// Of returns the step that runs h (its Call method).
func Of[In, Out any](h *agent.Handle[In, Out]) Step[In, Out] { return h.Call }

// Then returns the step that runs first and feeds its output to second. It
// stops at the first error.
func Then[A, B, C any](first Step[A, B], second Step[B, C]) Step[A, C] {
	return func(ctx context.Context, in A) (C, error) {
		mid, err := first(ctx, in)
		if err != nil {
			var zero C
			return zero, err
		}
		return second(ctx, mid)
	}
}

// Sequence runs hs one after another, each output being the next input,
// and returns the last output. It stops at the first error.
func Sequence[T any](ctx context.Context, in T, hs ...*agent.Handle[T, T]) (T, error) {
	for _, h := range hs {
		out, err := h.Call(ctx, in)
		if err != nil {
			return out, err
		}
		in = out
	}
	return in, nil
}

// Parallel runs every handle with the same input, at most limit at once
// (limit <= 0: all at once), and returns the results in the order of hs. It
// returns when every run has returned.
func Parallel[In, Out any](ctx context.Context, in In, limit int, hs ...*agent.Handle[In, Out]) []agent.Result[Out] {
	res := make([]agent.Result[Out], len(hs))
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	for i, h := range hs {
		g.Go(func() error { res[i] = h.Run(ctx, in); return nil })
	}
	_ = g.Wait() // the goroutines return nil
	return res
}

// Map runs h once per item, at most limit at once (limit <= 0: all at
// once), and returns the results in the order of items. Items not started
// when ctx ends are run anyway and answer at once with a cancelled result,
// so every item has a result. It returns when every run has returned.
func Map[In, Out any](ctx context.Context, h *agent.Handle[In, Out], items []In, limit int) []agent.Result[Out] {
	res := make([]agent.Result[Out], len(items))
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	for i, item := range items {
		g.Go(func() error { res[i] = h.Run(ctx, item); return nil })
	}
	_ = g.Wait()
	return res
}

// Join returns the errors of the failed results joined, or nil.
func Join[Out any](rs []agent.Result[Out]) error {
	var errs []error
	for _, r := range rs {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// ErrLost is the context cause seen by the losers of a [Race].
var ErrLost = errors.New("flow: lost the race")

// Race runs every handle with the same input at once. The first success (a
// nil error, degraded answers included) wins: the others are cancelled with
// cause [ErrLost] and Race returns the winner's result after every run has
// returned. When all fail, it returns the last failure to arrive. Each
// loser is an execution cancelled by its caller: its runner records it in
// the ledger like any cancelled execution (at info severity). With no
// handles it returns a result whose error is an [*agent.Error] of kind
// [agent.KindInvalidInput].
func Race[In, Out any](ctx context.Context, in In, hs ...*agent.Handle[In, Out]) agent.Result[Out] {
	if len(hs) == 0 {
		return agent.Result[Out]{Err: &agent.Error{Kind: agent.KindInvalidInput, Public: "nothing to race"}, Outcome: agent.OutcomeRejected}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make(chan agent.Result[Out], len(hs))
	var g errgroup.Group
	for _, h := range hs {
		g.Go(func() error { results <- h.Run(ctx, in); return nil })
	}
	var win agent.Result[Out]
	won := false
	for range hs {
		r := <-results
		if won {
			continue
		}
		win = r
		if r.Err == nil {
			won = true
			cancel(ErrLost)
		}
	}
	_ = g.Wait()
	return win
}
