package breaker

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// paddedInt is a counter alone on its cache line(s), so that stripes on
// different cores do not false-share.
type paddedInt struct {
	v atomic.Int64
	_ [120]byte
}

// striped is a counter spread over cache lines. A goroutine picks its
// stripe from the address of its stack, which differs between goroutines
// and is stable within one, so parallel adders rarely share a line. The sum
// is exact; only the spread is heuristic.
type striped struct {
	cells []paddedInt
	mask  uint64
}

func stripeCount() int {
	n := 8
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 {
		n <<= 1
	}
	return n
}

func newStriped() striped {
	n := stripeCount()
	return striped{cells: make([]paddedInt, n), mask: uint64(n - 1)}
}

// stripeHint hashes the caller's stack address.
func stripeHint() uint64 {
	var x byte
	p := uint64(uintptr(unsafe.Pointer(&x)))
	return ((p >> 11) * 0x9E3779B97F4A7C15) >> 58 // the top bits of a Fibonacci hash of the 2 KiB stack block
}

func (s *striped) add(d int64) int64 { return s.cells[stripeHint()&s.mask].v.Add(d) }

func (s *striped) sum() int64 {
	var n int64
	for i := range s.cells {
		n += s.cells[i].v.Load()
	}
	return n
}

// timeWindow counts outcomes in a ring of buckets covering a time span.
//
// Failures and slow calls read the clock and advance the ring before they
// are counted, so they land in the right bucket. A success reads no clock:
// it is added to the bucket of the last known epoch, on a striped counter,
// and every 64th success on a stripe reads the clock (and, within the same
// epoch, writes only its own stripe). Successes added to a stripe since its
// previous clock read are moved to the newest bucket when the ring
// advances, so a success can be counted as later than it was (by at most
// the time between clock reads), never as earlier: the error never inflates
// the failure rate.
// Rates over a time window are evaluated when a failure or a slow call is
// recorded.
type timeWindow struct {
	// Read on every success; written only when the ring advances.
	origin  time.Time
	width   time.Duration
	n       int64
	stripes uint64
	cur     atomic.Uint64 // index in succ of the current bucket's first stripe
	buckets []windowBucket
	succ    []succCell // n × stripes success counters
	// Written when the ring advances: kept off the cache lines above.
	_     [64]byte
	epoch atomic.Int64 // last known epoch
	_     [120]byte
}

// succCell is one stripe of a bucket's success count, with the count it had
// at its stripe's last clock read, alone on its cache lines: a clock read
// on one stripe writes only that stripe's line.
type succCell struct {
	v, acked atomic.Int64
	_        [112]byte
}

type windowBucket struct {
	epoch      atomic.Int64
	fail, slow atomic.Int64
	_          [104]byte
}

func newTimeWindow(span time.Duration, buckets int, now time.Time) *timeWindow {
	s := stripeCount()
	w := &timeWindow{
		origin:  now,
		width:   span / time.Duration(buckets),
		n:       int64(buckets),
		stripes: uint64(s),
		buckets: make([]windowBucket, buckets),
		succ:    make([]succCell, buckets*s),
	}
	for i := 1; i < buckets; i++ {
		w.buckets[i].epoch.Store(-1)
	}
	return w
}

func (w *timeWindow) success() {
	if c, n := w.count(); n&63 == 0 {
		w.tick(c, n)
	}
}

// count adds a success to the caller's stripe of the current bucket and
// returns the stripe and its new count; success's caller must call tick
// when the count is a multiple of 64. It is small enough to be inlined.
func (w *timeWindow) count() (*succCell, int64) {
	c := &w.succ[w.cur.Load()+stripeHint()&(w.stripes-1)]
	return c, c.v.Add(1)
}

// tick is the clock read of every 64th success on a stripe.
func (w *timeWindow) tick(c *succCell, n int64) {
	now := time.Now()
	if int64(now.Sub(w.origin)/w.width) == w.epoch.Load() {
		c.acked.Store(n) // this stripe's successes so far are known to be in this epoch
		return
	}
	w.advance(now)
}

