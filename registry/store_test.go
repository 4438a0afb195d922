package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/devskyy/devskyy/registry/registrytest"
	"github.com/google/go-cmp/cmp"
)

func TestStoresConform(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		registrytest.Run(t, registrytest.Harness{New: func(testing.TB) registry.Store { return &registry.MemoryStore{} }})
	})
	t.Run("file", func(t *testing.T) {
		registrytest.Run(t, registrytest.Harness{
			New: func(t testing.TB) registry.Store {
				s, err := registry.OpenFileStore(filepath.Join(t.TempDir(), "r.json"))
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			Reopen: func(t testing.TB, s registry.Store) registry.Store {
				r, err := registry.OpenFileStore(s.(*registry.FileStore).Path())
				if err != nil {
					t.Fatal(err)
				}
				return r
			},
		})
	})
}

func TestFileStoreRejectsBadSnapshots(t *testing.T) {
	good := `{"format":"devskyy-registry-snapshot/1","models":[]}`
	tests := map[string]string{
		"not json":       "{",
		"unknown field":  `{"format":"devskyy-registry-snapshot/1","models":[],"x":1}`,
		"trailing data":  good + " {}",
		"unknown format": `{"format":"other","models":[]}`,
		"invalid model":  `{"format":"devskyy-registry-snapshot/1","models":[{"name":"m","generation":0,"versions":[]}]}`,
		"unsorted":       `{"format":"devskyy-registry-snapshot/1","models":[{"name":"b","generation":1,"versions":[]},{"name":"a","generation":1,"versions":[]}]}`,
	}
	for name, text := range tests {
		p := filepath.Join(t.TempDir(), "r.json")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := registry.OpenFileStore(p); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := registry.OpenFileStore(t.TempDir()); err == nil {
		t.Error("opening a directory as a snapshot: nil error")
	}
	p := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(p, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.OpenFileStore(p); err != nil {
		t.Errorf("empty snapshot: %v", err)
	}
}

func TestFileStoreWriteFailure(t *testing.T) {
	dir := t.TempDir()
	s, err := registry.OpenFileStore(filepath.Join(dir, "sub", "r.json")) // directory missing
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), registrytest.Record("m", 1), 0); err == nil {
		t.Fatal("Put into a missing directory: nil error")
	}
	if _, err := s.Get(t.Context(), "m"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("failed Put changed the store: %v", err)
	}
}

// TestFileStoreReopensRegistry: a registry over a file store reopens to
// exactly the same records.
func TestFileStoreReopensRegistry(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(t.TempDir(), "r.json")
	fs, _ := registry.OpenFileStore(p)
	s := e.settings()
	s.Store = fs
	reg := e.registry(s)
	e.register(reg, "m", "1.0.0", "one")
	e.register(reg, "m", "2.0.0", "unhealthy")
	e.register(reg, "plain", "1.0.0", "never activated")
	_ = reg.Activate(t.Context(), "m", "1.0.0", registry.Change{Who: "a", Why: "b"})
	_ = reg.Activate(t.Context(), "m", "2.0.0", registry.Change{})
	gen, _ := reg.Generation("m")
	gen, _ = reg.SetAlias(t.Context(), registry.AliasChange{Model: "m", Alias: "tmp", Version: "2.0.0", Generation: gen})
	_, _ = reg.SetAlias(t.Context(), registry.AliasChange{Model: "m", Alias: "tmp", Version: "", Generation: gen})
	want, _ := reg.Model("m")
	wantPlain, _ := reg.Model("plain")
	reg.Close()
	fs2, err := registry.OpenFileStore(p)
	if err != nil {
		t.Fatal(err)
	}
	s.Store = fs2
	reg2 := e.registry(s)
	got, _ := reg2.Model("m")
	gotPlain, _ := reg2.Model("plain")
	if diff := cmp.Diff([]registry.Model{want, wantPlain}, []registry.Model{got, gotPlain}); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
}

func TestStoresHonourContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	fs, _ := registry.OpenFileStore(filepath.Join(t.TempDir(), "r.json"))
	for _, s := range []registry.Store{&registry.MemoryStore{}, fs} {
		if _, err := s.Load(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Load: %v", err)
		}
		if _, err := s.Get(ctx, "m"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get: %v", err)
		}
		if err := s.Put(ctx, registrytest.Record("m", 1), 0); !errors.Is(err, context.Canceled) {
			t.Errorf("Put: %v", err)
		}
	}
}

func TestModelValidate(t *testing.T) {
	tests := map[string]func(*registry.Model){
		"name":              func(m *registry.Model) { m.Name = "" },
		"version model":     func(m *registry.Model) { m.Versions[0].Model = "x" },
		"version":           func(m *registry.Model) { m.Versions[0].Version = "" },
		"unsorted":          func(m *registry.Model) { m.Versions = append(m.Versions, m.Versions[0]) },
		"artifact":          func(m *registry.Model) { m.Versions[0].Artifact = "../x" },
		"size":              func(m *registry.Model) { m.Versions[0].Size = -1 },
		"tag":               func(m *registry.Model) { m.Versions[0].Tags = []string{""} },
		"metadata":          func(m *registry.Model) { m.Versions[0].Metadata = map[string]string{"": ""} },
		"history alias":     func(m *registry.Model) { m.History[0].Alias = "" },
		"history gen":       func(m *registry.Model) { m.History[0].Generation = 9 },
		"history from":      func(m *registry.Model) { m.History[0].From = "0.0.1" },
		"history version":   func(m *registry.Model) { m.History[0].To = "9.9.9"; m.Aliases["production"] = "9.9.9" },
		"alias not in hist": func(m *registry.Model) { m.Aliases["x"] = m.Versions[0].Version },
		"alias target":      func(m *registry.Model) { m.Aliases["production"] = "0.0.0" },
	}
	for name, modify := range tests {
		m := registrytest.Record("m", 1)
		modify(&m)
		if err := m.Validate(); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	m := registrytest.Record("m", 2)
	m.Generation = 3
	m.History = append(m.History, registry.AliasMove{Alias: "production", From: m.Versions[0].Version, Generation: 3})
	delete(m.Aliases, "production")
	if err := m.Validate(); err != nil {
		t.Errorf("removed alias: %v", err)
	}
}
