package registry

import (
	"io"
	"log/slog"
	"math"
	"sync/atomic"
)

// A Handle is a reference to one loaded model version, obtained from
// [Registry.Resolve]. While a reader holds a Handle the version stays loaded,
// even if another version is activated meanwhile; the model is closed when the
// registry and the last reader have released it.
//
// Call Release exactly once per successful Resolve; releasing more often
// panics. A Handle is safe for concurrent use; its zero value is not usable.
type Handle[M io.Closer] struct {
	model   M
	name    string
	version string
	digest  string
	log     *slog.Logger
	// refs counts the registry's own reference (current or warm) plus one
	// per reader; dead once the model is closing.
	refs atomic.Int64
}

func newHandle[M io.Closer](m M, v Version, log *slog.Logger) *Handle[M] {
	h := &Handle[M]{model: m, name: v.Model, version: v.Version, digest: v.Digest, log: log}
	h.refs.Store(1)
	return h
}

// Model returns the loaded model. It remains valid until Release.
func (h *Handle[M]) Model() M { return h.model }

// Version returns the version string of the loaded model.
func (h *Handle[M]) Version() string { return h.version }

// Digest returns the verified digest of the loaded artifact.
func (h *Handle[M]) Digest() string { return h.digest }

// dead is the reference count of a handle whose model is being or has been
// closed: far below zero, so that a late tryAcquire (which adds one) can
// never bring it back above zero.
const dead = math.MinInt64 / 2

// tryAcquire adds a reader reference unless the model is already closing.
// A reader may take a handle from zero back to one: that happens only after
// the registry dropped its own reference, and the model is still open
// because closing first moves the count from zero to dead. Failed attempts
// are not undone; they leave the count far below zero.
func (h *Handle[M]) tryAcquire() bool { return h.refs.Add(1) > 0 }

// Release drops the reference obtained from Resolve. The last release of a
// version that is no longer current or warm closes its model in the calling
// goroutine; a Close error is logged.
func (h *Handle[M]) Release() { _ = h.release() }

// release drops one reference and closes the model when it was the last,
// returning the Close error.
func (h *Handle[M]) release() error {
	n := h.refs.Add(-1)
	if n > 0 {
		return nil
	}
	if n < 0 {
		panic("registry: Handle released more times than acquired")
	}
	if !h.refs.CompareAndSwap(0, dead) {
		return nil // a reader took it meanwhile; its Release closes it
	}
	err := h.model.Close()
	if err != nil && h.log != nil {
		h.log.Warn("registry: closing model", "model", h.name, "version", h.version, "err", err)
	}
	return err
}
