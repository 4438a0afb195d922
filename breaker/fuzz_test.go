package breaker_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/breaker"
)

// model is a sequential reference of the state machine: consecutive
// failures, a count-based or a time-based failure-rate window, half-open
// probes and successes, half-open timeout, open backoff without jitter,
// reset, forced open. The breaker must agree with it on every admission and
// state.
//
// The time window is modelled as documented on timeWindow: a failure
// reads the clock and moves the ring to its epoch; a success reads no
// clock and is added to the bucket of the last known epoch, and the
// successes added since the last clock read within an epoch are moved to
// the newest bucket when the ring advances. (The clock read on every 64th
// success of a stripe is left out: the harness records at most 63
// successes in a run with a time window.)
type model struct {
	consec, window, minCalls, probes, successes int
	rate                                        float64
	base, mult, maxOpen, halfTimeout            time.Duration

	// time window: width > 0; tw is this closed generation's ring
	width   time.Duration
	buckets int
	tw      modelRing

	now       time.Duration
	state     breaker.State
	forced    bool
	gen       uint64
	failRun   int
	ring      []bool // last outcomes, true = failure
	reopens   int
	interval  time.Duration
	until     time.Duration
	inProbe   int
	probeSucc int
}

// modelRing is the time window of one closed generation.
type modelRing struct {
	origin     time.Duration
	epoch      int64   // last known epoch
	tag        []int64 // epoch of each bucket; -1 never used
	fail, succ []int
	pending    int // successes since the last clock read, in bucket epoch
}

func newModelRing(n int, origin time.Duration) modelRing {
	r := modelRing{origin: origin, tag: make([]int64, n), fail: make([]int, n), succ: make([]int, n)}
	for i := 1; i < n; i++ {
		r.tag[i] = -1
	}
	return r
}

// failure moves the ring to the epoch of now and counts a failure there.
func (r *modelRing) failure(now, width time.Duration) {
	r.advance(now, width)
	r.fail[r.epoch%int64(len(r.tag))]++
}

// advance is a clock read (a failure, or Breaker.Snapshot): it moves the
// ring to the epoch of now, or within the same epoch marks the successes so
// far as known to be in it.
func (r *modelRing) advance(now, width time.Duration) {
	n := int64(len(r.tag))
	e := int64((now - r.origin) / width)
	if old := r.epoch; e != old {
		if e-old < n {
			r.succ[old%n] -= r.pending
		}
		for k := max(old+1, e-n+1); k <= e; k++ {
			r.tag[k%n], r.fail[k%n], r.succ[k%n] = k, 0, 0
		}
		r.succ[e%n] += r.pending
		r.epoch = e
	}
	r.pending = 0
}

func (r *modelRing) success() {
	r.succ[r.epoch%int64(len(r.tag))]++
	r.pending++
}

func (r *modelRing) counts() (calls, fails int) {
	n := int64(len(r.tag))
	for i := range r.tag {
		if t := r.tag[i]; t > r.epoch-n && t <= r.epoch {
			calls += r.fail[i] + r.succ[i]
			fails += r.fail[i]
		}
	}
	return calls, fails
}

type modelPermit struct {
	gen   uint64
	probe bool
	done  bool
}

func (m *model) enter(to breaker.State) {
	m.gen++
	m.state = to
	m.failRun, m.ring, m.inProbe, m.probeSucc = 0, nil, 0, 0
	switch to {
	case breaker.StateClosed:
		m.reopens, m.interval = 0, m.base
		if m.width > 0 {
			m.tw = newModelRing(m.buckets, m.now)
		}
	case breaker.StateOpen:
		if m.forced {
			return
		}
		m.reopens++
		d := m.interval
		m.interval = min(m.interval*m.mult, m.maxOpen)
		m.until = m.now + d
	case breaker.StateHalfOpen:
		m.until = m.now + m.halfTimeout
	}
}

func (m *model) allow() (modelPermit, bool) {
	switch {
	case m.forced || m.state == breaker.StateOpen:
		return modelPermit{}, false
	case m.state == breaker.StateHalfOpen:
		if m.inProbe >= m.probes {
			return modelPermit{}, false
		}
		m.inProbe++
		return modelPermit{gen: m.gen, probe: true}, true
	}
	return modelPermit{gen: m.gen}, true
}

