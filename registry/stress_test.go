package registry_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/devskyy/devskyy/registry"
)

// TestResolveDuringSwaps: readers resolve continuously while versions are
// activated and rolled back. No reader ever sees a closed model, and after
// Close every loaded model has been closed exactly once.
func TestResolveDuringSwaps(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var loaded []*testModel
	s := e.settings()
	s.Loader = registry.LoaderFunc[*testModel](func(ctx context.Context, root *os.Root, v registry.Version) (*testModel, error) {
		m, err := e.load(ctx, root, v)
		if err == nil {
			mu.Lock()
			loaded = append(loaded, m)
			mu.Unlock()
		}
		return m, err
	})
	reg, err := registry.New(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
		e.register(reg, "m", v, "text "+v)
	}
	if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var bad atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				h, err := reg.Resolve("m")
				if err != nil {
					bad.Add(1)
					return
				}
				if h.Model().closed.Load() != 0 || h.Model().version != h.Version() {
					bad.Add(1)
				}
				h.Release()
			}
		})
	}
	for i := range 60 {
		var err error
		switch i % 3 {
		case 0:
			err = reg.Activate(t.Context(), "m", []string{"2.0.0", "3.0.0"}[i%2], registry.Change{})
		case 1:
			_, err = reg.Rollback(t.Context(), "m", "", registry.Change{})
		default:
			_, err = reg.Rollback(t.Context(), "m", "1.0.0", registry.Change{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d resolves saw a closed or mismatched model", n)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range loaded {
		if n := m.closed.Load(); n != 1 {
			t.Errorf("model %s closed %d times", m.version, n)
		}
	}
}
