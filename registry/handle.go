package registry

import (
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// A Handle is a reference to one loaded model version, obtained from
// [Registry.Resolve]. While a reader holds a Handle the version stays loaded,
// even if another version is activated meanwhile; the model is closed when the
// registry and the last reader have released it.
//
// Call Release exactly once per successful Resolve; releasing a handle
// whose model is already closed panics, and an extra release found when
// the registry drops the handle is logged. A Handle is safe for concurrent use; its zero value is not usable.
type Handle[M io.Closer] struct {
	model   M
	name    string
	version string
	digest  string
	log     *slog.Logger
	// refs counts reader references, spread over cache lines so that
	// readers on different cores do not contend (see tryAcquire). The
	// registry's own reference is not counted: it is state being live.
	refs  []refCell
	mask  uintptr
	state atomic.Int32 // live, retired, closing or closed
}

// refCell is one stripe of a handle's reader count, alone on its cache
// lines. A reader's acquire and release may land in different cells; only
// the sum means anything.
type refCell struct {
	n atomic.Int64
	_ [120]byte
}

// Handle states.
const (
	live    = iota // the registry holds it (current or warm)
	retired        // the registry dropped it; the last reader closes it
	closing        // a closer is checking that no reader is left
	closed         // the model is closed (or being closed)
)

func newHandle[M io.Closer](m M, v Version, log *slog.Logger) *Handle[M] {
	n := 16 // few handles exist; fewer collisions between readers
	for n < 8*runtime.GOMAXPROCS(0) && n < 64 {
		n <<= 1
	}
	return &Handle[M]{model: m, name: v.Model, version: v.Version, digest: v.Digest, log: log,
		refs: make([]refCell, n), mask: uintptr(n - 1)}
}

// Model returns the loaded model. It remains valid until Release.
func (h *Handle[M]) Model() M { return h.model }

// Version returns the version string of the loaded model.
func (h *Handle[M]) Version() string { return h.version }

// Digest returns the verified digest of the loaded artifact.
func (h *Handle[M]) Digest() string { return h.digest }

// cell picks the stripe of the calling goroutine from its stack address,
// which differs between goroutines and is stable within one call: the top
// bits of a multiplicative (Fibonacci) hash of it.
func (h *Handle[M]) cell() *atomic.Int64 {
	var x byte
	i := uintptr(uint64(uintptr(unsafe.Pointer(&x))>>11)*0x9E3779B97F4A7C15>>58) & h.mask
	return &h.refs[i].n
}

func (h *Handle[M]) readers() int64 {
	var n int64
	for i := range h.refs {
		n += h.refs[i].n.Load()
	}
	return n
}

// tryAcquire adds a reader reference unless the model is closing. The
// add comes first, the state check second, and a closer sets closing
// before it sums the cells: so a reader either sees closing and backs out
// (then Resolve loads the current handle again, which is another one,
// since only a handle the registry dropped can be closing), or its add is
// in the closer's sum and the close is called off. Every removal of a
// reference (a release, or a back-out) is followed by a look at the state,
// so the last one always finds the handle retired and closes it.
func (h *Handle[M]) tryAcquire() bool {
	c := h.cell()
	c.Add(1)
	if h.state.Load() >= closing {
		// Back out. A closer may have counted the add and called the close
		// off, so the decision falls to this goroutine like to any release.
		c.Add(-1)
		if h.state.Load() != closed {
			_ = h.tryClose() // a Close error is logged there
		}
		return false
	}
	return true
}

// Release drops the reference obtained from Resolve. The last release of a
// version that is no longer current or warm closes its model in the calling
// goroutine; a Close error is logged.
func (h *Handle[M]) Release() { _ = h.release() }

// release drops one reader reference; once the registry has dropped its
// own, it closes the model if this was the last reader, returning the Close
// error.
func (h *Handle[M]) release() error {
	h.cell().Add(-1)
	switch h.state.Load() {
	case live:
		return nil
	case closed:
		// Either this release let a closer finish (the count is back to
		// zero), or it is one release too many (the count is negative:
		// nobody can acquire a closed handle).
		if h.readers() < 0 {
			panic("registry: Handle released more times than acquired")
		}
		return nil
	}
	// retired, or closing: a closer that finds this reader's reference
	// gone (or still there) decides; tryClose settles both.
	return h.tryClose()
}

// retire drops the registry's own reference: the model closes now if no
// reader holds it, or at the last reader's release.
func (h *Handle[M]) retire() error {
	h.state.Store(retired)
	return h.tryClose()
}

// tryClose closes the model if the handle is retired and no reader holds
// it. Exactly one caller closes it. A closer moves retired to closing and
// then sums the reader cells: zero means no reader holds the handle and
// none can take it any more. Otherwise it moves back to retired and looks
// again, because a reader that released while the state was closing left
// the decision to it.
func (h *Handle[M]) tryClose() error {
	for {
		if h.readers() > 0 || !h.state.CompareAndSwap(retired, closing) {
			return nil
		}
		if n := h.readers(); n <= 0 {
			h.state.Store(closed)
			if n < 0 && h.log != nil { // a reader's bug, found late: close anyway
				h.log.Error("registry: Handle released more times than acquired", "model", h.name, "version", h.version)
			}
			err := h.model.Close()
			if err != nil && h.log != nil {
				h.log.Warn("registry: closing model", "model", h.name, "version", h.version, "err", err)
			}
			return err
		}
		h.state.Store(retired)
	}
}
