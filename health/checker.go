package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by [Checker.Run] and [Checker.Start] after
// [Checker.Close].
var ErrClosed = errors.New("health: checker closed")

// Group defines a named group beyond the checks that name it in
// [Check.Groups]: its members are those checks, plus the checks in Include
// ("*" means every check), minus those in Exclude. The zero Group is
// invalid (it has no name). A Group is plain data, copied by [New].
type Group struct {
	// Name of the group: 1 to 64 of [A-Za-z0-9._-]. Required.
	Name string
	// Include lists check names to add; "*" adds every check.
	Include []string
	// Exclude lists check names to remove.
	Exclude []string
}

// Event reports one run of a check to [Settings.Observe], and a change of
// its status to [Settings.OnChange]. It is a plain value, safe to keep and
// to share.
type Event struct {
	// Check is the check's name.
	Check string
	// Previous is the status before this run.
	Previous Status
	// Status is the status after this run, thresholds applied.
	Status Status
	// Raw is the status this run returned, before thresholds.
	Raw Status
	// Duration is how long the run took (the timeout, if it timed out).
	Duration time.Duration
	// Time is when the run finished.
	Time time.Time
	// Flaps is the check's running count of flaps (see [State.Flaps]).
	Flaps uint64
}

// Changed reports whether the run changed the check's status.
func (e Event) Changed() bool { return e.Previous != e.Status }

// Settings configures a [Checker]. The zero value is valid: no checks,
// every default below. Settings are copied by [New]; the hooks (Authorize,
// OnChange, Observe) must be safe to call from other goroutines.
type Settings struct {
	// Checks are the checks to run.
	Checks []Check
	// Groups defines named groups with include and exclude lists.
	Groups []Group
	// Authorize reports whether a request may see details (outputs,
	// timings, per-check statuses). It is called only for requests that ask
	// for details with ?verbose, so anonymous probes cost nothing extra.
	// Default nil: nobody sees details over HTTP.
	Authorize func(*http.Request) bool
	// OnChange is called, from the Checker's delivery goroutine, after a run
	// that changed a check's status. Default nil.
	OnChange func(Event)
	// Observe is called, from the same goroutine, after every run: the hook
	// for metrics. Default nil.
	Observe func(Event)
	// QueueSize bounds the events waiting for OnChange and Observe; when it
	// is full, events are dropped and counted ([Checker.Dropped]), and checks
	// never wait. Default 256.
	QueueSize int
	// MaxOutput caps the bytes of a check's output. Default 512.
	MaxOutput int
	// Logger receives panics (with stacks), timeouts and status changes.
	// Default nil: silent.
	Logger *slog.Logger
}

const (
	defaultQueueSize = 256
	defaultMaxOutput = 512
)

// Checker runs checks and serves their results. Create one with [New]; the
// zero value is not usable. A Checker is safe for concurrent use.
//
// Background checks run between [Checker.Start] (or [Checker.Run]) and
// [Checker.Close]; on-demand and stale checks run when probed, from [New] on.
type Checker struct {
	set      Settings
	checks   []*checkState
	byName   map[string]int
	groups   []groupDef
	groupIdx map[string]int
	headers  headerValues

	snap    atomic.Pointer[snapshot]
	dropped atomic.Uint64
	drained atomic.Bool
	events  chan Event
	done    chan struct{} // always closed; returned when no wait is needed

	life   context.Context // cancelled by Close; parent of every run
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Checker starts

	mu      sync.Mutex // guards closed and running, and orders wg.Add with Close
	closed  bool
	running bool

	pubMu   sync.Mutex // serialises publish
	started bool       // guarded by pubMu: the startup group has passed once
}

type groupDef struct {
	name    string
	members []int
}

