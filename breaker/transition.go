package breaker

import (
	"sync/atomic"
	"time"
)

// newGen builds generation for state to in mode m. It is called with b.mu
// held (or before b is shared) and does not publish it.
func (b *Breaker) newGen(to State, m Mode, reopens int, now time.Time) *gen {
	b.nextID++
	g := &gen{id: b.nextID, state: to, mode: m, reopens: reopens, since: now}
	switch {
	case m == ModeDisabled:
		g.kind, g.state = kindPass, StateDisabled
	case m == ModeForcedOpen:
		g.kind, g.state = kindOpen, StateOpen
		g.err = &OpenError{Name: b.name, State: StateOpen, Forced: true}
	case to == StateClosed:
		g.kind = kindLean
		if !b.cfg.lean {
			g.kind = kindClosed
		}
		if b.cfg.rates() {
			if b.cfg.WindowCalls > 0 {
				g.cw = newCountWindow(b.cfg.WindowCalls)
			} else {
				g.tw = newTimeWindow(b.cfg.Window, b.cfg.WindowBuckets, now)
				if b.cfg.Classify == nil && !b.cfg.slow && !b.cfg.inflight {
					g.kind = kindWindow
				}
			}
		}
	case to == StateHalfOpen:
		g.kind = kindHalf
		g.probes = make([]atomic.Uint64, b.cfg.HalfOpenProbes)
		g.err = &OpenError{Name: b.name, State: StateHalfOpen}
	default: // open
		g.kind = kindOpen
		g.openFor = b.openDuration(reopens)
		g.until = now.Add(g.openFor)
		g.err = &OpenError{Name: b.name, State: StateOpen, RetryAfter: g.openFor}
	}
	if g.kind == kindOpen && m != ModeMetricsOnly {
		g.rej = g.err
	}
	return g
}

// openDuration returns the duration of the reopens-th opening since the last
// close. Called with b.mu held.
func (b *Breaker) openDuration(reopens int) time.Duration {
	d := b.bo.NextBackOff()
	if d <= 0 || d > b.cfg.maxOpen {
		d = b.cfg.maxOpen
	}
	if f := b.cfg.OpenTimeoutFunc; f != nil {
		if o := f(reopens, d); o > 0 {
			d = o
		}
	}
	return d
}

// transition moves the breaker from generation from to state to in mode m,
// if from is still current. It reports whether it did. Listeners are called
// after b.mu is released.
func (b *Breaker) transition(from *gen, to State, m Mode) bool {
	b.mu.Lock()
	if b.cur.Load() != from {
		b.mu.Unlock()
		return false
	}
	b.publish(from, to, m, time.Now())
	b.mu.Unlock()
	b.drain()
	return true
}

// publish swaps in the next generation and queues its event. Called with
// b.mu held and from current.
func (b *Breaker) publish(from *gen, to State, m Mode, now time.Time) {
	if from.timer != nil {
		from.timer.Stop()
	}
	reopens := from.reopens
	switch {
	case m != ModeNormal && m != ModeMetricsOnly:
	case to == StateClosed:
		reopens = 0
		b.bo.Reset()
	case to == StateOpen:
		reopens++
	}
	before := b.snapshot(from)
	g := b.newGen(to, m, reopens, now)
	switch g.kind {
	case kindHalf:
		g.timer = time.AfterFunc(b.cfg.HalfOpenTimeout, func() { b.transition(g, StateOpen, g.mode) })
	case kindOpen:
		if m != ModeForcedOpen {
			g.timer = time.AfterFunc(g.openFor, func() { b.transition(g, StateHalfOpen, g.mode) })
		}
	}
	b.cur.Store(g)
	before.Mode, before.Reopens = g.mode, g.reopens
	if b.cfg.OnStateChange != nil {
		b.queue = append(b.queue, Event{Name: b.name, From: from.state, To: g.state, Generation: g.id, Snapshot: before})
	}
}

// drain delivers queued events, one goroutine at a time, with no lock held
// while a listener runs. A listener that changes the breaker only queues an
// event, which this loop then delivers after it: order is kept and nothing
// can deadlock.
func (b *Breaker) drain() {
	b.mu.Lock()
	if b.draining || len(b.queue) == 0 {
		b.mu.Unlock()
		return
	}
	b.draining = true
	completed := false
	defer func() {
		if !completed { // a listener panicked: let another goroutine deliver
			b.mu.Lock()
			b.draining = false
			b.mu.Unlock()
		}
	}()
	for len(b.queue) > 0 {
		ev := b.queue[0]
		b.queue[0] = Event{}
		b.queue = b.queue[1:]
		b.mu.Unlock()
		b.cfg.OnStateChange(ev)
		b.mu.Lock()
	}
	b.queue = nil
	b.draining = false
	b.mu.Unlock()
	completed = true
}

// SetMode switches the operating mode. Entering [ModeForcedOpen] opens the
// breaker until another SetMode; [ModeDisabled] makes it pass-through;
// [ModeNormal] and [ModeMetricsOnly] start from a fresh closed state with the
// backoff reset, except when switching between the two, which keeps the
// current state. Setting the current mode does nothing.
func (b *Breaker) SetMode(m Mode) {
	if m > ModeMetricsOnly {
		return
	}
	b.mu.Lock()
	g := b.cur.Load()
	if g.mode == m {
		b.mu.Unlock()
		return
	}
	switch {
	case enforcing(g.mode) && enforcing(m) && g.kind == kindOpen:
		b.publishKeepOpen(g, m)
	case enforcing(g.mode) && enforcing(m):
		b.publish(g, g.state, m, time.Now()) // closed or half-open, afresh
	default:
		b.publish(g, StateClosed, m, time.Now()) // newGen overrides for forced/disabled
	}
	b.mu.Unlock()
	b.drain()
}

// publishKeepOpen switches mode of an open generation keeping its deadline.
func (b *Breaker) publishKeepOpen(from *gen, m Mode) {
	from.timer.Stop()
	before := b.snapshot(from)
	b.nextID++
	g := &gen{id: b.nextID, kind: kindOpen, state: StateOpen, mode: m,
		reopens: from.reopens, since: time.Now(), until: from.until, openFor: from.openFor, err: from.err}
	if m != ModeMetricsOnly {
		g.rej = g.err
	}
	g.timer = time.AfterFunc(max(0, time.Until(from.until)), func() { b.transition(g, StateHalfOpen, g.mode) })
	b.cur.Store(g)
	before.Mode, before.Reopens = m, g.reopens
	if b.cfg.OnStateChange != nil {
		b.queue = append(b.queue, Event{Name: b.name, From: from.state, To: g.state, Generation: g.id, Snapshot: before})
	}
}

func enforcing(m Mode) bool { return m == ModeNormal || m == ModeMetricsOnly }

// Reset starts a fresh closed generation with counts and backoff cleared,
// keeping the mode. A forced-open or disabled breaker stays so (only the
// backoff is reset): leave those modes with [Breaker.SetMode].
func (b *Breaker) Reset() {
	b.mu.Lock()
	g := b.cur.Load()
	b.bo.Reset()
	if !enforcing(g.mode) {
		b.mu.Unlock()
		return
	}
	b.publish(g, StateClosed, g.mode, time.Now())
	b.mu.Unlock()
	b.drain()
}
