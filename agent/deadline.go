package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineCtx is the attempt context: the parent with a deadline whose
// machinery (a context.WithDeadlineCause, with its timer) is built only
// when the agent first needs it, i.e. when it calls Done, asks for the
// cause, derives a child context, or calls Err after the deadline. An agent
// that never blocks on its context costs one small allocation and no timer.
// Once one of an agent's attempt contexts has been materialised, the
// runner builds the agent's later attempt contexts with
// context.WithDeadlineCause directly (see entry.usesCtx): an agent that
// waits on its context then costs the five allocations of that call, not
// six.
//
// Behaviour is that of context.WithDeadlineCause(parent, deadline, cause):
// Err reports DeadlineExceeded after the deadline, context.Cause reports
// cause, children are cancelled with it. It is safe for concurrent use.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time
	cause    error

	used *atomic.Bool // set on materialisation, when not nil

	mu     sync.Mutex  // serialises materialisation
	ready  atomic.Bool // ctx and cancel are set; written once under mu
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *deadlineCtx) materialise() context.Context {
	if c.ready.Load() {
		return c.ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready.Load() {
		c.ctx, c.cancel = context.WithDeadlineCause(c.parent, c.deadline, c.cause)
		c.ready.Store(true)
		if c.used != nil {
			c.used.Store(true)
		}
	}
	return c.ctx
}

// stop releases the timer, if one was built.
func (c *deadlineCtx) stop() {
	if c.ready.Load() {
		c.cancel()
	}
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineCtx) Done() <-chan struct{} { return c.materialise().Done() }

func (c *deadlineCtx) Err() error {
	if c.ready.Load() {
		return c.ctx.Err()
	}
	if c.parent.Err() != nil || time.Until(c.deadline) <= 0 {
		return c.materialise().Err()
	}
	return nil
}

// Value adds no values: it answers from the parent, except for the
// context package's private key (an *int), which must see the real
// cancellation context so that context.Cause and child contexts work.
func (c *deadlineCtx) Value(key any) any {
	if _, ok := key.(*int); ok {
		return c.materialise().Value(key)
	}
	return c.parent.Value(key)
}

func (c *deadlineCtx) String() string { return "agent.attemptContext" }
