package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/ledger"
	"github.com/go-playground/validator/v10"
	"golang.org/x/sync/errgroup"
)

// Recorder is the ledger the runner writes one entry per failed execution
// to. *ledger.Ledger implements it; so does the recording ledger of package
// agenttest. Implementations must be safe for concurrent use: Record is
// called on the goroutine of each failed execution, with a context that
// carries the request's values but is never cancelled.
type Recorder interface {
	Record(ctx context.Context, e ledger.Entry) (ledger.ID, error)
}

// Settings configures a [Registry]. The zero value is valid: built-in
// policy defaults, no ledger, no hooks, every agent enabled.
type Settings struct {
	// Default is the policy of last resort (see [Policy]).
	Default Policy
	// Kinds holds a policy per agent kind ([Info.Kind]).
	Kinds map[string]Policy
	// Ledger, when not nil, receives exactly one entry per failed or
	// degraded execution that called the agent. Executions rejected before
	// any attempt are limited by RejectionEntries.
	Ledger Recorder
	// RejectionEntries bounds the ledger entries, per agent and per second,
	// of executions that never called the agent (Result.Attempts == 0:
	// invalid input, disabled, no concurrency slot, breaker open, registry
	// closed), so that a flood of bad or refused requests cannot fill the
	// ledger (and, with size retention, push older entries out of it). The
	// rejections past the limit are counted, and the next rejection entry
	// of the agent carries the count as its "suppressed" attribute; hooks
	// still see every one. Default 10; negative: no limit.
	RejectionEntries int
	// Hooks observe executions.
	Hooks Hooks
	// Enabled, when not nil, is the feature flag checked on every call (and
	// by status) with the request context; false answers [KindDisabled].
	Enabled func(ctx context.Context, agent string) bool
	// StartConcurrency bounds how many agents [Registry.Start] initialises
	// at once. Default 4.
	StartConcurrency int
	// HealthTTL is how long a failed health check keeps the agent's status
	// at [StatusError]. Default 1 minute.
	HealthTTL time.Duration
	// Logger receives start, close and ledger failures. Nil is silent.
	Logger *slog.Logger
}

// Options are the per-agent settings given to [Register]. The zero value
// means: inherit every policy field, required, enabled.
type Options struct {
	// Policy is the agent's own policy, resolved before its kind's and the
	// default.
	Policy Policy
	// Optional reports whether a failing Init leaves the agent in
	// [StatusError] instead of failing [Registry.Start].
	Optional bool
	// Disabled starts the agent switched off (see [Registry.SetEnabled]).
	Disabled bool
}

// Status is an agent's state, computed from flags, initialisation, breaker
// state, recent health and in-flight count, in that order of precedence.
// The zero value is [StatusIdle].
type Status uint8

// The statuses.
const (
	StatusIdle       Status = iota // ready, nothing running
	StatusProcessing               // at least one execution in flight
	StatusDegraded                 // the breaker is open or half-open
	StatusError                    // Init or the last health check failed, or the registry is closed
	StatusDisabled                 // a flag turned it off
)

var statusNames = [...]string{"idle", "processing", "degraded", "error", "disabled"}