// New validates s and returns a Checker. It starts no goroutine.
func New(s Settings) (*Checker, error) {
	if s.QueueSize < 0 || s.MaxOutput < 0 {
		return nil, errors.New("health: negative QueueSize or MaxOutput")
	}
	if s.QueueSize == 0 {
		s.QueueSize = defaultQueueSize
	}
	if s.MaxOutput == 0 {
		s.MaxOutput = defaultMaxOutput
	}
	c := &Checker{
		set:      s,
		byName:   make(map[string]int, len(s.Checks)),
		groupIdx: make(map[string]int),
		events:   make(chan Event, s.QueueSize),
		done:     make(chan struct{}),
		headers:  newHeaderValues(),
	}
	close(c.done)
	c.set.Checks = nil
	c.set.Groups = nil
	addGroup := func(name string) int {
		if i, ok := c.groupIdx[name]; ok {
			return i
		}
		c.groupIdx[name] = len(c.groups)
		c.groups = append(c.groups, groupDef{name: name})
		return len(c.groups) - 1
	}
	for _, g := range []string{GroupLive, GroupReady, GroupStartup} {
		addGroup(g)
	}
	for i, ck := range s.Checks {
		ck, err := ck.normalize()
		if err != nil {
			return nil, err
		}
		if _, dup := c.byName[ck.Name]; dup {
			return nil, fmt.Errorf("health: duplicate check %q", ck.Name)
		}
		c.byName[ck.Name] = i
		c.checks = append(c.checks, &checkState{def: ck, idx: i})
		for _, g := range ck.Groups {
			gi := addGroup(g)
			if !slices.Contains(c.groups[gi].members, i) {
				c.groups[gi].members = append(c.groups[gi].members, i)
			}
		}
	}
	for _, g := range s.Groups {
		if !validName(g.Name) {
			return nil, fmt.Errorf("health: group name must be 1 to %d of [A-Za-z0-9._-]", maxNameLen)
		}
		gi := addGroup(g.Name)
		for _, n := range g.Include {
			if n == "*" {
				for i := range c.checks {
					if !slices.Contains(c.groups[gi].members, i) {
						c.groups[gi].members = append(c.groups[gi].members, i)
					}
				}
				continue
			}
			i, ok := c.byName[n]
			if !ok {
				return nil, fmt.Errorf("health: group %q includes unknown check %q", g.Name, n)
			}
			if !slices.Contains(c.groups[gi].members, i) {
				c.groups[gi].members = append(c.groups[gi].members, i)
			}
		}
		for _, n := range g.Exclude {
			i, ok := c.byName[n]
			if !ok {
				return nil, fmt.Errorf("health: group %q excludes unknown check %q", g.Name, n)
			}
			c.groups[gi].members = slices.DeleteFunc(c.groups[gi].members, func(m int) bool { return m == i })
		}
	}
	for gi := range c.groups {
		slices.Sort(c.groups[gi].members)
	}
	c.life, c.cancel = context.WithCancel(context.Background())
	c.publish()
	return c, nil
}

// Start runs the background checks and the event delivery in a goroutine
// until ctx is done or [Checker.Close] is called. It returns [ErrClosed]
// after Close, and an error if the Checker is already running.
func (c *Checker) Start(ctx context.Context) error {
	body, err := c.begin(ctx)
	if err != nil {
		return err
	}
	go body()
	return nil
}

// Run is [Checker.Start] in the caller's goroutine: it blocks until ctx is
// done or [Checker.Close] is called, and returns nil once its loops have
// stopped (a run still in progress finishes on its own and Close waits for
// it).
func (c *Checker) Run(ctx context.Context) error {
	body, err := c.begin(ctx)
	if err != nil {
		return err
	}
	body()
	return nil
}

func (c *Checker) begin(ctx context.Context) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.running {
		return nil, errors.New("health: checker already running")
	}
	c.running = true
	c.wg.Add(1)
	return func() {
		defer c.wg.Done()
		rctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(c.life, cancel)
		var loops sync.WaitGroup
		for _, cs := range c.checks {
			if cs.def.Mode == Background {
				loops.Go(func() { c.loop(rctx, cs) })
			}
		}
		loops.Go(func() { c.deliver(rctx) })
		loops.Wait()
		stop()
		cancel()
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
	}, nil
}

// loop runs one Background check until ctx is done.
func (c *Checker) loop(ctx context.Context, cs *checkState) {
	t := time.NewTimer(cs.def.InitialDelay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case <-c.refresh(cs, true):
		case <-ctx.Done():
			return
		}
		d := cs.def.Interval
		if cs.def.Jitter > 0 {
			d += rand.N(cs.def.Jitter)
		}
		t.Reset(d)
	}
}

