package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/devskyy/devskyy/registry"
)

// textModel is a model whose content is the artifact's text.
type textModel struct{ text string }

func (m *textModel) Close() error { return nil }

func loadText(ctx context.Context, root *os.Root, v registry.Version) (*textModel, error) {
	b, err := root.ReadFile(v.Artifact)
	if err != nil {
		return nil, err
	}
	return &textModel{text: strings.TrimSpace(string(b))}, nil
}

// newExampleRegistry writes artifacts into a temporary root and returns a
// registry over it, with a health check that rejects the text "broken".
func newExampleRegistry(files map[string]string) (*registry.Registry[*textModel], func()) {
	dir, _ := os.MkdirTemp("", "registry-example")
	for name, text := range files {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600)
	}
	root, _ := os.OpenRoot(dir)
	reg, _ := registry.New(context.Background(), registry.Settings[*textModel]{
		Root:   root,
		Loader: registry.LoaderFunc[*textModel](loadText),
		Check: func(ctx context.Context, m *textModel) error {
			if m.text == "broken" {
				return errors.New("model answers nonsense")
			}
			return nil
		},
	})
	return reg, func() { reg.Close(); root.Close(); os.RemoveAll(dir) }
}

func Example() {
	reg, cleanup := newExampleRegistry(map[string]string{"v1.txt": "hello v1", "v2.txt": "hello v2"})
	defer cleanup()
	ctx := context.Background()

	// Register computes each artifact's digest.
	for _, v := range []string{"1.0.0", "2.0.0"} {
		ver, err := reg.Register(ctx, registry.Registration{Model: "greeter", Version: v, Artifact: "v" + v[:1] + ".txt"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ver.Version, ver.Digest[:15])
	}

	// Activate verifies, loads and health-checks before switching.
	_ = reg.Activate(ctx, "greeter", "1.0.0", registry.Change{Who: "ana", Why: "launch"})
	_ = reg.Activate(ctx, "greeter", "2.0.0", registry.Change{Who: "ana", Why: "upgrade"})

	// Resolve is what every request does.
	h, _ := reg.Resolve("greeter")
	fmt.Println("serving", h.Version(), h.Model().text)
	h.Release()

	// Roll back to the warm previous version: a pointer swap.
	to, _ := reg.Rollback(ctx, "greeter", "", registry.Change{Who: "bo", Why: "v2 answers slowly"})
	h, _ = reg.Resolve("greeter")
	fmt.Println("rolled back to", to, h.Model().text)
	h.Release()

	m, _ := reg.Model("greeter")
	for _, mv := range m.History {
		fmt.Printf("%s: %q -> %q by %s (%s)\n", mv.Alias, mv.From, mv.To, mv.Who, mv.Why)
	}
	// Output:
	// 1.0.0 sha256:d461299c
	// 2.0.0 sha256:c6b8a0e8
	// serving 2.0.0 hello v2
	// rolled back to 1.0.0 hello v1
	// active: "" -> "1.0.0" by ana (launch)
	// active: "1.0.0" -> "2.0.0" by ana (upgrade)
	// active: "2.0.0" -> "1.0.0" by bo (v2 answers slowly)
}

func ExampleRegistry_Activate() {
	reg, cleanup := newExampleRegistry(map[string]string{"good.txt": "fine", "bad.txt": "broken"})
	defer cleanup()
	ctx := context.Background()
	_, _ = reg.Register(ctx, registry.Registration{Model: "m", Version: "1.0.0", Artifact: "good.txt"})
	_, _ = reg.Register(ctx, registry.Registration{Model: "m", Version: "1.1.0", Artifact: "bad.txt"})
	_ = reg.Activate(ctx, "m", "1.0.0", registry.Change{Who: "ci"})

	err := reg.Activate(ctx, "m", "1.1.0", registry.Change{Who: "ci"})
	fmt.Println(errors.Is(err, registry.ErrUnhealthy))

	h, _ := reg.Resolve("m")
	defer h.Release()
	fmt.Println("still serving", h.Version())
	latest, _ := reg.LatestHealthy("m")
	fmt.Println("latest healthy", latest.Version)
	// Output:
	// true
	// still serving 1.0.0
	// latest healthy 1.0.0
}

func ExampleRegistry_SetAlias() {
	reg, cleanup := newExampleRegistry(map[string]string{"a.txt": "a", "b.txt": "b"})
	defer cleanup()
	ctx := context.Background()
	_, _ = reg.Register(ctx, registry.Registration{Model: "m", Version: "1.0.0", Artifact: "a.txt"})
	_, _ = reg.Register(ctx, registry.Registration{Model: "m", Version: "1.1.0", Artifact: "b.txt"})

	gen, _ := reg.Generation("m")
	// Two writers read the same generation; the second one loses.
	_, err1 := reg.SetAlias(ctx, registry.AliasChange{Model: "m", Alias: "canary", Version: "1.1.0", Generation: gen, Change: registry.Change{Who: "ana"}})
	_, err2 := reg.SetAlias(ctx, registry.AliasChange{Model: "m", Alias: "canary", Version: "1.0.0", Generation: gen, Change: registry.Change{Who: "bo"}})
	fmt.Println(err1, errors.Is(err2, registry.ErrConflict))
	m, _ := reg.Model("m")
	fmt.Println(m.Aliases["canary"])
	// Output:
	// <nil> true
	// 1.1.0
}

func ExampleRegistry_Subscribe() {
	reg, cleanup := newExampleRegistry(map[string]string{"a.txt": "a"})
	defer cleanup()
	ctx := context.Background()
	// A host forwards events to its ledger; here they are printed.
	sub := reg.Subscribe(16)
	_, _ = reg.Register(ctx, registry.Registration{Model: "m", Version: "1.0.0", Artifact: "a.txt", Who: "ci"})
	_ = reg.Activate(ctx, "m", "1.0.0", registry.Change{Who: "ci", Why: "release"})
	sub.Close()
	for ev := range sub.C() {
		fmt.Println(ev.Kind, ev.Model, ev.Version, ev.Who)
	}
	// Output:
	// registered m 1.0.0 ci
	// verified m 1.0.0 ci
	// checked m 1.0.0 ci
	// activated m 1.0.0 ci
}

func ExampleRegistry_Search() {
	reg, cleanup := newExampleRegistry(map[string]string{"a.txt": "a"})
	defer cleanup()
	ctx := context.Background()
	for _, v := range []string{"1.0.0", "1.2.0-rc.1", "1.2.0", "2.0.0"} {
		_, _ = reg.Register(ctx, registry.Registration{Model: "size", Version: v, Artifact: "a.txt", Tags: []string{"eu"}})
	}
	c, _ := registry.ParseConstraint("^1.0")
	for _, v := range reg.Search(registry.Query{NamePrefix: "si", Tags: []string{"eu"}, Constraint: c}) {
		fmt.Println(v.Version, v.State)
	}
	// Output:
	// 1.2.0 registered
	// 1.0.0 registered
}

func ExampleCompareVersions() {
	fmt.Println(registry.CompareVersions("1.0.0-rc.1", "1.0.0"))
	fmt.Println(registry.CompareVersions("1.10.0", "1.9.0"))
	fmt.Println(registry.CompareVersions("nightly", "0.0.1"))
	// Output:
	// -1
	// 1
	// -1
}
