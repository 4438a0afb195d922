package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestNewValidatesSettings(t *testing.T) {
	e := newEnv(t)
	good := e.settings()
	tests := []struct {
		name   string
		modify func(*registry.Settings[*testModel])
	}{
		{"no root", func(s *registry.Settings[*testModel]) { s.Root = nil }},
		{"no loader", func(s *registry.Settings[*testModel]) { s.Loader = nil }},
		{"negative timeout", func(s *registry.Settings[*testModel]) { s.CheckTimeout = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.modify(&s)
			if _, err := registry.New(t.Context(), s); !errors.Is(err, registry.ErrInvalid) {
				t.Errorf("New: got %v, want ErrInvalid", err)
			}
		})
	}
	s := good
	s.Store = &failingLoadStore{}
	if _, err := registry.New(t.Context(), s); err == nil {
		t.Error("New with a failing store: got nil error")
	}
}

type failingLoadStore struct{ registry.MemoryStore }

func (*failingLoadStore) Load(ctx context.Context) ([]registry.Model, error) {
	return nil, errors.New("down")
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.write("file.bin", "weights")
	e.write("dir/a.json", "{}")
	e.write("dir/sub/b.bin", "bb")
	e.write("linkdir/x", "x")
	if err := os.Symlink(filepath.Join(e.dir, "file.bin"), filepath.Join(e.dir, "linkdir", "l")); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(e.dir, "escape")); err != nil {
		t.Fatal(err)
	}
	manifest, err := registry.BuildManifest(e.root, "dir")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		r          registry.Registration
		wantDigest string
		wantSize   int64
		wantErr    error
	}{
		{"file", registry.Registration{Model: "m", Version: "1.0.0", Artifact: "file.bin", Tags: []string{"b", "a", "b"}}, sha("weights"), 7, nil},
		{"same again", registry.Registration{Model: "m", Version: "1.0.0", Artifact: "file.bin", Tags: []string{"a", "b"}}, sha("weights"), 7, nil},
		{"directory", registry.Registration{Model: "m", Version: "2.0.0", Artifact: "dir", Metadata: map[string]string{"k": "v"}}, manifest.Digest(), 4, nil},
		{"other content", registry.Registration{Model: "m", Version: "1.0.0", Artifact: "dir"}, "", 0, registry.ErrImmutable},
		{"other tags", registry.Registration{Model: "m", Version: "1.0.0", Artifact: "file.bin"}, "", 0, registry.ErrImmutable},
		{"dot-dot", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "../x"}, "", 0, registry.ErrInvalidArtifact},
		{"absolute", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "/etc/passwd"}, "", 0, registry.ErrInvalidArtifact},
		{"symlink escaping the root", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "escape"}, "", 0, registry.ErrInvalidArtifact},
		{"symlink inside a directory", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "linkdir"}, "", 0, registry.ErrInvalidArtifact},
		{"missing", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "nope"}, "", 0, registry.ErrInvalidArtifact},
		{"bad model name", registry.Registration{Model: "-m", Version: "3.0.0", Artifact: "file.bin"}, "", 0, registry.ErrInvalid},
		{"bad version", registry.Registration{Model: "m", Version: "1 0", Artifact: "file.bin"}, "", 0, registry.ErrInvalid},
		{"bad tag", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "file.bin", Tags: []string{"a b"}}, "", 0, registry.ErrInvalid},
		{"bad metadata key", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "file.bin", Metadata: map[string]string{"": "v"}}, "", 0, registry.ErrInvalid},
		{"too much metadata", registry.Registration{Model: "m", Version: "3.0.0", Artifact: "file.bin", Metadata: bigMap(65)}, "", 0, registry.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := reg.Register(t.Context(), tt.r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Register: got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff([]any{tt.wantDigest, tt.wantSize, tt.r.Artifact}, []any{v.Digest, v.Size, v.Artifact}); diff != "" {
				t.Errorf("Register (-want +got):\n%s", diff)
			}
		})
	}
	m, err := reg.Model("m")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, v := range m.Versions {
		got = append(got, fmt.Sprint(v.Version, v.Tags, v.State))
	}
	if diff := cmp.Diff([]string{"1.0.0[a b]registered", "2.0.0[]registered"}, got); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if _, err := reg.Model("nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Model(nope): %v", err)
	}
	if _, err := reg.Generation("nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Generation(nope): %v", err)
	}
	// A failed first registration leaves an entry with no record.
	if _, err := reg.Register(t.Context(), registry.Registration{Model: "ghost", Version: "1", Artifact: "nope"}); err == nil {
		t.Fatal("registered a missing artifact")
	}
	if _, err := reg.Generation("ghost"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Generation(ghost): %v", err)
	}
}