// deliver calls the listeners with queued events until ctx is done.
func (c *Checker) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-c.events:
			c.notify(ev)
		}
	}
}

func (c *Checker) notify(ev Event) {
	defer func() {
		if p := recover(); p != nil && c.set.Logger != nil {
			c.set.Logger.Error("health: listener panicked", "check", ev.Check, "panic", p)
		}
	}()
	if c.set.Observe != nil {
		c.set.Observe(ev)
	}
	if c.set.OnChange != nil && ev.Changed() {
		c.set.OnChange(ev)
	}
}

// emit queues ev for the listeners without ever blocking.
func (c *Checker) emit(ev Event) {
	if c.set.Observe == nil && c.set.OnChange == nil {
		return
	}
	select {
	case c.events <- ev:
	default:
		c.dropped.Add(1)
	}
}

// Dropped returns how many events were dropped because the listener queue
// was full.
func (c *Checker) Dropped() uint64 { return c.dropped.Load() }

// Close stops the background checks, cancels the context of every run in
// progress and waits for all of the Checker's goroutines, including a run
// whose check ignores its context (see [Checker.Shutdown] to bound the
// wait). Probes keep being served from the last results. Close is
// idempotent and always returns nil.
func (c *Checker) Close() error {
	_ = c.Shutdown(context.Background())
	return nil
}

// Shutdown is [Checker.Close] with a bound on the wait: it returns
// ctx.Err() if ctx is done before every goroutine has returned.
func (c *Checker) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	for _, cs := range c.checks {
		cs.mu.Lock()
		if cs.timer != nil {
			cs.timer.Stop()
		}
		cs.st.fresh = false
		cs.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drain makes the readiness group fail with output "draining" from now on,
// so that load balancers stop sending traffic before a graceful shutdown;
// liveness is unaffected. It returns at once.
func (c *Checker) Drain() {
	if !c.drained.Swap(true) {
		c.publish()
	}
}

// Draining reports whether [Checker.Drain] has been called.
func (c *Checker) Draining() bool { return c.drained.Load() }

// State is a point-in-time copy of a check's state, for tests, metrics and
// admin pages. It is a plain value, detached from the Checker; the zero
// State describes a check that has not run.
type State struct {
	// Name is the check's name.
	Name string
	// Status is the current status, thresholds applied.
	Status Status
	// Last is the last run's result, output capped.
	Last Result
	// LastRun is when the last run finished; zero if it never ran.
	LastRun time.Time
	// Duration is how long the last run took.
	Duration time.Duration
	// Runs counts finished runs (timed-out runs included); zero means "not
	// run yet".
	Runs uint64
	// ConsecutiveFailures and ConsecutiveSuccesses count the current streak.
	ConsecutiveFailures, ConsecutiveSuccesses int
	// Flaps counts changes between failing and not failing.
	Flaps uint64
	// Running reports whether a run is in progress.
	Running bool
	// StuckSince is when a run that outlived its timeout started; zero when
	// no run is stuck.
	StuckSince time.Time
}

// State returns the state of the named check.
func (c *Checker) State(name string) (State, bool) {
	i, ok := c.byName[name]
	if !ok {
		return State{}, false
	}
	cs := c.checks[i]
	cs.mu.Lock()
	defer cs.mu.Unlock()
	st := cs.st
	return State{
		Name: cs.def.Name, Status: st.status, Last: st.last, LastRun: st.lastRun,
		Duration: st.duration, Runs: st.runs, ConsecutiveFailures: st.consecFail,
		ConsecutiveSuccesses: st.consecSucc, Flaps: st.flaps, Running: cs.flight != nil,
		StuckSince: st.stuckSince,
	}, true
}

// Status returns the status of the named group in the current snapshot,
// as a probe without query would report it, but without running anything:
// stale OnDemand results are not refreshed. It reports false if there is
// no such group.
func (c *Checker) Status(group string) (Status, bool) {
	gi, ok := c.groupIdx[group]
	if !ok {
		return StatusUnknown, false
	}
	return c.snap.Load().groups[gi].status, true
}
