package registrytest_test

import (
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/devskyy/devskyy/registry/registrytest"
)

func TestMemoryStore(t *testing.T) {
	registrytest.Run(t, registrytest.Harness{
		New: func(t testing.TB) registry.Store { return &registry.MemoryStore{} },
	})
}

func TestFileStore(t *testing.T) {
	registrytest.Run(t, registrytest.Harness{
		New: func(t testing.TB) registry.Store {
			s, err := registry.OpenFileStore(filepath.Join(t.TempDir(), "registry.json"))
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
}
