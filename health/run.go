package health

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// checkState is one check and its mutable state.
type checkState struct {
	def Check
	idx int

	mu     sync.Mutex  // guards flight, timer and st
	flight *flight     // the run in progress; nil when none
	timer  *time.Timer // marks an OnDemand or Stale result stale after TTL
	st     stateData
}

// flight is one run. done is closed once its result is recorded, which is
// at the latest when the run's timeout expires, even if the Func is still
// running.
type flight struct {
	done  chan struct{}
	start time.Time
}

type stateData struct {
	status       Status
	last         Result
	lastRun      time.Time
	duration     time.Duration
	runs         uint64
	consecFail   int
	consecSucc   int
	failingSince time.Time
	flaps        uint64
	fresh        bool // an OnDemand or Stale result younger than TTL
	stuckSince   time.Time
}

// refresh starts a run of cs unless one is in progress or, when !force, the
// last result is still fresh. It returns a channel closed once the result of
// the run in progress (or started) is recorded.
func (c *Checker) refresh(cs *checkState, force bool) <-chan struct{} {
	cs.mu.Lock()
	if f := cs.flight; f != nil {
		cs.mu.Unlock()
		return f.done
	}
	if !force && cs.st.fresh {
		cs.mu.Unlock()
		return c.done
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cs.mu.Unlock()
		return c.done
	}
	c.wg.Add(1)
	c.mu.Unlock()
	f := &flight{done: make(chan struct{}), start: time.Now()}
	cs.flight = f
	cs.mu.Unlock()
	go c.execute(cs, f)
	return f.done
}

// execute runs cs once. The result is recorded when the Func returns or
// when the timeout expires, whichever is first; the flight ends only when
// the Func has returned, so no second run can start meanwhile.
func (c *Checker) execute(cs *checkState, f *flight) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.life, cs.def.Timeout)
	defer cancel()
	var once sync.Once
	stop := context.AfterFunc(ctx, func() {
		once.Do(func() {
			res := Fail("check timed out after " + cs.def.Timeout.String())
			if errors.Is(context.Cause(ctx), context.Canceled) {
				res = Fail("check canceled: checker closed")
			}
			if c.set.Logger != nil {
				c.set.Logger.Warn("health: check did not return in time", "check", cs.def.Name,
					"timeout", cs.def.Timeout, "running_since", f.start)
			}
			c.record(cs, f, res, time.Since(f.start), true)
		})
	})
	res := c.call(ctx, cs)
	dur := time.Since(f.start)
	stop()
	once.Do(func() { c.record(cs, f, res, dur, false) })

	cs.mu.Lock()
	cs.flight = nil
	wasStuck := !cs.st.stuckSince.IsZero()
	cs.st.stuckSince = time.Time{}
	cs.mu.Unlock()
	if wasStuck {
		if c.set.Logger != nil {
			c.set.Logger.Info("health: stuck check returned", "check", cs.def.Name, "after", dur)
		}
		c.publish()
	}
}

// call runs the Func, turning errors and panics into failures.
func (c *Checker) call(ctx context.Context, cs *checkState) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			if c.set.Logger != nil {
				c.set.Logger.Error("health: check panicked", "check", cs.def.Name,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			res = Fail("check panicked")
		}
	}()
	res, err := cs.def.Func(ctx)
	if err != nil {
		res.Status = StatusFail
		if res.Output == "" {
			res.Output = err.Error()
		}
	}
	if res.Status == StatusUnknown || res.Status > StatusFail {
		res.Status = StatusPass
	}
	return res
}

// record applies res to cs's state, publishes a new snapshot and queues an
// event. timedOut marks the flight as stuck.
func (c *Checker) record(cs *checkState, f *flight, res Result, dur time.Duration, timedOut bool) {
	now := time.Now()
	res.Output = c.clean(res.Output)
	if res.Status == StatusPass {
		res.Output = ""
	}
	cs.mu.Lock()
	st := &cs.st
	prev := st.status
	st.runs++
	st.last = res
	st.lastRun = now
	st.duration = dur
	if cs.def.Mode != Background {
		// A timer, not a clock read per probe, turns the result stale: the
		// probe path then only tests a flag of the snapshot.
		if cs.timer != nil {
			cs.timer.Stop()
		}
		st.fresh = c.life.Err() == nil // after Close, no timer: stay stale
		if st.fresh {
			cs.timer = time.AfterFunc(cs.def.TTL, func() { c.expire(cs) })
		}
	}
	if timedOut {
		st.stuckSince = f.start
	}
	if res.Status == StatusFail {
		st.consecFail++
		st.consecSucc = 0
		if st.failingSince.IsZero() {
			st.failingSince = now
		}
		if (cs.def.FailureThreshold > 0 && st.consecFail >= cs.def.FailureThreshold) ||
			(cs.def.FailureDuration > 0 && now.Sub(st.failingSince) >= cs.def.FailureDuration) {
			st.status = StatusFail
		}
	} else {
		st.consecSucc++
		st.consecFail = 0
		st.failingSince = time.Time{}
		if prev != StatusFail || st.consecSucc >= cs.def.SuccessThreshold {
			st.status = res.Status
		}
	}
	if prev != StatusUnknown && (prev == StatusFail) != (st.status == StatusFail) {
		st.flaps++
	}
	ev := Event{Check: cs.def.Name, Previous: prev, Status: st.status, Raw: res.Status,
		Duration: dur, Time: now, Flaps: st.flaps}
	cs.mu.Unlock()
	c.publish()
	if ev.Changed() && c.set.Logger != nil {
		c.set.Logger.Info("health: status changed", "check", ev.Check,
			"from", ev.Previous.String(), "to", ev.Status.String())
	}
	c.emit(ev)
	close(f.done)
}

// expire marks the result of cs stale and publishes it.
func (c *Checker) expire(cs *checkState) {
	cs.mu.Lock()
	cs.st.fresh = false
	cs.mu.Unlock()
	c.publish()
}

// clean caps s at MaxOutput bytes on a rune boundary, makes it valid UTF-8
// and replaces control characters (newlines included) by spaces, so that
// an output is one line of text.
func (c *Checker) clean(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > c.set.MaxOutput {
		cut := c.set.MaxOutput
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
