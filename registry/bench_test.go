package registry_test

import (
	"crypto/sha256"
	"fmt"
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

// benchStores are the stores the write benchmarks run against: a fresh
// MemoryStore, and a fresh FileStore in a temporary directory.
var benchStores = []struct {
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
}

// benchWrites runs op(i) once per iteration against a registry from
// benchRegistry over each store, where i counts the operations run on that
// registry so far. The registry is rebuilt every 256
// operations (outside the timer) so that the model record, which every
// write copies, stays at a realistic length.
func benchWrites(b *testing.B, op func(b *testing.B, reg *registry.Registry[*testModel], n int)) {
	for _, tc := range benchStores {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			reg, done := benchRegistry(b, tc.store(b))
			i := 0
			for b.Loop() {
				if i == 256 {
					b.StopTimer()
					done()
					reg, done = benchRegistry(b, tc.store(b))
					b.StartTimer()
					i = 0
				}
				op(b, reg, i)
				i++
			}
			done()
		})
	}
}

// BenchmarkRollbackWarm measures a rollback to the warm previous version,
// in memory and on disk: one store write of the alias move plus a pointer
// swap. The FileStore's compaction, which one write in 1024 adds, is not in
// this loop (the registry is rebuilt every 256 writes);
// BenchmarkFileStoreCompact measures it.
func BenchmarkRollbackWarm(b *testing.B) {
	benchWrites(b, func(b *testing.B, reg *registry.Registry[*testModel], _ int) {
		if _, err := reg.Rollback(b.Context(), "m", "", registry.Change{Who: "bench"}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkFileStoreCompact measures a FileStore compaction (snapshot write,
// rename, journal truncation) of the bench registry's model after 256 warm
// rollbacks. The write that gives each compaction a journal record to fold
// in is outside the timer.
func BenchmarkFileStoreCompact(b *testing.B) {
	fs, err := registry.OpenFileStore(filepath.Join(b.TempDir(), "r.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	reg, done := benchRegistry(b, fs)
	defer done()
	for range 256 {
		if _, err := reg.Rollback(b.Context(), "m", "", registry.Change{Who: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if _, err := reg.Rollback(b.Context(), "m", "", registry.Change{Who: "bench"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := fs.Compact(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegister measures registering a new version of a 5-byte
// artifact: its digest plus one store write.
func BenchmarkRegister(b *testing.B) {
	benchWrites(b, func(b *testing.B, reg *registry.Registry[*testModel], i int) {
		r := registry.Registration{Model: "m", Version: fmt.Sprintf("3.0.%d", i), Artifact: "1.0.0"}
		if _, err := reg.Register(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkActivate measures a gated activation that alternates between two
// registered versions (starting from 1.0.0, as 2.0.0 is active): digest verification, load, health check and two
// store writes (the check result, then the alias move), plus the swap.
func BenchmarkActivate(b *testing.B) {
	benchWrites(b, func(b *testing.B, reg *registry.Registry[*testModel], i int) {
		v := []string{"1.0.0", "2.0.0"}[i%2]
		if err := reg.Activate(b.Context(), "m", v, registry.Change{Who: "bench"}); err != nil {
			b.Fatal(err)
		}
	})
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
