package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCheckTimeout bounds a health check when Settings.CheckTimeout is 0.
const DefaultCheckTimeout = 10 * time.Second

// A Loader turns a verified artifact into a loaded model. Load receives the
// registry's root and the version being loaded; it opens v.Artifact inside
// root (root.Open, root.FS()), so the loader can no more escape the root than
// the registry can. Load must honour ctx. It is called by one activation at a
// time per model, but for different models concurrently.
// Implementations must be safe for concurrent use across models.
type Loader[M io.Closer] interface {
	// Load returns the model for the verified version v.
	Load(ctx context.Context, root *os.Root, v Version) (M, error)
}

// LoaderFunc adapts a function to the Loader interface. A nil LoaderFunc
// panics when called; it is as safe for concurrent use as the function.
type LoaderFunc[M io.Closer] func(ctx context.Context, root *os.Root, v Version) (M, error)

// Load calls f.
func (f LoaderFunc[M]) Load(ctx context.Context, root *os.Root, v Version) (M, error) {
	return f(ctx, root, v)
}

// Settings configures a Registry. Zero fields take the documented defaults
// (the zero Settings lacks the required Root and Loader); New copies and
// validates them, so later changes have no effect.
type Settings[M io.Closer] struct {
	// Root holds every artifact; required. The caller owns it and closes it
	// after the Registry.
	Root *os.Root
	// Loader loads verified artifacts; required.
	Loader Loader[M]
	// Store persists the catalogue. Nil means a new, empty MemoryStore.
	Store Store
	// Check is the health check run on a freshly loaded model before it is
	// switched in. Nil means a successful Load is the check.
	Check func(ctx context.Context, m M) error
	// CheckTimeout bounds Check. Zero means DefaultCheckTimeout; negative
	// is an error. A Check that ignores its context is abandoned at the
	// timeout (its model is closed when it returns) and Close waits for it.
	CheckTimeout time.Duration
	// Warm is how many previously active versions stay loaded so that
	// rollback to them is a pointer swap. Zero means 1; negative means none.
	Warm int
	// Logger receives warnings (a model's Close failing). Nil is silent.
	Logger *slog.Logger
}

// Change says who asked for an alias move, activation or rollback, and why.
// Both are recorded in the alias history and in events; the zero Change
// records neither. It is a plain value.
type Change struct {
	Who string
	Why string
}

// Registration describes a version to register. It is a plain value; the
// zero Registration is invalid (Register returns ErrInvalid).
type Registration struct {
	Model   string
	Version string
	// Artifact is the slash-separated path of a file or directory inside
	// Settings.Root.
	Artifact string
	// Metadata is free-form; keys are 1-128 bytes, at most 64 entries.
	Metadata map[string]string
	// Tags are names like Model; order and duplicates do not matter.
	Tags []string
	Who  string
}

// AliasChange describes an alias move for [Registry.SetAlias]. It is a plain
// value; the zero AliasChange is invalid.
type AliasChange struct {
	Model string
	Alias string
	// Version is the new target; "" removes the alias.
	Version string
	// Generation is the model generation the caller last read (from
	// Registry.Model or a previous SetAlias); a stale value is ErrConflict.
	Generation uint64
	Change
}

// Registry is a catalogue of model versions with gated activation, warm
// rollback and lock-free resolution of the active version. See the package
// documentation for the model.
//
// The zero Registry is not usable; create one with New. A Registry is safe for
// concurrent use.
type Registry[M io.Closer] struct {
	root         *os.Root
	loader       Loader[M]
	store        Store
	check        func(context.Context, M) error
	checkTimeout time.Duration
	warm         int
	log          *slog.Logger
	hub          hub

	// entries maps model name to entry; replaced copy-on-write under mu so
	// that Resolve reads it without a lock.
	entries atomic.Pointer[map[string]*entry[M]]
	mu      sync.Mutex // serialises entry creation
	closed  atomic.Bool
	checks  sync.WaitGroup // abandoned health checks
}

