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
// failures, a count-based failure-rate window, half-open probes and
// successes, half-open timeout, open backoff without jitter, reset, forced
// open. The breaker must agree with it on every admission and state.
type model struct {
	consec, window, minCalls, probes, successes int
	rate                                        float64
	base, mult, maxOpen, halfTimeout            time.Duration

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
			trip = m.failRun >= m.consec
		} else {
			m.failRun = 0
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
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 8 || len(data) > 400 {
			return
		}
		cfg, ops := data[:8], data[8:]
		m := &model{
			consec:      int(cfg[0]%4) + 1,
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
						p.Done(nil)
						m.done(&mp, breaker.Success)
					}
				case 2, 3: // Done on a held permit (possibly again)
					if len(permits) == 0 {
						continue
					}
					h := &permits[int(op/8)%len(permits)]
					e := outcomes[int(op/8)%3]
					h.p.Done(e)
					m.done(&h.mp, breaker.DefaultClassify(ctx, e))
				case 4: // Do
					e := outcomes[int(op/8)%3]
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
				snap := b.Snapshot()
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
