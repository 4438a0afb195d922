package breaker

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// Group is a keyed set of breakers sharing one [Settings], such as one
// breaker per host or per agent. Breakers are created on first use by
// [Group.Get]; [Group.Sweep] evicts the ones left idle and closed. The zero
// Group is not usable: create one with [NewGroup]. A Group is safe for
// concurrent use.
type Group struct {
	s Settings
	m sync.Map // string → *member
}

type member struct {
	b    *Breaker
	used atomic.Bool
}

// NewGroup returns an empty group whose breakers use s, each named by its
// key. It returns an error matching [ErrInvalidSettings] when s is invalid.
func NewGroup(s Settings) (*Group, error) {
	if _, err := newConfig(s); err != nil {
		return nil, err
	}
	return &Group{s: s}, nil
}

// Get returns the breaker for key, creating it if needed, and marks it used
// so that the next [Group.Sweep] keeps it. Call Get for each use rather
// than keeping the result across sweeps: an evicted breaker keeps working
// but is no longer the group's.
func (g *Group) Get(key string) *Breaker {
	if v, ok := g.m.Load(key); ok {
		m := v.(*member)
		if !m.used.Load() {
			m.used.Store(true)
		}
		return m.b
	}
	b, err := New(key, g.s)
	if err != nil { // unreachable: the settings were validated by NewGroup
		panic(err)
	}
	m := &member{b: b}
	m.used.Store(true)
	v, _ := g.m.LoadOrStore(key, m)
	return v.(*member).b
}

// Len returns the number of breakers in the group.
func (g *Group) Len() int {
	n := 0
	g.m.Range(func(any, any) bool { n++; return true })
	return n
}

// All returns the group's breakers by key, in no particular order.
func (g *Group) All() iter.Seq2[string, *Breaker] {
	return func(yield func(string, *Breaker) bool) {
		g.m.Range(func(k, v any) bool { return yield(k.(string), v.(*member).b) })
	}
}

// Sweep evicts every breaker that is closed, in [ModeNormal], and has not
// been returned by [Group.Get] since the previous Sweep, and returns how
// many it evicted. Open, half-open and operator-moded breakers are kept, so
// eviction never forgets a failing dependency or an operator's decision.
func (g *Group) Sweep() int {
	n := 0
	g.m.Range(func(k, v any) bool {
		m := v.(*member)
		if m.used.Swap(false) {
			return true
		}
		cur := m.b.cur.Load()
		if cur.state == StateClosed && cur.mode == ModeNormal && g.m.CompareAndDelete(k, v) {
			n++
		}
		return true
	})
	return n
}

// Run calls [Group.Sweep] every interval until ctx is done, then returns
// ctx's error. A breaker is thus evicted after being idle for between one
// and two intervals.
func (g *Group) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			g.Sweep()
		}
	}
}
