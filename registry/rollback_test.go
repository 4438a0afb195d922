package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
)

func TestRollback(t *testing.T) {
	tests := []struct {
		name      string
		warm      int
		to        string
		wantTo    string
		wantLoads int64 // loads during the rollback
		wantErr   error
	}{
		{"previous warm", 0, "", "2.0.0", 0, nil},
		{"named warm", 2, "1.0.0", "1.0.0", 0, nil},
		{"named cold", 0, "1.0.0", "1.0.0", 1, nil},
		{"previous cold", -1, "", "2.0.0", 1, nil},
		{"current", 0, "3.0.0", "3.0.0", 0, nil},
		{"unknown", 0, "9.0.0", "", 0, registry.ErrNotFound},
		{"failed version", 0, "2.5.0", "2.5.0", 1, registry.ErrUnhealthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.settings()
			s.Warm = tt.warm
			reg := e.registry(s)
			for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
				e.register(reg, "m", v, "text "+v)
				if err := reg.Activate(t.Context(), "m", v, registry.Change{}); err != nil {
					t.Fatal(err)
				}
			}
			e.register(reg, "m", "2.5.0", "unhealthy")
			_ = reg.Activate(t.Context(), "m", "2.5.0", registry.Change{})
			before := e.loads.Load()
			to, err := reg.Rollback(t.Context(), "m", tt.to, registry.Change{Who: "ops", Why: "incident"})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Rollback: got %v, want %v", err, tt.wantErr)
			}
			got := []any{to, e.loads.Load() - before}
			if diff := cmp.Diff([]any{tt.wantTo, tt.wantLoads}, got); diff != "" {
				t.Errorf("Rollback (-want +got):\n%s", diff)
			}
			want := tt.wantTo
			if tt.wantErr != nil {
				want = "3.0.0"
			}
			if got := serving(t, reg, "m"); got != want {
				t.Errorf("serving %s, want %s", got, want)
			}
		})
	}
}

