package registry_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/devskyy/devskyy/registry"
)

// benchRegistry returns a registry with model "m" at 1.0.0 then 2.0.0
// active, 1.0.0 warm.
func benchRegistry(b *testing.B, store registry.Store) (*registry.Registry[*testModel], func()) {
	b.Helper()
	dir := b.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	e := &env{dir: dir, root: root}
	reg, err := registry.New(b.Context(), registry.Settings[*testModel]{
		Root: root, Loader: registry.LoaderFunc[*testModel](e.load), Check: check, Store: store,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "2.0.0"} {
		if err := os.WriteFile(filepath.Join(dir, v), []byte(v), 0o600); err != nil {
			b.Fatal(err)
		}
		if _, err := reg.Register(b.Context(), registry.Registration{Model: "m", Version: v, Artifact: v}); err != nil {
			b.Fatal(err)
		}
		if err := reg.Activate(b.Context(), "m", v, registry.Change{}); err != nil {
			b.Fatal(err)
		}
	}
	return reg, func() { reg.Close(); root.Close() }
}

func BenchmarkResolve(b *testing.B) {
	reg, done := benchRegistry(b, nil)
	defer done()
	b.ReportAllocs()
	for b.Loop() {
		h, err := reg.Resolve("m")
		if err != nil {
			b.Fatal(err)
		}
		h.Release()
	}
}

// BenchmarkResolveFloor is the least any reference-counted resolve can do
// (a map lookup and two atomic adds), for reading BenchmarkResolve on a
// busy machine.
func BenchmarkResolveFloor(b *testing.B) {
	refs := map[string]*atomic.Int64{"m": new(atomic.Int64)}
	for b.Loop() {
		r := refs["m"]
		if r.Add(1) > 0 {
			r.Add(-1)
		}
	}
}

func BenchmarkResolveParallel(b *testing.B) {
	reg, done := benchRegistry(b, nil)
	defer done()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h, err := reg.Resolve("m")
			if err != nil {
				b.Error(err)
				return
			}
			h.Release()
		}
	})
}

// BenchmarkRollbackWarm measures a rollback to the warm previous version:
// one store write of the alias move plus a pointer swap. The registry is
// rebuilt every 256 rollbacks (outside the timer) so that the alias history,
// which every write copies, stays at a realistic length.
func BenchmarkRollbackWarm(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(b *testing.B) registry.Store
	}{
		{"memory", func(*testing.B) registry.Store { return &registry.MemoryStore{} }},
		{"file", func(b *testing.B) registry.Store {
			s, err := registry.OpenFileStore(filepath.Join(b.TempDir(), "r.json"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			reg, done := benchRegistry(b, tc.store(b))
			n := 0
			for b.Loop() {
				if n++; n%256 == 0 {
					b.StopTimer()
					done()
					reg, done = benchRegistry(b, tc.store(b))
					b.StartTimer()
				}
				if _, err := reg.Rollback(b.Context(), "m", "", registry.Change{Who: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
			done()
		})
	}
}

// BenchmarkVerify hashes a 16 MiB artifact, as activation does before load.
func BenchmarkVerify(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "art"), 0o755); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(dir, "art", "weights.bin"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := registry.BuildManifest(root, "art"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFloor hashes the same 16 MiB from memory: the ceiling
// BenchmarkVerify can reach on this machine.
func BenchmarkVerifyFloor(b *testing.B) {
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = sha256.Sum256(data)
	}
}