// entry is one model's in-memory state.
type entry[M io.Closer] struct {
	// gate serialises activations, rollbacks and restores of the model.
	gate chan struct{}
	// cur is the handle readers resolve; nil when nothing is loaded.
	cur atomic.Pointer[Handle[M]]

	mu   sync.Mutex   // guards rec and warm; held across Store writes
	rec  Model        // the stored record (Generation 0: not yet stored)
	warm []*Handle[M] // previously current handles, most recent first
}

// New returns a Registry holding the records of s.Store. It loads no model:
// call LoadActive to bring persisted active versions back into service.
func New[M io.Closer](ctx context.Context, s Settings[M]) (*Registry[M], error) {
	switch {
	case s.Root == nil:
		return nil, fmt.Errorf("%w: settings: Root is required", ErrInvalid)
	case s.Loader == nil:
		return nil, fmt.Errorf("%w: settings: Loader is required", ErrInvalid)
	case s.CheckTimeout < 0:
		return nil, fmt.Errorf("%w: settings: negative CheckTimeout", ErrInvalid)
	}
	r := &Registry[M]{
		root: s.Root, loader: s.Loader, store: s.Store, check: s.Check,
		checkTimeout: s.CheckTimeout, warm: s.Warm, log: s.Logger,
	}
	if r.store == nil {
		r.store = &MemoryStore{}
	}
	if r.checkTimeout == 0 {
		r.checkTimeout = DefaultCheckTimeout
	}
	switch {
	case r.warm == 0:
		r.warm = 1
	case r.warm < 0:
		r.warm = 0
	}
	models, err := r.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry: load store: %w", err)
	}
	m := make(map[string]*entry[M], len(models))
	for _, rec := range models {
		if err := rec.Validate(); err != nil {
			return nil, err
		}
		m[rec.Name] = &entry[M]{gate: make(chan struct{}, 1), rec: rec}
	}
	r.entries.Store(&m)
	return r, nil
}

