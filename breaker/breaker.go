package breaker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Breaker is a circuit breaker. Create one with [New]; the zero value is
// not usable. A Breaker is safe for concurrent use by any number of
// goroutines; its admission and recording paths take no lock.
//
// A Breaker is not tied to a result type: use [Breaker.Do] for calls that
// return only an error, [Call] for calls that return a value, and
// [Breaker.Allow] with [Permit.Done] where the guarded work cannot be
// wrapped in a closure.
type Breaker struct {
	name string
	cfg  config
	base time.Time // origin of token start times (monotonic)

	cur     atomic.Pointer[gen] // the state word: current generation
	inUse   striped             // in-flight calls, when cfg.inflight
	tickets atomic.Pointer[ticketRing]

	mu       sync.Mutex // guards the fields below and serialises transitions
	bo       *backoff.ExponentialBackOff
	nextID   uint64
	queue    []Event // events not yet delivered, in generation order
	draining bool    // a goroutine is delivering queue
}

// New returns a closed breaker named name with settings s. It returns an
// error matching [ErrInvalidSettings] when s is out of range or would wedge
// the breaker. New starts no goroutine; timers run only while the breaker is
// open or half-open.
func New(name string, s Settings) (*Breaker, error) {
	cfg, err := newConfig(s)
	if err != nil {
		return nil, err
	}
	b := &Breaker{name: name, cfg: cfg, base: time.Now()}
	if cfg.inflight {
		b.inUse = newStriped()
	}
	b.bo = &backoff.ExponentialBackOff{
		InitialInterval:     cfg.OpenTimeout,
		RandomizationFactor: cfg.jitter,
		Multiplier:          cfg.OpenMultiplier,
		MaxInterval:         cfg.maxOpen,
		MaxElapsedTime:      0,
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}
	b.bo.Reset()
	b.mu.Lock()
	g := b.newGen(StateClosed, ModeNormal, 0, time.Now())
	b.mu.Unlock()
	b.cur.Store(g)
	return b, nil
}

// Name returns the name given to [New].
func (b *Breaker) Name() string { return b.name }

// State returns the current state. A forced-open breaker reports
// [StateOpen]; a disabled one [StateDisabled]. It reads no clock.
func (b *Breaker) State() State { return b.cur.Load().state }

// Mode returns the current mode.
func (b *Breaker) Mode() Mode { return b.cur.Load().mode }

// RetryAfter returns how long until an open breaker admits probes again,
// for a Retry-After header. It is zero when the breaker admits calls, and
// zero when forced open (no end is known).
func (b *Breaker) RetryAfter() time.Duration {
	g := b.cur.Load()
	if g.kind != kindOpen || g.mode == ModeForcedOpen {
		return 0
	}
	return max(0, time.Until(g.until))
}

// Snapshot returns the current counts. See [Snapshot] for what each field
// tracks and when.
func (b *Breaker) Snapshot() Snapshot {
	g := b.cur.Load()
	if g.tw != nil {
		g.tw.advance(time.Now())
	}
	return b.snapshot(g)
}

func (b *Breaker) snapshot(g *gen) Snapshot {
	s := Snapshot{
		State:               g.state,
		Mode:                g.mode,
		Generation:          g.id,
		Since:               g.since,
		ConsecutiveFailures: g.consec.Load(),
		ProbeSuccesses:      g.probeSucc.Load(),
		Reopens:             g.reopens,
		ShadowRejections:    g.shadow.Load(),
	}
	if b.cfg.inflight {
		s.InFlight = b.inUse.sum()
	}
	switch {
	case g.cw != nil:
		s.Calls, s.Failures, s.SlowCalls = g.cw.counts()
	case g.tw != nil:
		s.Calls, s.Failures, s.SlowCalls = g.tw.counts()
	}
	return s
}

// Do calls fn if the breaker admits it, records its outcome and returns its
// error. A rejection returns an [*OpenError] (matching [ErrOpen]) without
// calling fn; a ctx already done returns ctx.Err() without calling fn or
// recording anything. If fn panics, the panic is recorded as a failure and
// keeps unwinding with its original stack.
func (b *Breaker) Do(ctx context.Context, fn func(context.Context) error) error {
	if err := b.cur.Load().rej; err != nil { // a rejection is one load and a return
		return err
	}
	return b.run(ctx, fn)
}