func (m *model) done(p *modelPermit, o breaker.Outcome) {
	if p.done {
		return
	}
	p.done = true
	if p.gen != m.gen {
		return
	}
	if p.probe {
		m.inProbe--
	}
	if o == breaker.Ignore {
		return
	}
	switch m.state {
	case breaker.StateClosed:
		trip := false
		if o == breaker.Failure {
			m.failRun++
			trip = m.consec > 0 && m.failRun >= m.consec
		} else {
			m.failRun = 0
		}
		if m.width > 0 {
			if o == breaker.Failure {
				m.tw.failure(m.now, m.width)
				calls, fails := m.tw.counts()
				if !trip && calls >= m.minCalls && float64(fails) >= m.rate*float64(calls) {
					trip = true
				}
			} else {
				m.tw.success()
			}
		}
		if m.window > 0 {
			m.ring = append(m.ring, o == breaker.Failure)
			if len(m.ring) > m.window {
				m.ring = m.ring[1:]
			}
			fails := 0
			for _, f := range m.ring {
				if f {
					fails++
				}
			}
			if len(m.ring) >= m.minCalls && float64(fails) >= m.rate*float64(len(m.ring)) {
				trip = true
			}
		}
		if trip {
			m.enter(breaker.StateOpen)
		}
	case breaker.StateHalfOpen:
		if o == breaker.Failure {
			m.enter(breaker.StateOpen)
			return
		}
		m.probeSucc++
		if m.probeSucc >= m.successes {
			m.enter(breaker.StateClosed)
		}
	}
}

func (m *model) advance(d time.Duration) {
	target := m.now + d
	for !m.forced && m.state != breaker.StateClosed && m.until <= target {
		m.now = m.until
		if m.state == breaker.StateOpen {
			m.enter(breaker.StateHalfOpen)
		} else {
			m.enter(breaker.StateOpen)
		}
	}
	m.now = target
}

