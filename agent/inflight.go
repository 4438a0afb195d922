package agent

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// inflight counts the executions of one agent in progress. The count is
// spread over cache lines so that goroutines on different cores add to
// different lines: a single counter would bounce one line between the
// cores on every execution and stop throughput scaling under parallel
// load. Which cell an add lands in does not matter for the total.
type inflight struct {
	cells []inflightCell
	mask  uintptr
}

type inflightCell struct {
	n atomic.Int64
	_ [120]byte // keeps each cell on its own cache line pair
}

func newInflight() inflight {
	n := 8
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 {
		n <<= 1
	}
	return inflight{cells: make([]inflightCell, n), mask: uintptr(n - 1)}
}

// add adds d to a cell chosen from the caller's stack address, which
// differs between goroutines and is stable within one: the top bits of a
// multiplicative (Fibonacci) hash of it.
func (c *inflight) add(d int64) {
	var x byte
	i := uintptr(uint64(uintptr(unsafe.Pointer(&x))>>11)*0x9E3779B97F4A7C15>>58) & c.mask
	c.cells[i].n.Add(d)
}

// load returns the total.
func (c *inflight) load() int64 {
	var n int64
	for i := range c.cells {
		n += c.cells[i].n.Load()
	}
	return n
}