// run is Do past the rejection check. It loads the state word again (the
// state may have changed since; enter rejects when it has opened).
//
// The kindLean and kindWindow cases differ only in how a success is
// recorded, and are written out twice on purpose: folding them into one
// case with a shared success helper measured about 10 ns slower per call
// (BenchmarkDoClosed, same run), a third of the closed path's cost. Call
// repeats the same two cases for the same reason. The window success is
// timeWindow.success spelled out (count inlined, tick called for every
// 64th success): a helper doing the same is over the inlining budget (cost
// 85 against 80), and the call it costs measured 6 ns of DoClosedRate.
// TestCallMatchesDo keeps the copies in Do and Call in step.
func (b *Breaker) run(ctx context.Context, fn func(context.Context) error) error {
	g := b.cur.Load()
	switch g.kind {
	case kindLean:
		if err := ctx.Err(); err != nil {
			return err
		}
		done := false
		defer func() {
			if !done {
				b.record(g, Failure, false)
			}
		}()
		err := fn(ctx)
		done = true
		if err != nil {
			b.leanError(ctx, g, err)
		} else if g.consec.Load() != 0 {
			g.consec.Store(0)
		}
		return err
	case kindWindow:
		if err := ctx.Err(); err != nil {
			return err
		}
		done := false
		defer func() {
			if !done {
				b.record(g, Failure, false)
			}
		}()
		err := fn(ctx)
		done = true
		if err != nil {
			b.leanError(ctx, g, err)
		} else {
			if g.consec.Load() != 0 {
				g.consec.Store(0)
			}
			if c, n := g.tw.count(); n&63 == 0 { // tw.success, inlined
				g.tw.tick(c, n)
			}
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.do(ctx, g, fn)
}

// do is the general path of Do and Call.
func (b *Breaker) do(ctx context.Context, g *gen, fn func(context.Context) error) error {
	t, err := b.enter(g)
	if err != nil {
		return err
	}
	if t.g == nil {
		return fn(ctx)
	}
	done := false
	defer func() {
		if !done {
			b.exit(t, Failure)
		}
	}()
	err = fn(ctx)
	done = true
	b.exit(t, b.cfg.classify(ctx, err))
	return err
}

// Call is [Breaker.Do] for a call that returns a value: it calls fn if b
// admits it, records the outcome of its error and returns its results. A
// rejection returns the zero T and an [*OpenError].
func Call[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error)) (T, error) {
	g := b.cur.Load()
	if g.rej != nil {
		var zero T
		return zero, g.rej
	}
	return call(ctx, b, g, fn)
}

// call is Call past the rejection check.
func call[T any](ctx context.Context, b *Breaker, g *gen, fn func(context.Context) (T, error)) (T, error) {
	var v T
	switch g.kind {
	case kindLean:
		if err := ctx.Err(); err != nil {
			return v, err
		}
		done := false
		defer func() {
			if !done {
				b.record(g, Failure, false)
			}
		}()
		v, err := fn(ctx)
		done = true
		if err != nil {
			b.leanError(ctx, g, err)
		} else if g.consec.Load() != 0 {
			g.consec.Store(0)
		}
		return v, err
	case kindWindow:
		if err := ctx.Err(); err != nil {
			return v, err
		}
		done := false
		defer func() {
			if !done {
				b.record(g, Failure, false)
			}
		}()
		v, err := fn(ctx)
		done = true
		if err != nil {
			b.leanError(ctx, g, err)
		} else {
			if g.consec.Load() != 0 {
				g.consec.Store(0)
			}
			if c, n := g.tw.count(); n&63 == 0 { // tw.success, inlined
				g.tw.tick(c, n)
			}
		}
		return v, err
	}
	if err := ctx.Err(); err != nil {
		return v, err
	}
	err := b.do(ctx, g, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}

// leanError records a non-nil error on the lean closed path.
func (b *Breaker) leanError(ctx context.Context, g *gen, err error) {
	b.record(g, DefaultClassify(ctx, err), false)
}

// Allow asks for admission of one call. On success it returns a [Permit]
// whose Done must be called with the call's error; on rejection it returns
// an [*OpenError] matching [ErrOpen]; if ctx is already done it returns
// ctx.Err() and takes no permit. Allow does not allocate.
func (b *Breaker) Allow(ctx context.Context) (Permit, error) {
	g := b.cur.Load()
	if g.rej != nil {
		return Permit{}, g.rej
	}
	if err := ctx.Err(); err != nil {
		return Permit{}, err
	}
	t, err := b.enter(g)
	if err != nil || t.g == nil {
		return Permit{}, err
	}
	if t.meta&metaProbe == 0 { // a probe slot already makes Done once-only
		t.ticket, t.meta = b.takeTicket(t.meta)
	}
	return Permit{b: b, ctx: ctx, t: t}, nil
}

// Permit is an admission from [Breaker.Allow]. It is a small value; copies
// share its identity, so Done records at most once across all copies. The
// zero Permit is valid and its Done does nothing. Done may be called from
// any goroutine, also concurrently on copies. A Permit must not outlive
// the call it admitted; it keeps the ctx given to Allow only to classify the
// outcome.
type Permit struct {
	b   *Breaker
	ctx context.Context
	t   token
}

// token is an admitted call in flight. It is four words, so that a
// Permit and an error come back from Allow in registers: a Permit built in
// memory by narrow stores and read back by wide copies stalls on store
// forwarding (measured: most of Allow's cost before the packing).
type token struct {
	g      *gen   // nil: untracked (pass-through or shadow admission)
	start  int64  // ns since Breaker.base, when the slow-call policy is on
	ticket uint64 // identity for the once-only Done
	meta   uint64 // slot+1 (probe slot or ticket ring slot; 0: none) | metaProbe | metaCount
}

const (
	metaSlot  = 1<<32 - 1 // the bits of meta holding slot+1
	metaProbe = 1 << 32   // the slot is a half-open probe slot
	metaCount = 1 << 33   // counted in Breaker.inUse
)

// slot returns the token's slot, -1 when it has none.
func (t token) slot() int { return int(t.meta&metaSlot) - 1 }

// Done records the outcome of the admitted call from its error, classified
// by [Settings.Classify]. Only the first Done of a permit (or of any of its
// copies) counts; later ones do nothing. A result that arrives after the
// breaker has moved to another generation is dropped.
func (p Permit) Done(err error) {
	if p.b == nil {
		return
	}
	p.b.exit(p.t, p.b.cfg.classify(p.ctx, err))
}

// enter decides admission for generation g and returns the call's token.
// Its g is nil when the call is admitted untracked.
func (b *Breaker) enter(g *gen) (t token, err error) {
	switch g.kind {
	case kindLean, kindWindow, kindClosed:
	case kindHalf:
		var ok bool
		if t.ticket, t.meta, ok = b.takeProbe(g); !ok {
			if g.mode == ModeMetricsOnly {
				g.shadow.Add(1)
				return token{}, nil
			}
			return token{}, g.err
		}
	case kindPass:
		return token{}, nil
	default: // kindOpen
		if g.mode == ModeMetricsOnly {
			g.shadow.Add(1)
			return token{}, nil
		}
		return token{}, g.err
	}
	t.g = g
	if b.cfg.slow {
		t.start = int64(time.Since(b.base))
	}
	if b.cfg.inflight {
		t.meta |= metaCount
		b.inUse.add(1)
	}
	return t, nil
}

// exit records the outcome of an admitted call, once.
func (b *Breaker) exit(t token, o Outcome) {
	if t.g == nil {
		return
	}
	if s := t.slot(); t.meta&metaProbe != 0 {
		if !t.g.probes[s].CompareAndSwap(t.ticket, 0) {
			return
		}
	} else if s >= 0 {
		if !b.tickets.Load().slots[s].CompareAndSwap(t.ticket, t.ticket+1) {
			return
		}
	}
	if t.meta&metaCount != 0 {
		b.inUse.add(-1)
	}
	slow := false
	if b.cfg.slow && o != Ignore {
		slow = time.Since(b.base)-time.Duration(t.start) >= b.cfg.SlowCallDuration
	}
	b.record(t.g, o, slow)
}

// takeProbe takes a free probe slot of g, returning the permit's ticket
// and meta.
func (b *Breaker) takeProbe(g *gen) (ticket, meta uint64, ok bool) {
	n := g.ticket.Add(1)
	for i := range g.probes {
		if g.probes[i].CompareAndSwap(0, n) {
			return n, uint64(i+1) | metaProbe, true
		}
	}
	return 0, 0, false
}

// ticketRing makes Done once-only across Permit copies without allocating
// per permit. Each slot is a counter: even when free, odd while a permit
// holds it, the odd value being that permit's ticket. Done moves the slot
// from the ticket to the next even value, so a copy of a permit whose slot
// has since been freed (and maybe taken again) fails its compare-and-swap:
// no shared ticket counter is needed. A permit starts looking from a slot
// picked by the stack address of its goroutine, eight slots (one cache
// line) apart, so that parallel callers rarely share a line; a busy slot
// sends it on to the next.
type ticketRing struct {
	slots [256]atomic.Uint64
}

// takeTicket takes a ticket ring slot, returning the permit's ticket and
// meta updated with the slot; when every slot is busy it returns meta
// unchanged.
func (b *Breaker) takeTicket(meta uint64) (ticket, newMeta uint64) {
	r := b.tickets.Load()
	if r == nil {
		b.tickets.CompareAndSwap(nil, new(ticketRing))
		r = b.tickets.Load()
	}
	start := stripeHint() << 3
	for i := range uint64(len(r.slots)) {
		s := (start + i) & 255
		if v := r.slots[s].Load(); v&1 == 0 && r.slots[s].CompareAndSwap(v, v+1) {
			return v + 1, meta | (s + 1)
		}
	}
	// Every slot is busy (256 permits outstanding): this one records on
	// every Done.
	return 0, meta
}

// record applies an outcome to generation g. Results of a generation that is
// no longer current are dropped.
func (b *Breaker) record(g *gen, o Outcome, slow bool) {
	if o == Ignore || b.cur.Load() != g {
		return
	}
	switch g.kind {
	case kindLean, kindWindow, kindClosed:
		trip := false
		if o == Failure {
			n := g.consec.Add(1)
			trip = b.cfg.ConsecutiveFailures > 0 && n >= int64(b.cfg.ConsecutiveFailures)
		} else if g.consec.Load() != 0 {
			g.consec.Store(0)
		}
		if g.kind != kindLean {
			switch {
			case g.cw != nil:
				g.cw.add(o == Failure, slow)
			case g.tw != nil:
				if o == Failure || slow {
					g.tw.addAt(time.Now(), o == Failure, slow)
				} else {
					g.tw.success()
				}
			}
			if !trip && (o == Failure || slow || g.cw != nil) {
				trip = b.rateTrips(g)
			}
		}
		if trip {
			b.transition(g, StateOpen, g.mode)
		}
	case kindHalf:
		if o == Failure {
			b.transition(g, StateOpen, g.mode)
			return
		}
		if g.probeSucc.Add(1) >= int64(b.cfg.HalfOpenSuccesses) {
			b.transition(g, StateClosed, g.mode)
		}
	}
}

// rateTrips evaluates the rate policies and the custom predicate.
func (b *Breaker) rateTrips(g *gen) bool {
	var calls, fails, slows int64
	switch {
	case g.cw != nil:
		calls, fails, slows = g.cw.counts()
	case g.tw != nil:
		calls, fails, slows = g.tw.counts()
	}
	c := &b.cfg
	if calls > 0 && calls >= int64(c.MinCalls) {
		if c.FailureRate > 0 && float64(fails) >= c.FailureRate*float64(calls) {
			return true
		}
		if c.slow && float64(slows) >= c.SlowCallRate*float64(calls) {
			return true
		}
	}
	return c.Trip != nil && c.Trip(b.snapshot(g))
}