func bigMap(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprint(i)] = ""
	}
	return m
}

func TestSetAlias(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.register(reg, "m", "1.0.0", "one")
	e.register(reg, "m", "2.0.0", "two")
	m, _ := reg.Model("m")
	gen := m.Generation
	sub := reg.Subscribe(8)
	steps := []struct {
		name    string
		c       registry.AliasChange
		wantErr error
	}{
		{"create", registry.AliasChange{Model: "m", Alias: "production", Version: "1.0.0", Change: registry.Change{Who: "ana", Why: "launch"}}, nil},
		{"stale generation", registry.AliasChange{Model: "m", Alias: "production", Version: "2.0.0", Generation: 1}, registry.ErrConflict},
		{"move", registry.AliasChange{Model: "m", Alias: "production", Version: "2.0.0", Change: registry.Change{Who: "bo", Why: "upgrade"}}, nil},
		{"no-op", registry.AliasChange{Model: "m", Alias: "production", Version: "2.0.0"}, nil},
		{"canary", registry.AliasChange{Model: "m", Alias: "canary", Version: "1.0.0"}, nil},
		{"remove", registry.AliasChange{Model: "m", Alias: "canary", Version: "", Change: registry.Change{Who: "cy"}}, nil},
		{"reserved", registry.AliasChange{Model: "m", Alias: registry.ActiveAlias, Version: "1.0.0"}, registry.ErrInvalid},
		{"bad alias", registry.AliasChange{Model: "m", Alias: "a b", Version: "1.0.0"}, registry.ErrInvalid},
		{"unknown version", registry.AliasChange{Model: "m", Alias: "x", Version: "9.0.0"}, registry.ErrNotFound},
		{"unknown model", registry.AliasChange{Model: "zz", Alias: "x", Version: "9.0.0"}, registry.ErrNotFound},
	}
	for _, s := range steps {
		if s.c.Generation == 0 {
			s.c.Generation = gen
		}
		got, err := reg.SetAlias(t.Context(), s.c)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.wantErr)
		}
		if err == nil {
			gen = got
		}
	}
	m, _ = reg.Model("m")
	want := []registry.AliasMove{
		{Alias: "production", To: "1.0.0", Who: "ana", Why: "launch", Generation: 3},
		{Alias: "production", From: "1.0.0", To: "2.0.0", Who: "bo", Why: "upgrade", Generation: 4},
		{Alias: "canary", To: "1.0.0", Generation: 5},
		{Alias: "canary", From: "1.0.0", Who: "cy", Generation: 6},
	}
	if diff := cmp.Diff(want, m.History, cmpopts.IgnoreFields(registry.AliasMove{}, "At")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"production": "2.0.0"}, m.Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if ev := <-sub.C(); ev.Kind != registry.EventAliasMoved || ev.Alias != "production" || ev.Who != "ana" {
		t.Errorf("first event: %+v", ev)
	}
}

// TestConcurrentRegisterAndAlias: 100 goroutines each register a version and
// move "production" to it with compare-and-set and retries. Every version
// exists, and the history is an unbroken chain of 100 moves: none lost.
func TestConcurrentRegisterAndAlias(t *testing.T) {
	e := newEnv(t)
	e.write("art.txt", "shared")
	reg := e.registry(e.settings())
	const n = 100
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			v := fmt.Sprintf("1.0.%d", i)
			if _, err := reg.Register(t.Context(), registry.Registration{Model: "m", Version: v, Artifact: "art.txt"}); err != nil {
				errs[i] = err
				return
			}
			for {
				gen, err := reg.Generation("m")
				if err != nil {
					errs[i] = err
					return
				}
				_, err = reg.SetAlias(t.Context(), registry.AliasChange{Model: "m", Alias: "production", Version: v, Generation: gen, Change: registry.Change{Who: v}})
				if errors.Is(err, registry.ErrConflict) {
					continue
				}
				errs[i] = err
				return
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	m, _ := reg.Model("m")
	if len(m.Versions) != n || len(m.History) != n {
		t.Fatalf("got %d versions and %d moves, want %d each", len(m.Versions), len(m.History), n)
	}
	prev := ""
	var tos []string
	for _, mv := range m.History {
		if mv.From != prev {
			t.Fatalf("move %+v does not follow %q: an update was lost", mv, prev)
		}
		prev = mv.To
		tos = append(tos, mv.To)
	}
	slices.SortFunc(tos, registry.CompareVersions)
	var want []string
	for _, v := range m.Versions {
		want = append(want, v.Version)
	}
	if diff := cmp.Diff(want, tos); diff != "" {
		t.Errorf("alias targets (-want +got):\n%s", diff)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}