// lookup returns the entry of name, optionally creating it.
func (r *Registry[M]) lookup(name string, create bool) (*entry[M], error) {
	if e, ok := (*r.entries.Load())[name]; ok {
		return e, nil
	}
	if !create {
		return nil, ErrNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.entries.Load()
	if e, ok := old[name]; ok {
		return e, nil
	}
	next := maps.Clone(old)
	e := &entry[M]{gate: make(chan struct{}, 1), rec: Model{Name: name}}
	next[name] = e
	r.entries.Store(&next)
	return e, nil
}

// update applies fn to a copy of e's record with the next generation and
// writes it with compare-and-set. When the store reports a conflict (another
// process wrote the record) it refreshes the record and applies fn again, up
// to three attempts.
func (r *Registry[M]) update(ctx context.Context, e *entry[M], fn func(next *Model) error) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for attempt := 1; ; attempt++ {
		next := e.rec.clone()
		// Room for the one history entry most changes append.
		next.History = slices.Grow(next.History, 1)
		prev := next.Generation
		next.Generation = prev + 1
		if err := fn(&next); err != nil {
			return 0, err
		}
		// Empty is nil, as a reopened snapshot has it.
		if len(next.History) == 0 {
			next.History = nil
		}
		if len(next.Aliases) == 0 {
			next.Aliases = nil
		}
		err := r.store.Put(ctx, next, prev)
		if err == nil {
			e.rec = next
			return next.Generation, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == 3 {
			return 0, fmt.Errorf("registry: store: %w", err)
		}
		fresh, gerr := r.store.Get(ctx, e.rec.Name)
		if gerr != nil {
			return 0, fmt.Errorf("registry: store: %w", errors.Join(err, gerr))
		}
		e.rec = fresh
	}
}

// errUnchanged makes update skip the write.
var errUnchanged = errors.New("registry: unchanged")

// Register computes the artifact's digest and records a new version. A
// (model, version) is immutable: registering it again with the same artifact,
// digest, metadata and tags returns the stored Version; with anything else it
// is ErrImmutable.
func (r *Registry[M]) Register(ctx context.Context, reg Registration) (Version, error) {
	if r.closed.Load() {
		return Version{}, ErrClosed
	}
	switch {
	case !validName(reg.Model, false):
		return Version{}, fmt.Errorf("%w: model name", ErrInvalid)
	case !validName(reg.Version, true):
		return Version{}, fmt.Errorf("%w: version", ErrInvalid)
	case !validArtifactPath(reg.Artifact):
		return Version{}, fmt.Errorf("%w: path must be local and slash-separated", ErrInvalidArtifact)
	case len(reg.Metadata) > 64:
		return Version{}, fmt.Errorf("%w: more than 64 metadata entries", ErrInvalid)
	}
	for k := range reg.Metadata {
		if k == "" || len(k) > maxTextLen {
			return Version{}, fmt.Errorf("%w: metadata key", ErrInvalid)
		}
	}
	tags := slices.Clone(reg.Tags)
	slices.Sort(tags)
	tags = slices.Compact(tags)
	for _, t := range tags {
		if !validName(t, false) {
			return Version{}, fmt.Errorf("%w: tag", ErrInvalid)
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	digest, size, err := artifactDigest(r.root, reg.Artifact)
	if err != nil {
		return Version{}, err
	}
	v := Version{
		Model: reg.Model, Version: reg.Version, Artifact: reg.Artifact, Digest: digest, Size: size,
		Metadata: maps.Clone(reg.Metadata), Tags: tags, RegisteredAt: time.Now().Round(0).UTC(),
	}
	if len(v.Metadata) == 0 {
		v.Metadata = nil
	}
	e, _ := r.lookup(reg.Model, true)
	var existing Version
	_, err = r.update(ctx, e, func(next *Model) error {
		if i := next.find(v.Version); i >= 0 {
			old := next.Versions[i]
			if old.Artifact != v.Artifact || old.Digest != v.Digest ||
				!maps.Equal(old.Metadata, v.Metadata) || !slices.Equal(old.Tags, v.Tags) {
				return ErrImmutable
			}
			existing = old.clone()
			existing.State = next.stateOf(i)
			return errUnchanged
		}
		i, _ := slices.BinarySearchFunc(next.Versions, v.Version, func(x Version, s string) int {
			return CompareVersions(x.Version, s)
		})
		next.Versions = slices.Insert(next.Versions, i, v.clone())
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return existing, nil
	case err != nil:
		return Version{}, err
	}
	r.hub.publish(Event{Kind: EventRegistered, Model: v.Model, Version: v.Version, Digest: v.Digest, Who: reg.Who, At: v.RegisteredAt})
	v.State = StateRegistered
	return v, nil
}

// SetAlias moves, creates or removes (Version "") an alias, compare-and-set
// on the model generation, and returns the new generation. A stale
// Generation is ErrConflict; ActiveAlias is ErrInvalid (use Activate).
// Moving an alias to its current target changes nothing.
func (r *Registry[M]) SetAlias(ctx context.Context, c AliasChange) (uint64, error) {
	if r.closed.Load() {
		return 0, ErrClosed
	}
	if !validName(c.Alias, false) || c.Alias == ActiveAlias {
		return 0, fmt.Errorf("%w: alias", ErrInvalid)
	}
	e, err := r.lookup(c.Model, false)
	if err != nil {
		return 0, err
	}
	var from string
	var gen uint64
	newGen, err := r.update(ctx, e, func(next *Model) error {
		if next.Generation-1 != c.Generation {
			return ErrConflict
		}
		if c.Version != "" && next.find(c.Version) < 0 {
			return ErrNotFound
		}
		from = next.Aliases[c.Alias]
		if from == c.Version {
			gen = c.Generation
			return errUnchanged
		}
		moveAlias(next, c.Alias, c.Version, c.Change)
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return gen, nil
	case err != nil:
		return 0, err
	}
	r.hub.publish(Event{Kind: EventAliasMoved, Model: c.Model, Version: c.Version, Alias: c.Alias, From: from, Who: c.Who, Why: c.Why})
	return newGen, nil
}

// moveAlias points alias at to ("" removes it) and appends the history entry.
func moveAlias(m *Model, alias, to string, c Change) {
	from := m.Aliases[alias]
	if to == "" {
		delete(m.Aliases, alias)
	} else {
		if m.Aliases == nil {
			m.Aliases = map[string]string{}
		}
		m.Aliases[alias] = to
	}
	m.History = append(m.History, AliasMove{
		Alias: alias, From: from, To: to, Who: c.Who, Why: c.Why,
		At: time.Now().Round(0).UTC(), Generation: m.Generation,
	})
}

// Resolve returns a handle to the active version of model, which the caller
// must Release. It takes no lock and allocates nothing; it fails with
// ErrNotActive when no version is loaded (ErrNotFound for an unknown model).
func (r *Registry[M]) Resolve(model string) (*Handle[M], error) {
	e, ok := (*r.entries.Load())[model]
	if !ok {
		return nil, ErrNotFound
	}
	for {
		h := e.cur.Load()
		if h == nil {
			return nil, ErrNotActive
		}
		if h.tryAcquire() {
			return h, nil
		}
	}
}

// acquireGate waits for the model's activation gate.
func acquireGate(ctx context.Context, gate chan struct{}) error {
	select {
	case gate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Activate makes version the active version of model after a gated load:
// verify the artifact's digest, load it through the Loader, run the health
// check with its timeout, record the result, move the active alias, then swap
// it in for readers. The previous version keeps serving until the swap and
// on any failure; the failure is recorded in the version's LastCheck and
// published as EventFailed. Activating the current version does nothing.
func (r *Registry[M]) Activate(ctx context.Context, model, version string, c Change) error {
	e, err := r.begin(ctx, model)
	if err != nil {
		return err
	}
	defer func() { <-e.gate }()
	if h := e.cur.Load(); h != nil && h.version == version {
		return nil
	}
	return r.activate(ctx, e, version, c, EventActivated)
}

// begin checks the registry is open, finds model and takes its gate.
func (r *Registry[M]) begin(ctx context.Context, model string) (*entry[M], error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	e, err := r.lookup(model, false)
	if err != nil {
		return nil, err
	}
	if err := acquireGate(ctx, e.gate); err != nil {
		return nil, err
	}
	if r.closed.Load() {
		<-e.gate
		return nil, ErrClosed
	}
	return e, nil
}

// version returns a copy of the stored version, or ErrNotFound.
func (e *entry[M]) version(version string) (Version, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.rec.find(version)
	if i < 0 {
		return Version{}, ErrNotFound
	}
	return e.rec.Versions[i].clone(), nil
}

// activate runs the gated load of version and switches to it. The caller
// holds e.gate.
func (r *Registry[M]) activate(ctx context.Context, e *entry[M], version string, c Change, kind EventKind) error {
	v, err := e.version(version)
	if err != nil {
		return err
	}
	h, gerr := r.gated(ctx, v, c)
	if err := r.recordCheck(ctx, e, v, gerr); err != nil {
		if h != nil {
			_ = h.retire()
		}
		return r.fail(v, c, "switch", errors.Join(gerr, err))
	}
	if gerr != nil {
		return gerr
	}
	return r.switchTo(ctx, e, h, v, c, kind, true)
}

// switchTo persists the active-alias move to h's version, then swaps h in
// and keeps the previous handle warm. On a store failure the previous
// version keeps serving and a fresh h is released (a warm one stays warm).
func (r *Registry[M]) switchTo(ctx context.Context, e *entry[M], h *Handle[M], v Version, c Change, kind EventKind, fresh bool) error {
	var from string
	_, err := r.update(ctx, e, func(next *Model) error {
		from = next.Aliases[ActiveAlias]
		moveAlias(next, ActiveAlias, v.Version, c)
		return nil
	})
	if err != nil {
		if fresh {
			_ = h.retire()
		}
		return r.fail(v, c, "switch", err)
	}
	old := e.cur.Swap(h)
	r.unwarm(e, h)
	r.keepWarm(e, old)
	r.hub.publish(Event{Kind: kind, Model: v.Model, Version: v.Version, Digest: v.Digest, Alias: ActiveAlias, From: from, Who: c.Who, Why: c.Why})
	return nil
}

// unwarm removes h (or, for a fresh handle, any handle of the same version)
// from the warm list: a fresh load of a version supersedes its warm copy.
func (r *Registry[M]) unwarm(e *entry[M], h *Handle[M]) {
	e.mu.Lock()
	var drop []*Handle[M]
	e.warm = slices.DeleteFunc(e.warm, func(w *Handle[M]) bool {
		if w == h {
			return true
		}
		if w.version == h.version {
			drop = append(drop, w)
			return true
		}
		return false
	})
	e.mu.Unlock()
	for _, w := range drop {
		_ = w.retire()
	}
}

// keepWarm puts old at the front of the warm list and releases what no
// longer fits.
func (r *Registry[M]) keepWarm(e *entry[M], old *Handle[M]) {
	if old == nil {
		return
	}
	e.mu.Lock()
	e.warm = slices.Insert(e.warm, 0, old)
	var drop []*Handle[M]
	if len(e.warm) > r.warm {
		drop = slices.Clone(e.warm[r.warm:])
		e.warm = e.warm[:r.warm]
	}
	e.mu.Unlock()
	for _, w := range drop {
		_ = w.retire()
	}
}

// fail publishes EventFailed and returns the ActivationError.
func (r *Registry[M]) fail(v Version, c Change, step string, err error) error {
	r.hub.publish(Event{Kind: EventFailed, Model: v.Model, Version: v.Version, Digest: v.Digest, Step: step, Err: err, Who: c.Who, Why: c.Why})
	return &ActivationError{Model: v.Model, Version: v.Version, Step: step, Err: err}
}

// gated verifies, loads and checks v, returning a handle holding the
// registry's reference. Its error is an *ActivationError.
func (r *Registry[M]) gated(ctx context.Context, v Version, c Change) (*Handle[M], error) {
	start := time.Now()
	digest, _, err := artifactDigest(r.root, v.Artifact)
	if err == nil && digest != v.Digest {
		err = ErrDigestMismatch
	}
	if err != nil {
		return nil, r.fail(v, c, "verify", err)
	}
	r.hub.publish(Event{Kind: EventVerified, Model: v.Model, Version: v.Version, Digest: v.Digest, Who: c.Who, Why: c.Why, Duration: time.Since(start)})
	m, err := r.loader.Load(ctx, r.root, v)
	if err != nil {
		return nil, r.fail(v, c, "load", err)
	}
	h := newHandle(m, v, r.log)
	start = time.Now()
	if err := r.runCheck(ctx, h); err != nil {
		return nil, r.fail(v, c, "check", err)
	}
	r.hub.publish(Event{Kind: EventChecked, Model: v.Model, Version: v.Version, Digest: v.Digest, Who: c.Who, Why: c.Why, Duration: time.Since(start)})
	return h, nil
}

// runCheck runs the health check with the timeout. On failure it releases
// h; a check still running at the timeout releases h when it returns.
func (r *Registry[M]) runCheck(ctx context.Context, h *Handle[M]) error {
	if r.check == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, r.checkTimeout)
	defer cancel()
	// state: 0 running, 1 returned in time, 2 abandoned by the timeout.
	// Whoever moves it off 0 decides who releases h on failure.
	var state atomic.Int32
	done := make(chan error, 1)
	r.checks.Add(1)
	go func() {
		defer r.checks.Done()
		err := r.check(cctx, h.model)
		if !state.CompareAndSwap(0, 1) {
			_ = h.retire() // abandoned: the check owned h until now
			return
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			_ = h.retire()
			return fmt.Errorf("%w: %w", ErrUnhealthy, err)
		}
		return nil
	case <-cctx.Done():
		if state.CompareAndSwap(0, 2) {
			return fmt.Errorf("%w: %w", ErrUnhealthy, cctx.Err())
		}
		if err := <-done; err != nil { // returned just in time
			_ = h.retire()
			return fmt.Errorf("%w: %w", ErrUnhealthy, err)
		}
		return nil
	}
}

// recordCheck stores the outcome of a gated load in v's LastCheck.
func (r *Registry[M]) recordCheck(ctx context.Context, e *entry[M], v Version, gerr error) error {
	chk := &Check{At: time.Now().Round(0).UTC(), Passed: gerr == nil}
	var ae *ActivationError
	if errors.As(gerr, &ae) {
		chk.Step, chk.Error = ae.Step, ae.Err.Error()
	}
	_, err := r.update(ctx, e, func(next *Model) error {
		i := next.find(v.Version)
		if i < 0 {
			return ErrNotFound
		}
		next.Versions[i].LastCheck = chk
		return nil
	})
	return err
}

// Rollback makes a previous version active again. With to == "" it picks
// the most recently active version, other than the current one, whose last
// check passed; otherwise the named version. A warm version is switched in
// by persisting the alias move and swapping a pointer; any other is gated
// exactly like Activate. It returns the version now active.
func (r *Registry[M]) Rollback(ctx context.Context, model, to string, c Change) (string, error) {
	e, err := r.begin(ctx, model)
	if err != nil {
		return "", err
	}
	defer func() { <-e.gate }()
	e.mu.Lock()
	cur := e.rec.Aliases[ActiveAlias]
	if to == "" {
		to = previousHealthy(&e.rec, cur)
	}
	i := e.rec.find(to)
	var v Version
	if i >= 0 {
		v = e.rec.Versions[i].clone()
	}
	var warm *Handle[M]
	for _, w := range e.warm {
		if w.version == to && v.LastCheck != nil && v.LastCheck.Passed {
			warm = w
		}
	}
	e.mu.Unlock()
	switch {
	case to == "":
		return "", fmt.Errorf("%w: no previous healthy version", ErrNotFound)
	case i < 0:
		return "", ErrNotFound
	case to == cur && e.cur.Load() != nil:
		return to, nil
	case warm == nil:
		return to, r.activate(ctx, e, to, c, EventRolledBack)
	}
	// The warm handle stays referenced by the warm list until switchTo
	// removes it, so it cannot be closed underneath us.
	return to, r.switchTo(ctx, e, warm, v, c, EventRolledBack, false)
}

// previousHealthy walks the active alias history backwards for the most
// recently active healthy version other than cur.
func previousHealthy(m *Model, cur string) string {
	for i := len(m.History) - 1; i >= 0; i-- {
		h := m.History[i]
		if h.Alias != ActiveAlias {
			continue
		}
		for _, cand := range []string{h.To, h.From} {
			if cand == "" || cand == cur {
				continue
			}
			if j := m.find(cand); j >= 0 && m.Versions[j].LastCheck != nil && m.Versions[j].LastCheck.Passed {
				return cand
			}
		}
	}
	return ""
}

// LoadActive brings the persisted active version of every model that has
// none loaded back into service, gated like Activate (the alias is not
// moved). Failures are recorded and joined into the returned error; the
// other models still load.
func (r *Registry[M]) LoadActive(ctx context.Context) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(*r.entries.Load())) {
		errs = append(errs, r.restore(ctx, name))
	}
	return errors.Join(errs...)
}

func (r *Registry[M]) restore(ctx context.Context, name string) error {
	e, err := r.begin(ctx, name)
	if err != nil {
		return err
	}
	defer func() { <-e.gate }()
	e.mu.Lock()
	active := e.rec.Aliases[ActiveAlias]
	e.mu.Unlock()
	if active == "" || e.cur.Load() != nil {
		return nil
	}
	v, err := e.version(active)
	if err != nil {
		return err
	}
	c := Change{Why: "restore"}
	h, gerr := r.gated(ctx, v, c)
	if err := r.recordCheck(ctx, e, v, gerr); err != nil {
		if h != nil {
			_ = h.retire()
		}
		return r.fail(v, c, "switch", errors.Join(gerr, err))
	}
	if gerr != nil {
		return gerr
	}
	e.cur.Store(h)
	r.hub.publish(Event{Kind: EventActivated, Model: v.Model, Version: v.Version, Digest: v.Digest, Alias: ActiveAlias, Why: "restore"})
	return nil
}

// Model returns a deep copy of the named model's record, with each
// Version's State filled in.
func (r *Registry[M]) Model(name string) (Model, error) {
	e, err := r.lookup(name, false)
	if err != nil {
		return Model{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rec.Generation == 0 {
		return Model{}, ErrNotFound
	}
	m := e.rec.clone()
	for i := range m.Versions {
		m.Versions[i].State = m.stateOf(i)
	}
	return m, nil
}

// Generation returns the current generation of model, the value to pass as
// AliasChange.Generation. It is cheaper than Model for a compare-and-set
// retry loop.
func (r *Registry[M]) Generation(model string) (uint64, error) {
	e, err := r.lookup(model, false)
	if err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rec.Generation == 0 {
		return 0, ErrNotFound
	}
	return e.rec.Generation, nil
}

// LatestHealthy returns the highest version of model whose last check
// passed, or ErrNotFound.
func (r *Registry[M]) LatestHealthy(model string) (Version, error) {
	m, err := r.Model(model)
	if err != nil {
		return Version{}, err
	}
	for i := len(m.Versions) - 1; i >= 0; i-- {
		if c := m.Versions[i].LastCheck; c != nil && c.Passed {
			return m.Versions[i], nil
		}
	}
	return Version{}, ErrNotFound
}

// A Query selects versions for [Registry.Search]. Every non-zero field must
// match; the zero Query matches every version. It is a plain value.
type Query struct {
	// NamePrefix selects models whose name starts with it.
	NamePrefix string
	// Tags selects versions carrying every one of them.
	Tags []string
	// Alias selects the version the alias points to, in each model.
	Alias string
	// State selects versions in that state.
	State State
	// Constraint selects semantic versions it matches.
	Constraint Constraint
	// After and Before select versions registered at or after After and
	// strictly before Before.
	After, Before time.Time
	// Limit caps the number of results; zero means no limit.
	Limit int
}

// Search returns the versions matching q, ordered by model name, then from
// the highest version to the lowest ([CompareVersions]); the order is
// deterministic.
func (r *Registry[M]) Search(q Query) []Version {
	entries := *r.entries.Load()
	var out []Version
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		if !strings.HasPrefix(name, q.NamePrefix) {
			continue
		}
		e := entries[name]
		e.mu.Lock()
		for i := len(e.rec.Versions) - 1; i >= 0; i-- {
			v := &e.rec.Versions[i]
			st := e.rec.stateOf(i)
			switch {
			case q.Alias != "" && e.rec.Aliases[q.Alias] != v.Version,
				q.State != "" && q.State != st,
				!q.Constraint.Match(v.Version),
				!q.After.IsZero() && v.RegisteredAt.Before(q.After),
				!q.Before.IsZero() && !v.RegisteredAt.Before(q.Before),
				!hasAll(v.Tags, q.Tags):
				continue
			}
			c := v.clone()
			c.State = st
			out = append(out, c)
			if q.Limit > 0 && len(out) == q.Limit {
				e.mu.Unlock()
				return out
			}
		}
		e.mu.Unlock()
	}
	return out
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// Subscribe returns a subscription receiving every later event on a channel
// with the given buffer (zero or negative means 64). See Subscription for the
// delivery guarantee.
func (r *Registry[M]) Subscribe(buffer int) *Subscription { return r.hub.subscribe(buffer) }

// Close stops the registry: later mutations fail with ErrClosed and Resolve
// with ErrNotActive. It drops the registry's references to every loaded
// model, so each is closed now or when its last reader releases it, waits for
// abandoned health checks to return, and closes every subscription. It
// returns the errors of the model Close calls it made.
func (r *Registry[M]) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, e := range *r.entries.Load() {
		e.gate <- struct{}{} // wait for an in-flight activation
		if h := e.cur.Swap(nil); h != nil {
			errs = append(errs, h.retire())
		}
		e.mu.Lock()
		warm := e.warm
		e.warm = nil
		e.mu.Unlock()
		for _, w := range warm {
			errs = append(errs, w.retire())
		}
		<-e.gate
	}
	r.checks.Wait()
	r.hub.close()
	return errors.Join(errs...)
}
