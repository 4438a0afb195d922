package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devskyy/devskyy/registry"
)

// testModel is a loaded artifact: its text, and whether it was closed.
type testModel struct {
	version string
	text    string
	closed  atomic.Int32
}

func (m *testModel) Close() error {
	if m.closed.Add(1) != 1 {
		return errors.New("closed twice")
	}
	if strings.Contains(m.text, "close-error") {
		return errors.New("close failed")
	}
	return nil
}

// env is a temporary artifact root and a counting loader.
type env struct {
	t     *testing.T
	dir   string
	root  *os.Root
	loads atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &env{t: t, dir: dir, root: root}
}

// write creates a file under the root.
func (e *env) write(name, text string) {
	e.t.Helper()
	p := filepath.Join(e.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// load reads the artifact; text "load-error" fails the load.
func (e *env) load(ctx context.Context, root *os.Root, v registry.Version) (*testModel, error) {
	e.loads.Add(1)
	if fi, err := root.Stat(v.Artifact); err == nil && fi.IsDir() {
		return &testModel{version: v.Version, text: "directory"}, nil
	}
	b, err := root.ReadFile(v.Artifact)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(b), "load-error") {
		return nil, errors.New("cannot parse")
	}
	return &testModel{version: v.Version, text: string(b)}, nil
}

// check fails models whose text contains "unhealthy".
func check(ctx context.Context, m *testModel) error {
	if strings.Contains(m.text, "unhealthy") {
		return errors.New("bad answers")
	}
	return nil
}

func (e *env) settings() registry.Settings[*testModel] {
	return registry.Settings[*testModel]{
		Root:   e.root,
		Loader: registry.LoaderFunc[*testModel](e.load),
		Check:  check,
	}
}

func (e *env) registry(s registry.Settings[*testModel]) *registry.Registry[*testModel] {
	e.t.Helper()
	reg, err := registry.New(context.Background(), s)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { reg.Close() })
	return reg
}

// register writes an artifact "<model>-<version>.txt" with text and
// registers it.
func (e *env) register(reg *registry.Registry[*testModel], model, version, text string) registry.Version {
	e.t.Helper()
	art := model + "-" + version + ".txt"
	e.write(art, text)
	v, err := reg.Register(context.Background(), registry.Registration{Model: model, Version: version, Artifact: art})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// serving returns the version Resolve yields, or the error text.
func serving(t *testing.T, reg *registry.Registry[*testModel], model string) string {
	t.Helper()
	h, err := reg.Resolve(model)
	if err != nil {
		return err.Error()
	}
	defer h.Release()
	if h.Model().closed.Load() != 0 {
		t.Errorf("Resolve returned a closed model %s", h.Version())
	}
	return h.Version()
}