func TestRollbackWithoutHistory(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.register(reg, "m", "1.0.0", "one")
	if _, err := reg.Rollback(t.Context(), "m", "", registry.Change{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("got %v", err)
	}
	if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Rollback(t.Context(), "m", "", registry.Change{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("got %v", err)
	}
	if _, err := reg.Rollback(t.Context(), "zz", "", registry.Change{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("got %v", err)
	}
}

// TestReadersKeepTheirVersion: a reader's handle stays open across a swap and
// the old model closes on its last release; warm versions stay open.
func TestReadersKeepTheirVersion(t *testing.T) {
	e := newEnv(t)
	s := e.settings()
	s.Warm = 1
	reg := e.registry(s)
	for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
		e.register(reg, "m", v, "text "+v)
	}
	_ = reg.Activate(t.Context(), "m", "1.0.0", registry.Change{})
	h1, err := reg.Resolve("m")
	if err != nil {
		t.Fatal(err)
	}
	m1 := h1.Model()
	_ = reg.Activate(t.Context(), "m", "2.0.0", registry.Change{})
	_ = reg.Activate(t.Context(), "m", "3.0.0", registry.Change{}) // 1.0.0 leaves the warm list
	if m1.closed.Load() != 0 || h1.Version() != "1.0.0" || h1.Digest() == "" {
		t.Fatal("model closed while a reader holds it")
	}
	h1.Release()
	if m1.closed.Load() != 1 {
		t.Error("model not closed after its last reader")
	}
	h3, _ := reg.Resolve("m")
	if h3.Model().text != "text 3.0.0" {
		t.Errorf("serving %q", h3.Model().text)
	}
	h3.Release()
	defer func() {
		if recover() == nil {
			t.Error("releasing twice did not panic")
		}
	}()
	h1.Release()
}

// faultyStore fails every Put from the failAt-th on (counting from 1).
type faultyStore struct {
	registry.Store
	puts   atomic.Int64
	failAt atomic.Int64
}

func (s *faultyStore) Put(ctx context.Context, m registry.Model, prev uint64) error {
	n := s.puts.Add(1)
	if f := s.failAt.Load(); f > 0 && n >= f {
		return errors.New("disk full")
	}
	return s.Store.Put(ctx, m, prev)
}

// TestCrashDuringActivation fails the store at each write of an activation,
// then of a rollback, and reopens: the state is consistent, the active alias
// names a version whose last check passed, and it loads.
func TestCrashDuringActivation(t *testing.T) {
	for _, op := range []string{"activate", "rollback"} {
		for step := int64(1); step <= 3; step++ {
			t.Run(fmt.Sprintf("%s/write%d", op, step), func(t *testing.T) {
				e := newEnv(t)
				path := filepath.Join(t.TempDir(), "registry.json")
				fs, err := registry.OpenFileStore(path)
				if err != nil {
					t.Fatal(err)
				}
				store := &faultyStore{Store: fs}
				s := e.settings()
				s.Store = store
				reg := e.registry(s)
				e.register(reg, "m", "1.0.0", "one")
				e.register(reg, "m", "2.0.0", "two")
				if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}); err != nil {
					t.Fatal(err)
				}
				if op == "rollback" {
					if err := reg.Activate(t.Context(), "m", "2.0.0", registry.Change{}); err != nil {
						t.Fatal(err)
					}
				}
				store.failAt.Store(store.puts.Load() + step)
				before := serving(t, reg, "m")
				if op == "activate" {
					err = reg.Activate(t.Context(), "m", "2.0.0", registry.Change{})
				} else {
					_, err = reg.Rollback(t.Context(), "m", "", registry.Change{})
				}
				now := serving(t, reg, "m")
				if err != nil && now != before {
					t.Errorf("failed %s switched from %s to %s", op, before, now)
				}
				reg.Close()

				fs2, err := registry.OpenFileStore(path)
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
				s.Store = fs2
				reg2 := e.registry(s)
				m, err := reg2.Model("m")
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Validate(); err != nil {
					t.Fatal(err)
				}
				active := m.Aliases[registry.ActiveAlias]
				if err == nil && active != now {
					t.Errorf("reopened active %s, but %s was serving", active, now)
				}
				for _, v := range m.Versions {
					if v.Version == active && (v.LastCheck == nil || !v.LastCheck.Passed) {
						t.Errorf("active %s has no passing check", active)
					}
				}
				if err := reg2.LoadActive(t.Context()); err != nil {
					t.Fatal(err)
				}
				if got := serving(t, reg2, "m"); got != active {
					t.Errorf("after LoadActive serving %s, want %s", got, active)
				}
			})
		}
	}
}

