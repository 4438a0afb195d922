// Package agenttest provides fakes for testing code built on package agent:
// a scriptable [Agent] (answers, errors, latency, panics, an agent that
// ignores its context) and a recording [Ledger].
//
// Both types are safe for concurrent use. Their zero values are not usable:
// build them with [New] and [NewLedger].
package agenttest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/ledger"
)

// Step is one scripted answer of an [Agent].
type Step[Out any] struct {
	// Output and Err are returned, unless the step panics or the context
	// ends during Delay.
	Output Out
	Err    error
	// Delay is the latency before answering. The agent waits on its
	// context and returns ctx's error when it ends first, unless
	// IgnoreContext is set, in which case it sleeps the whole Delay.
	Delay         time.Duration
	IgnoreContext bool
	// Panic, when not nil, is the value the step panics with.
	Panic any
}

// Agent is a scriptable agent. Each call consumes the next step; the last
// step repeats. With no steps it returns the zero output.
type Agent[In, Out any] struct {
	info agent.Info

	mu     sync.Mutex // guards the fields below
	steps  []Step[Out]
	inputs []In
}

// New returns an agent answering with steps in order.
func New[In, Out any](info agent.Info, steps ...Step[Out]) *Agent[In, Out] {
	return &Agent[In, Out]{info: info, steps: slices.Clone(steps)}
}

// Info returns the info given to New.
func (a *Agent[In, Out]) Info() agent.Info { return a.info }

// Push appends steps to the script.
func (a *Agent[In, Out]) Push(steps ...Step[Out]) {
	a.mu.Lock()
	a.steps = append(a.steps, steps...)
	a.mu.Unlock()
}

// Calls returns the number of calls so far.
func (a *Agent[In, Out]) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.inputs)
}

// Inputs returns the inputs received, in call order.
func (a *Agent[In, Out]) Inputs() []In {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.inputs)
}

// Execute plays the next step.
func (a *Agent[In, Out]) Execute(ctx context.Context, in In) (Out, error) {
	a.mu.Lock()
	var s Step[Out]
	switch len(a.steps) {
	case 0:
	case 1:
		s = a.steps[0]
	default:
		s = a.steps[0]
		a.steps = a.steps[1:]
	}
	a.inputs = append(a.inputs, in)
	a.mu.Unlock()
	if s.Delay > 0 {
		if s.IgnoreContext {
			time.Sleep(s.Delay)
		} else {
			t := time.NewTimer(s.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				var zero Out
				return zero, ctx.Err()
			case <-t.C:
			}
		}
	}
	if s.Panic != nil {
		panic(s.Panic)
	}
	return s.Output, s.Err
}

// Ledger records entries in memory; it satisfies [agent.Recorder].
type Ledger struct {
	mu      sync.Mutex // guards entries and err
	entries []ledger.Entry
	err     error
}

// NewLedger returns an empty recording ledger.
func NewLedger() *Ledger { return &Ledger{} }

// Record stores e (assigning an id when it has none) and returns its id,
// or the error set by FailWith.
func (l *Ledger) Record(_ context.Context, e ledger.Entry) (ledger.ID, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return ledger.ID{}, l.err
	}
	if e.ID.IsZero() {
		e.ID = ledger.NewID()
	}
	l.entries = append(l.entries, e)
	return e.ID, nil
}

// FailWith makes later Record calls fail with err (nil restores success).
func (l *Ledger) FailWith(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

// Entries returns the recorded entries, in order.
func (l *Ledger) Entries() []ledger.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// Find returns the entry with id.
func (l *Ledger) Find(id ledger.ID) (ledger.Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		if e.ID == id {
			return e, true
		}
	}
	return ledger.Entry{}, false
}