// String returns the status name, e.g. "degraded".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// MarshalText encodes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Description is a snapshot of one registered agent, a plain value (its
// slices are copies) safe to keep and share.
type Description struct {
	Info
	Status   Status `json:"status"`
	InFlight int    `json:"in_flight"`
	// Breaker is the breaker state ("closed", "open", ...), empty without
	// a breaker.
	Breaker  string `json:"breaker,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// Registry holds agents by unique name and runs them under their policies
// (the runner). Create it with [New], add agents with [Register], then call
// [Registry.Start]; call [Registry.Close] when done. Executions go through a
// [Handle] ([Register], [Lookup]) or, for dynamic callers, through
// [Registry.RunJSON].
//
// The zero value is not usable. A Registry is safe for concurrent use;
// lookups and executions take no lock.
type Registry struct {
	s         Settings
	validate  *validator.Validate
	observed  bool // hooks: assign an execution id up front
	healthTTL time.Duration
	startN    int
	epoch     time.Time // monotonic origin of mono

	mu      sync.Mutex // guards order and started
	order   []*entry
	started bool

	byName atomic.Pointer[map[string]*entry] // copy on write under mu
	closed atomic.Bool
}

// New returns an empty registry. It validates the default and kind policies.
func New(s Settings) (*Registry, error) {
	if _, err := resolve(Policy{}, Policy{}, s.Default); err != nil {
		return nil, err
	}
	for k, p := range s.Kinds {
		if _, err := resolve(Policy{}, p, s.Default); err != nil {
			return nil, fmt.Errorf("%w (kind %q)", err, k)
		}
	}
	if s.RejectionEntries == 0 {
		s.RejectionEntries = 10
	}
	if s.StartConcurrency < 0 || s.HealthTTL < 0 {
		return nil, errors.New("agent: negative start concurrency or health ttl")
	}
	s.Kinds = maps.Clone(s.Kinds)
	r := &Registry{
		s:         s,
		observed:  s.Hooks.any(),
		healthTTL: cmpOr(s.HealthTTL, time.Minute),
		startN:    cmpOr(s.StartConcurrency, 4),
		epoch:     time.Now(),
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			return ""
		case "":
			return f.Name
		}
		return name
	})
	r.validate = v
	empty := map[string]*entry{}
	r.byName.Store(&empty)
	return r, nil
}

// mono returns the monotonic time since the registry's creation: one
// clock read, where time.Now takes two.
func (r *Registry) mono() time.Duration { return time.Since(r.epoch) }

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// entry is one registered agent and its runtime state.
type entry struct {
	reg      *Registry
	info     Info
	name     string
	optional bool
	pol      policy
	direct   bool // one attempt, no breaker, no deadline, no OnAttempt hook: run calls the agent itself
	// usesCtx is set once an attempt context of the agent has been
	// materialised (the agent waited on it, asked for its cause or derived
	// a child): its later attempts build the real deadline context at once.
	usesCtx atomic.Bool
	br      *breaker.Breaker
	slots   chan struct{} // nil: no concurrency limit

	queued   atomic.Int64
	inflight inflight
	rejects  rejectWindow
	disabled atomic.Bool
	ready    atomic.Bool // Init done, or none needed
	initErr  atomic.Pointer[error]
	health   atomic.Pointer[healthResult]

	init, close, check func(ctx context.Context) error
	runJSON            func(ctx context.Context, body []byte) Result[json.RawMessage]
	typed              any // *Handle[In, Out]
	types              string
}

type healthResult struct {
	err error
	at  time.Time
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Register adds a to reg under a.Info().Name and returns the typed handle
// that runs it. The name must be unique, 1-64 characters of letters,
// digits, '-', '_' and '.'. Register detects the optional interfaces
// ([Initializer], [Closer], [HealthChecker], [Degrader], and [Validator] on
// In), derives missing schemas, resolves the policy (agent, kind, default)
// and builds the agent's breaker. It fails after [Registry.Start].
func Register[In, Out any](reg *Registry, a Agent[In, Out], opts Options) (*Handle[In, Out], error) {
	if a == nil {
		return nil, errors.New("agent: nil agent")
	}
	info := a.Info()
	if !validName(info.Name) {
		return nil, fmt.Errorf("agent: invalid name %q", info.Name)
	}
	info.Capabilities = slices.Clone(info.Capabilities)
	if info.Input == nil {
		info.Input = SchemaOf(reflect.TypeFor[In]())
	}
	if info.Output == nil {
		info.Output = SchemaOf(reflect.TypeFor[Out]())
	}
	pol, err := resolve(opts.Policy, reg.s.Kinds[info.Kind], reg.s.Default)
	if err != nil {
		return nil, fmt.Errorf("%w (agent %q)", err, info.Name)
	}
	e := &entry{reg: reg, info: info, name: info.Name, optional: opts.Optional, pol: pol, inflight: newInflight(),
		types: fmt.Sprintf("Agent[%v, %v]", reflect.TypeFor[In](), reflect.TypeFor[Out]())}
	e.disabled.Store(opts.Disabled)
	e.direct = pol.attempts <= 1 && pol.breaker == nil && pol.timeout == 0 && pol.total == 0 && reg.s.Hooks.OnAttempt == nil
	if pol.breaker != nil {
		bs := *pol.breaker
		if on := reg.s.Hooks.OnBreaker; on != nil {
			user := bs.OnStateChange
			bs.OnStateChange = func(ev breaker.Event) {
				if user != nil {
					user(ev)
				}
				on(context.Background(), info.Name, ev)
			}
		}
		if e.br, err = breaker.New(info.Name, bs); err != nil {
			return nil, fmt.Errorf("agent %s: %w", info.Name, err)
		}
	}
	if pol.maxInFlight > 0 {
		e.slots = make(chan struct{}, pol.maxInFlight)
	}
	if x, ok := a.(Initializer); ok {
		e.init = x.Init
	} else {
		e.ready.Store(true)
	}
	if x, ok := a.(Closer); ok {
		e.close = x.Close
	}
	if x, ok := a.(HealthChecker); ok {
		e.check = x.CheckHealth
	}
	h := &Handle[In, Out]{e: e, a: a, exec: a.Execute}
	if x, ok := a.(Degrader[In, Out]); ok {
		h.fb = x.Degraded
	}
	if x, ok := a.(*FuncAgent[In, Out]); ok {
		if x.Fn != nil {
			h.exec = x.Fn // one indirect call fewer per execution
		}
		if x.Fallback != nil {
			h.fb = x.Fallback
		}
	}
	h.validate = reg.validatorFor(reflect.TypeFor[In]())
	e.typed = h
	e.runJSON = h.runJSON

	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.started {
		return nil, fmt.Errorf("agent %s: register after start", info.Name)
	}
	old := *reg.byName.Load()
	if _, dup := old[info.Name]; dup {
		return nil, fmt.Errorf("agent %s: duplicate name", info.Name)
	}
	m := maps.Clone(old)
	m[info.Name] = e
	reg.byName.Store(&m)
	reg.order = append(reg.order, e)
	return h, nil
}

// validatorFor returns the input check for t: its Validate method and its
// validate tags, or nil when there is neither.
func (r *Registry) validatorFor(t reflect.Type) func(p any) error {
	vt := reflect.TypeFor[Validator]()
	method := t.Implements(vt) || reflect.PointerTo(t).Implements(vt)
	st := t
	for st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	tags := st.Kind() == reflect.Struct && hasTags(st, map[reflect.Type]bool{})
	if !method && !tags {
		return nil
	}
	return func(p any) error { // p is *In
		if tags {
			v := reflect.ValueOf(p).Elem()
			for v.Kind() == reflect.Pointer && !v.IsNil() {
				v = v.Elem()
			}
			if v.Kind() == reflect.Struct {
				if err := r.validate.Struct(v.Addr().Interface()); err != nil {
					return validationError(err)
				}
			}
		}
		if method {
			var err error
			if x, ok := p.(Validator); ok {
				err = x.Validate()
			} else if x, ok := reflect.ValueOf(p).Elem().Interface().(Validator); ok {
				err = x.Validate()
			}
			if err != nil {
				var ae *Error
				if errors.As(err, &ae) && ae.Public != "" {
					return &Error{Kind: KindInvalidInput, Public: ae.Public, Err: err}
				}
				return &Error{Kind: KindInvalidInput, Err: err}
			}
		}
		return nil
	}
}

func hasTags(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("validate") != "" {
			return true
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array || ft.Kind() == reflect.Map {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && hasTags(ft, seen) {
			return true
		}
	}
	return false
}

// validationError turns validator errors into a public message naming the
// fields and rules (never the values).
func validationError(err error) error {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return &Error{Kind: KindInvalidInput, Err: err}
	}
	parts := make([]string, 0, min(len(ves), 10))
	for i, fe := range ves {
		if i == 10 {
			parts = append(parts, "...")
			break
		}
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		parts = append(parts, ns+": "+fe.Tag())
	}
	return &Error{Kind: KindInvalidInput, Public: "invalid input: " + strings.Join(parts, "; "), Err: err}
}

func (r *Registry) get(name string) *entry { return (*r.byName.Load())[name] }

// Lookup returns the handle of the agent registered under name. It fails
// with a [KindNotFound] error when there is none and with [ErrTypeMismatch]
// when the agent's types are not In and Out.
func Lookup[In, Out any](reg *Registry, name string) (*Handle[In, Out], error) {
	e := reg.get(name)
	if e == nil {
		return nil, &Error{Kind: KindNotFound, Agent: name}
	}
	h, ok := e.typed.(*Handle[In, Out])
	if !ok {
		return nil, fmt.Errorf("%w: agent %s is %s, not Agent[%v, %v]", ErrTypeMismatch, name, e.types,
			reflect.TypeFor[In](), reflect.TypeFor[Out]())
	}
	return h, nil
}

// RunJSON runs the named agent with a JSON input: the dynamic edge used by
// HTTP. The body is decoded strictly (unknown fields, trailing data and an
// empty body are [KindInvalidInput]); the output is JSON. The execution goes
// through the same runner as a typed call.
func (r *Registry) RunJSON(ctx context.Context, name string, body []byte) Result[json.RawMessage] {
	e := r.get(name)
	if e == nil {
		return Result[json.RawMessage]{Err: &Error{Kind: KindNotFound, Agent: name}, Outcome: OutcomeRejected}
	}
	return e.runJSON(ctx, body)
}

// Describe returns a snapshot of the named agent.
func (r *Registry) Describe(name string) (Description, bool) {
	e := r.get(name)
	if e == nil {
		return Description{}, false
	}
	return e.describe(), true
}

// List returns a snapshot of every agent, in registration order.
func (r *Registry) List() []Description {
	r.mu.Lock()
	order := slices.Clone(r.order)
	r.mu.Unlock()
	out := make([]Description, len(order))
	for i, e := range order {
		out[i] = e.describe()
	}
	return out
}

// WithCapability returns the descriptions of the agents that list
// capability, in registration order.
func (r *Registry) WithCapability(capability string) []Description {
	var out []Description
	for _, d := range r.List() {
		if slices.Contains(d.Capabilities, capability) {
			out = append(out, d)
		}
	}
	return out
}

// SetEnabled switches the named agent on or off at run time. A disabled
// agent answers [KindDisabled]. It fails for an unknown name.
func (r *Registry) SetEnabled(name string, on bool) error {
	e := r.get(name)
	if e == nil {
		return &Error{Kind: KindNotFound, Agent: name}
	}
	e.disabled.Store(!on)
	return nil
}

func (e *entry) describe() Description {
	d := Description{Info: e.info, Status: e.status(), InFlight: int(e.inflight.load()), Optional: e.optional}
	d.Capabilities = slices.Clone(d.Capabilities)
	if e.br != nil {
		d.Breaker = e.br.State().String()
	}
	return d
}

func (e *entry) enabled(ctx context.Context) bool {
	return !e.disabled.Load() && (e.reg.s.Enabled == nil || e.reg.s.Enabled(ctx, e.name))
}

func (e *entry) status() Status {
	switch {
	case !e.enabled(context.Background()):
		return StatusDisabled
	case e.reg.closed.Load() || e.initErr.Load() != nil:
		return StatusError
	}
	if h := e.health.Load(); h != nil && h.err != nil && time.Since(h.at) < e.reg.healthTTL {
		return StatusError
	}
	if e.br != nil && e.br.State() != breaker.StateClosed && e.br.State() != breaker.StateDisabled {
		return StatusDegraded
	}
	if e.inflight.load() > 0 {
		return StatusProcessing
	}
	return StatusIdle
}

// CheckHealth runs the named agent's health check (when it has one),
// remembers the result for the status, and returns the agent's status and
// the check's error. The error is internal: do not show it to remote
// callers.
func (r *Registry) CheckHealth(ctx context.Context, name string) (Status, error) {
	e := r.get(name)
	if e == nil {
		return StatusError, &Error{Kind: KindNotFound, Agent: name}
	}
	if e.check != nil {
		err := safeCall(ctx, e.check, "health check")
		e.health.Store(&healthResult{err: err, at: time.Now()})
		if err != nil {
			return e.status(), err
		}
	}
	if ep := e.initErr.Load(); ep != nil {
		return e.status(), *ep
	}
	return e.status(), nil
}

// safeCall runs fn, turning a panic into an error.
func safeCall(ctx context.Context, fn func(context.Context) error, what string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("agent: %s panicked: %v\n%s", what, p, debug.Stack())
		}
	}()
	return fn(ctx)
}

// Start initialises the agents that implement [Initializer], at most
// StartConcurrency at once, each with panic safety. A failing required
// agent makes Start return its error (after every Init has returned); a
// failing optional agent is logged and its status becomes [StatusError].
// Registration is closed once Start begins; Start runs at most once. Call
// Close even when Start fails.
func (r *Registry) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("agent: registry already started")
	}
	r.started = true
	order := slices.Clone(r.order)
	r.mu.Unlock()

	var g errgroup.Group
	g.SetLimit(r.startN)
	errs := make([]error, len(order))
	for i, e := range order {
		if e.init == nil {
			continue
		}
		g.Go(func() error {
			err := safeCall(ctx, e.init, "init")
			if err == nil {
				e.ready.Store(true)
				return nil
			}
			e.initErr.Store(&err)
			if r.s.Logger != nil {
				r.s.Logger.LogAttrs(ctx, slog.LevelError, "agent init failed", slog.String("agent", e.name),
					slog.Bool("optional", e.optional), slog.String("error", err.Error()))
			}
			if !e.optional {
				errs[i] = fmt.Errorf("agent %s: init: %w", e.name, err)
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil; errors are in errs
	return errors.Join(errs...)
}

// Close stops new executions (they answer [KindUnavailable]), waits for
// those in flight, then closes the agents implementing [Closer] in reverse
// registration order (skipping agents whose Init never ran). ctx bounds the
// wait: when it ends, Close still calls every Closer with the ended
// context, so they can abandon their work, and returns ctx's error joined
// with theirs. Close is idempotent; later calls return nil.
func (r *Registry) Close(ctx context.Context) error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	r.mu.Lock()
	r.started = true // no registration after close
	order := slices.Clone(r.order)
	r.mu.Unlock()

	var errs []error
	if err := drain(ctx, order); err != nil {
		errs = append(errs, err)
	}
	for _, e := range slices.Backward(order) {
		if e.close == nil || (e.init != nil && !e.ready.Load() && e.initErr.Load() == nil) {
			continue
		}
		if err := safeCall(ctx, e.close, "close"); err != nil {
			errs = append(errs, fmt.Errorf("agent %s: close: %w", e.name, err))
		}
	}
	return errors.Join(errs...)
}

// drain waits, polling, until no execution is in flight.
func drain(ctx context.Context, order []*entry) error {
	const poll = 5 * time.Millisecond
	for {
		busy := false
		for _, e := range order {
			if e.inflight.load() > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return nil
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("agent: close: executions still in flight: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}