func TestLoadActive(t *testing.T) {
	e := newEnv(t)
	store := &registry.MemoryStore{}
	s := e.settings()
	s.Store = store
	reg := e.registry(s)
	e.register(reg, "a", "1.0.0", "one")
	e.register(reg, "b", "1.0.0", "one")
	e.register(reg, "c", "1.0.0", "never activated")
	for _, m := range []string{"a", "b"} {
		if err := reg.Activate(t.Context(), m, "1.0.0", registry.Change{}); err != nil {
			t.Fatal(err)
		}
	}
	reg.Close()
	e.write("b-1.0.0.txt", "tampered")

	reg2 := e.registry(s)
	sub := reg2.Subscribe(16)
	err := reg2.LoadActive(t.Context())
	if !errors.Is(err, registry.ErrDigestMismatch) {
		t.Errorf("LoadActive: %v", err)
	}
	if got := serving(t, reg2, "a"); got != "1.0.0" {
		t.Errorf("a: %s", got)
	}
	if got := serving(t, reg2, "b"); got != registry.ErrNotActive.Error() {
		t.Errorf("b: %s", got)
	}
	if err := reg2.LoadActive(t.Context()); !errors.Is(err, registry.ErrDigestMismatch) {
		t.Errorf("second LoadActive: %v", err)
	}
	m, _ := reg2.Model("b")
	if c := m.Versions[0].LastCheck; c.Passed || c.Step != "verify" {
		t.Errorf("failure not recorded: %+v", c)
	}
	if diff := cmp.Diff([]string{"verified 1.0.0", "checked 1.0.0", "activated 1.0.0", "failed 1.0.0 verify", "failed 1.0.0 verify"}, kinds(sub)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestLoadActiveStoreFailure(t *testing.T) {
	e := newEnv(t)
	store := &faultyStore{Store: &registry.MemoryStore{}}
	s := e.settings()
	s.Store = store
	reg := e.registry(s)
	e.register(reg, "a", "1.0.0", "one")
	if err := reg.Activate(t.Context(), "a", "1.0.0", registry.Change{}); err != nil {
		t.Fatal(err)
	}
	reg.Close()
	reg2 := e.registry(s)
	store.failAt.Store(1)
	if err := reg2.LoadActive(t.Context()); err == nil {
		t.Error("LoadActive with a failing store: nil error")
	}
	if got := serving(t, reg2, "a"); got != registry.ErrNotActive.Error() {
		t.Errorf("serving %s", got)
	}
	// A failing store also stops registration and activation cleanly.
	e.write("x.txt", "x")
	if _, err := reg2.Register(t.Context(), registry.Registration{Model: "a", Version: "2.0.0", Artifact: "x.txt"}); err == nil {
		t.Error("Register with a failing store: nil error")
	}
	if err := reg2.Activate(t.Context(), "a", "1.0.0", registry.Change{}); err == nil {
		t.Error("Activate with a failing store: nil error")
	}
}

// TestSharedStore: two registries over one store, as two replicas would be.
// A stale replica refreshes on the store's conflict.
func TestSharedStore(t *testing.T) {
	e := newEnv(t)
	store := &registry.MemoryStore{}
	s := e.settings()
	s.Store = store
	a := e.registry(s)
	e.register(a, "m", "1.0.0", "one")
	b := e.registry(s) // sees 1.0.0
	e.register(a, "m", "2.0.0", "two")
	e.register(b, "m", "3.0.0", "three") // b is stale: refreshes, then writes
	ma, _ := a.Model("m")
	if _, err := a.SetAlias(t.Context(), registry.AliasChange{Model: "m", Alias: "p", Version: "1.0.0", Generation: ma.Generation}); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("a's SetAlias after b's write: %v", err)
	}
	mb, _ := b.Model("m")
	if len(mb.Versions) != 3 {
		t.Errorf("b sees %d versions", len(mb.Versions))
	}
	if _, err := b.SetAlias(t.Context(), registry.AliasChange{Model: "m", Alias: "p", Version: "1.0.0", Generation: mb.Generation}); err != nil {
		t.Error(err)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	mk := func(model, version string, tags ...string) registry.Version {
		art := model + "-" + version
		e.write(art, art)
		v, err := reg.Register(t.Context(), registry.Registration{Model: model, Version: version, Artifact: art, Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := mk("size", "1.0.0", "eu")
	mk("size", "1.1.0-beta", "eu", "beta")
	mk("size", "2.0.0", "us")
	mk("style", "0.9.0")
	mk("sizer", "build-10")
	mk("sizer", "build-9")
	_ = reg.Activate(t.Context(), "size", "1.0.0", registry.Change{})
	m, _ := reg.Model("size")
	_, _ = reg.SetAlias(t.Context(), registry.AliasChange{Model: "size", Alias: "canary", Version: "2.0.0", Generation: m.Generation})
	c := func(s string) registry.Constraint {
		c, err := registry.ParseConstraint(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		q    registry.Query
		want []string
	}{
		{"all", registry.Query{}, []string{"size 2.0.0", "size 1.1.0-beta", "size 1.0.0", "sizer build-10", "sizer build-9", "style 0.9.0"}},
		{"prefix", registry.Query{NamePrefix: "size"}, []string{"size 2.0.0", "size 1.1.0-beta", "size 1.0.0", "sizer build-10", "sizer build-9"}},
		{"tags", registry.Query{Tags: []string{"eu", "beta"}}, []string{"size 1.1.0-beta"}},
		{"alias", registry.Query{Alias: "canary"}, []string{"size 2.0.0"}},
		{"active", registry.Query{State: registry.StateActive}, []string{"size 1.0.0"}},
		{"registered", registry.Query{State: registry.StateRegistered, NamePrefix: "size"}, []string{"size 2.0.0", "size 1.1.0-beta", "sizer build-10", "sizer build-9"}},
		{"constraint", registry.Query{Constraint: c("^1.0")}, []string{"size 1.0.0"}},
		{"constraint with pre-release", registry.Query{Constraint: c(">=1.1.0-alpha <2")}, []string{"size 1.1.0-beta"}},
		{"limit", registry.Query{Limit: 2}, []string{"size 2.0.0", "size 1.1.0-beta"}},
		{"after", registry.Query{After: first.RegisteredAt.Add(time.Hour)}, nil},
		{"before", registry.Query{Before: first.RegisteredAt}, nil},
		{"window", registry.Query{After: first.RegisteredAt, Before: first.RegisteredAt.Add(time.Hour), NamePrefix: "style"}, []string{"style 0.9.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range reg.Search(tt.q) {
				got = append(got, v.Model+" "+v.Version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCloseAndSubscriptions(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	small := reg.Subscribe(1)
	gone := reg.Subscribe(1)
	gone.Close()
	gone.Close()
	if _, ok := <-gone.C(); ok {
		t.Error("closed subscription delivered")
	}
	e.register(reg, "m", "1.0.0", "one")
	e.register(reg, "m", "2.0.0", "close-error")
	_ = reg.Activate(t.Context(), "m", "2.0.0", registry.Change{})
	h, _ := reg.Resolve("m")
	if small.Dropped() == 0 {
		t.Error("full buffer did not count drops")
	}
	if err := reg.Close(); err != nil {
		t.Errorf("Close with a reader holding the model: %v", err)
	}
	if err := reg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if h.Model().closed.Load() != 0 {
		t.Error("Close closed a model a reader holds")
	}
	h.Release()
	if h.Model().closed.Load() != 1 {
		t.Error("model not closed after the last reader")
	}
	n := 0
	for range small.C() {
		n++
	}
	if n != 1 {
		t.Errorf("buffered events: %d", n)
	}
	if _, ok := <-reg.Subscribe(1).C(); ok {
		t.Error("subscription after Close delivered")
	}
	if got := serving(t, reg, "m"); got != registry.ErrNotActive.Error() {
		t.Errorf("after Close: %s", got)
	}
	if _, err := reg.Resolve("zz"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Resolve unknown: %v", err)
	}
	for name, err := range map[string]error{
		"Register": func() error { _, err := reg.Register(t.Context(), registry.Registration{}); return err }(),
		"SetAlias": func() error { _, err := reg.SetAlias(t.Context(), registry.AliasChange{}); return err }(),
		"Activate": reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}),
		"Rollback": func() error { _, err := reg.Rollback(t.Context(), "m", "", registry.Change{}); return err }(),
	} {
		if !errors.Is(err, registry.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

func TestCloseReportsModelCloseErrors(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	s := e.settings()
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	reg := e.registry(s)
	e.register(reg, "m", "1.0.0", "close-error")
	_ = reg.Activate(t.Context(), "m", "1.0.0", registry.Change{})
	if err := reg.Close(); err == nil {
		t.Error("Close: nil error from a failing model Close")
	}
	if !strings.Contains(logs.String(), "closing model") {
		t.Errorf("close failure not logged: %q", logs.String())
	}
}