func (w *timeWindow) addAt(now time.Time, fail, slow bool) {
	w.advance(now)
	e := w.epoch.Load()
	b := &w.buckets[e%w.n]
	if fail {
		b.fail.Add(1)
	} else { // a success whose time is known: counted and acknowledged
		c := &w.succ[uint64(e%w.n)*w.stripes]
		c.v.Add(1)
		c.acked.Add(1)
	}
	if slow {
		b.slow.Add(1)
	}
}

// advance moves the ring to the epoch of now, clearing the buckets passed.
// Successes added to a stripe since that stripe's last clock read (pending)
// may be anywhere between that read and now: they are moved to the newest
// bucket, which keeps them counted for as long as possible and so never
// inflates the failure rate. Within an epoch it marks every stripe's
// successes as known to be in it (success, which owns one stripe, does not
// call advance within an epoch).
func (w *timeWindow) advance(now time.Time) {
	e := int64(now.Sub(w.origin) / w.width)
	old := w.epoch.Load()
	if e == old {
		base := uint64(e%w.n) * w.stripes
		for s := range w.stripes {
			c := &w.succ[base+s]
			c.acked.Store(c.v.Load())
		}
		return
	}
	if e < old || !w.epoch.CompareAndSwap(old, e) {
		return
	}
	var pending int64
	base := uint64(old%w.n) * w.stripes
	for s := range w.stripes {
		c := &w.succ[base+s]
		if p := c.v.Load() - c.acked.Load(); p > 0 {
			pending += p
			if e-old < w.n { // the old bucket stays in the window: take them out
				c.v.Add(-p)
			}
		}
	}
	from := max(old+1, e-w.n+1)
	for k := from; k <= e; k++ {
		i := k % w.n
		b := &w.buckets[i]
		b.fail.Store(0)
		b.slow.Store(0)
		for s := range w.stripes {
			c := &w.succ[uint64(i)*w.stripes+s]
			c.v.Store(0)
			c.acked.Store(0)
		}
		b.epoch.Store(k)
	}
	if pending > 0 {
		c := &w.succ[uint64(e%w.n)*w.stripes]
		c.v.Add(pending)
		c.acked.Add(pending)
	}
	w.cur.Store(uint64(e%w.n) * w.stripes)
}

func (w *timeWindow) successes(i int64) int64 {
	var n int64
	for s := range w.stripes {
		n += w.succ[uint64(i)*w.stripes+s].v.Load()
	}
	return n
}

// counts returns calls, failures and slow calls in the window as of the last
// known epoch.
func (w *timeWindow) counts() (calls, fails, slows int64) {
	e := w.epoch.Load()
	for i := range w.n {
		b := &w.buckets[i]
		if be := b.epoch.Load(); be <= e-w.n || be > e {
			continue
		}
		f := b.fail.Load()
		calls += f + w.successes(i)
		fails += f
		slows += b.slow.Load()
	}
	return calls, fails, slows
}

// countWindow counts the outcomes of the last len(slots) calls.
type countWindow struct {
	pos          atomic.Uint64
	fails, slows atomic.Int64
	slots        []atomic.Uint32 // 0 empty, else 1|2 (fail)|4 (slow)
}

func newCountWindow(n int) *countWindow {
	return &countWindow{slots: make([]atomic.Uint32, n)}
}

func (w *countWindow) add(fail, slow bool) {
	v := uint32(1)
	if fail {
		v |= 2
	}
	if slow {
		v |= 4
	}
	i := (w.pos.Add(1) - 1) % uint64(len(w.slots))
	old := w.slots[i].Swap(v)
	if d := int64(v>>1&1) - int64(old>>1&1); d != 0 {
		w.fails.Add(d)
	}
	if d := int64(v>>2&1) - int64(old>>2&1); d != 0 {
		w.slows.Add(d)
	}
}

func (w *countWindow) counts() (calls, fails, slows int64) {
	calls = int64(min(w.pos.Load(), uint64(len(w.slots))))
	return calls, w.fails.Load(), w.slows.Load()
}
