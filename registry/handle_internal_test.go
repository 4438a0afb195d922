package registry

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// cm is a model that counts its Close calls.
type cm struct{ closed atomic.Int32 }

func (m *cm) Close() error { m.closed.Add(1); return nil }

// deepRelease releases from a frame d calls deep, so that acquire and
// release usually land in different reference cells.
//
//go:noinline
func deepRelease(h *Handle[*cm], d int) {
	if d == 0 {
		h.release()
		return
	}
	deepRelease(h, d-1)
}

// TestHandleProtocolStress races readers (acquire, hold across a yield,
// release from another frame) against the registry dropping the handle, at
// a different moment each round. No reader may ever hold a closed model,
// and the model must be closed exactly once in the end: neither early nor
// never (a back-out or release that leaves nobody to close it).
func TestHandleProtocolStress(t *testing.T) {
	for round := 0; round < 2000; round++ {
		m := &cm{}
		h := newHandle[*cm](m, Version{Model: "m", Version: "1"}, nil)
		var bad atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Go(func() {
				for i := 0; i < 200; i++ {
					if !h.tryAcquire() {
						return
					}
					if m.closed.Load() != 0 {
						bad.Add(1)
					}
					runtime.Gosched()
					if m.closed.Load() != 0 {
						bad.Add(1)
					}
					deepRelease(h, i%5)
				}
			})
		}
		wg.Go(func() {
			for range round % 50 {
				runtime.Gosched()
			}
			_ = h.retire()
		})
		wg.Wait()
		if bad.Load() != 0 || m.closed.Load() != 1 {
			t.Fatalf("round %d: bad %d closed %d state %d readers %d", round, bad.Load(), m.closed.Load(), h.state.Load(), h.readers())
		}
	}
}

func TestHandleOverRelease(t *testing.T) {
	m := &cm{}
	h := newHandle[*cm](m, Version{Model: "m", Version: "1"}, nil)
	if !h.tryAcquire() {
		t.Fatal("acquire of a live handle failed")
	}
	h.release()
	h.release() // one too many while live: found when the handle closes
	if err := h.retire(); err != nil {
		t.Fatal(err)
	}
	if got := m.closed.Load(); got != 1 {
		t.Fatalf("closed %d times, want 1", got)
	}
	if h.tryAcquire() {
		t.Fatal("acquired a closed handle")
	}
	defer func() {
		if recover() == nil {
			t.Error("a release of a closed handle with no reader left did not panic")
		}
	}()
	h.release()
}