func FuzzStateMachine(f *testing.F) {
	f.Add([]byte{2, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 4, 2, 2, 1, 1, 2, 3, 0, 10, 1, 20, 3, 4, 5, 6, 2, 10, 0, 10, 11, 0, 0, 13, 1, 21, 0, 16, 22})
	f.Add([]byte{1, 5, 1, 3, 3, 0, 3, 1, 2, 18, 18, 18, 3, 28, 0, 0, 0, 10, 11, 20, 14, 23, 0, 0, 10, 23, 0, 0})
	f.Add([]byte{3, 2, 3, 1, 2, 1, 1, 2, 4, 2, 2, 3, 3, 25, 26, 3, 3, 0, 8, 9, 10, 0, 19, 12, 14, 13, 15, 0})
	// time windows: no consecutive-failure policy, failures spread over
	// clock advances
	f.Add([]byte{4, 6, 1, 1, 0, 0, 1, 0, 1, 4, 12, 4, 5, 12, 4, 4, 13, 12, 4, 12, 21, 4, 4, 12, 5, 12, 12, 4, 4})
	f.Add([]byte{4, 13, 2, 2, 1, 1, 2, 3, 13, 12, 4, 4, 5, 4, 12, 13, 12, 5, 4, 4, 4, 12, 12, 13, 0, 2, 10, 5, 12, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 9 || len(data) > 400 {
			return
		}
		cfg, ops := data[:9], data[9:]
		m := &model{
			consec:      int(cfg[0]%5) + 1, // 5: no consecutive-failure policy
			window:      []int{0, 0, 2, 3, 4, 6}[cfg[1]%6],
			probes:      int(cfg[2]%3) + 1,
			successes:   int(cfg[3]%3) + 1,
			base:        time.Duration(cfg[4]%3+1) * time.Second,
			mult:        time.Duration(cfg[5]%2 + 1),
			halfTimeout: time.Duration(cfg[6]%4+1) * time.Second,
			rate:        []float64{0.5, 1, 0.34}[cfg[7]%3],
		}
		m.maxOpen = m.base * time.Duration(cfg[7]/3%4+1)
		if m.window > 0 {
			m.minCalls = int(cfg[1]/6)%m.window + 1
		}
		if cfg[8]%2 == 1 { // a time window instead of the count window
			m.window = 0
			m.buckets = int(cfg[8]/2%3) + 2
			m.width = time.Duration(cfg[8]/6%3+1) * 250 * time.Millisecond
			m.minCalls = int(cfg[1]/6%4) + 1
			m.tw = newModelRing(m.buckets, 0)
		}
		if m.consec == 5 && (m.window > 0 || m.width > 0) {
			m.consec = -1 // only the rate window trips
		}
		m.interval = m.base
		m.state = breaker.StateClosed
		m.gen = 1
		s := breaker.Settings{
			ConsecutiveFailures: m.consec,
			HalfOpenProbes:      m.probes,
			HalfOpenSuccesses:   m.successes,
			HalfOpenTimeout:     m.halfTimeout,
			OpenTimeout:         m.base,
			OpenMultiplier:      float64(m.mult),
			MaxOpenTimeout:      m.maxOpen,
			OpenJitter:          -1,
		}
		if m.window > 0 {
			s.FailureRate, s.WindowCalls, s.MinCalls = m.rate, m.window, m.minCalls
		}
		if m.width > 0 {
			s.FailureRate, s.Window, s.WindowBuckets, s.MinCalls = m.rate, m.width*time.Duration(m.buckets), m.buckets, m.minCalls
		}
		synctest.Test(t, func(t *testing.T) {
			b, err := breaker.New("fuzz", s)
			if err != nil {
				t.Fatal(err)
			}
			defer b.SetMode(breaker.ModeForcedOpen) // stop timers
			ctx := context.Background()
			type held struct {
				p  breaker.Permit
				mp modelPermit
			}
			var permits []held
			outcomes := []error{nil, errBoom, context.Canceled}
			nils := 0
			// outcome picks the k-th outcome; with a time window, after 63
			// successes it gives an ignored one instead (see model).
			outcome := func(k int) error {
				e := outcomes[k%3]
				if e == nil && m.width > 0 {
					if nils++; nils > 63 {
						return context.Canceled
					}
				}
				return e
			}
			for i, op := range ops {
				switch op % 8 {
				case 0, 1: // Allow
					p, err := b.Allow(ctx)
					mp, ok := m.allow()
					if (err == nil) != ok || (err != nil && !errors.Is(err, breaker.ErrOpen)) {
						t.Fatalf("op %d Allow: breaker err %v, model admits %v (state %v)", i, err, ok, m.state)
					}
					if ok && len(permits) < 16 {
						permits = append(permits, held{p, mp})
					} else if ok {
						e := outcome(0)
						p.Done(e)
						m.done(&mp, breaker.DefaultClassify(ctx, e))
					}
				case 2, 3: // Done on a held permit (possibly again)
					if len(permits) == 0 {
						continue
					}
					h := &permits[int(op/8)%len(permits)]
					e := outcome(int(op / 8))
					h.p.Done(e)
					m.done(&h.mp, breaker.DefaultClassify(ctx, e))
				case 4: // Do
					e := outcome(int(op / 8))
					err := b.Do(ctx, func(context.Context) error { return e })
					mp, ok := m.allow()
					if ok {
						m.done(&mp, breaker.DefaultClassify(ctx, e))
					}
					if ok != !errors.Is(err, breaker.ErrOpen) {
						t.Fatalf("op %d Do: breaker err %v, model admits %v", i, err, ok)
					}
				case 5: // advance the clock
					d := time.Duration(op/8+1) * 250 * time.Millisecond
					advance(d)
					m.advance(d)
				case 6: // reset
					b.Reset()
					if !m.forced {
						m.enter(breaker.StateClosed)
					} else {
						m.interval = m.base
					}
				case 7: // toggle forced open
					if m.forced {
						b.SetMode(breaker.ModeNormal)
						m.forced = false
						m.enter(breaker.StateClosed)
					} else {
						b.SetMode(breaker.ModeForcedOpen)
						m.forced = true
						m.enter(breaker.StateOpen)
					}
				}
				if st := b.State(); st != m.state {
					t.Fatalf("op %d (%d): breaker %v, model %v", i, op%8, st, m.state)
				}
				if op&64 != 0 {
					// Snapshot reads the clock, which acknowledges pending
					// successes in a time window: taken after only some ops,
					// so that successes also reach a later epoch pending.
					continue
				}
				snap := b.Snapshot()
				if m.width > 0 && m.state == breaker.StateClosed {
					m.tw.advance(m.now, m.width) // Snapshot reads the clock
					calls, fails := m.tw.counts()
					if snap.Calls != int64(calls) || snap.Failures != int64(fails) {
						t.Fatalf("op %d: time window calls/failures %d/%d, model %d/%d", i, snap.Calls, snap.Failures, calls, fails)
					}
				}
				if m.window > 0 && m.state == breaker.StateClosed {
					fails := 0
					for _, f := range m.ring {
						if f {
							fails++
						}
					}
					if snap.Calls != int64(len(m.ring)) || snap.Failures != int64(fails) {
						t.Fatalf("op %d: count window calls/failures %d/%d, model %d/%d", i, snap.Calls, snap.Failures, len(m.ring), fails)
					}
				}
				if snap.State != m.state || snap.Generation != m.gen {
					t.Fatalf("op %d (%d): breaker %v gen %d, model %v gen %d", i, op%8, snap.State, snap.Generation, m.state, m.gen)
				}
				if m.state == breaker.StateOpen && !m.forced && b.RetryAfter() != m.until-m.now {
					t.Fatalf("op %d: RetryAfter %v, model %v", i, b.RetryAfter(), m.until-m.now)
				}
				if m.state == breaker.StateClosed && snap.ConsecutiveFailures != int64(m.failRun) {
					t.Fatalf("op %d: consecutive failures %d, model %d", i, snap.ConsecutiveFailures, m.failRun)
				}
			}
		})
	})
}
