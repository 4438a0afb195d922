package registry

import (
	"sync"
	"sync/atomic"
	"time"
)

// EventKind names a lifecycle event. The zero EventKind is never
// published.
type EventKind string

// Lifecycle events, in the order an activation produces them.
const (
	EventRegistered EventKind = "registered"  // a new version was registered
	EventAliasMoved EventKind = "alias_moved" // SetAlias moved or removed an alias
	EventVerified   EventKind = "verified"    // the artifact matched its digest
	EventChecked    EventKind = "checked"     // the loaded model passed its health check
	EventActivated  EventKind = "activated"   // the version became active (or was restored)
	EventRolledBack EventKind = "rolled_back" // a rollback made the version active
	EventFailed     EventKind = "failed"      // a gated step failed; Step and Err say which
)

// An Event describes one lifecycle change. Events are notifications; the
// durable record is the [Model] in the [Store]. An Event is a plain value,
// safe to share once received; the zero Event is never published.
type Event struct {
	Kind    EventKind
	Model   string
	Version string
	Digest  string
	// Alias is the alias moved (ActiveAlias for activations and rollbacks).
	Alias string
	// From is the alias's previous target, "" if none.
	From string
	Who  string
	Why  string
	// Step is the failed step of an EventFailed: "verify", "load",
	// "check" or "switch".
	Step string
	// Err is the failure of an EventFailed, nil otherwise.
	Err error
	At  time.Time
	// Duration is the time the step took (gated loads only).
	Duration time.Duration
}

// A Subscription receives a Registry's events on a buffered channel. Delivery
// never blocks the registry: when the buffer is full the event is dropped and
// counted, so a subscriber sees each event at most once, in the order the
// registry produced it, and learns how many it missed from Dropped.
//
// The zero Subscription is not usable; create one with
// [Registry.Subscribe]. A Subscription is safe for concurrent use.
type Subscription struct {
	c       chan Event
	dropped atomic.Uint64
	hub     *hub
}

// C returns the channel of events. It is closed by Close or by closing the
// registry.
func (s *Subscription) C() <-chan Event { return s.c }

// Dropped reports how many events were dropped because the buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes and closes the channel. It is idempotent.
func (s *Subscription) Close() { s.hub.remove(s) }

// hub fans events out to subscriptions.
type hub struct {
	mu     sync.RWMutex // guards subs, closed; held for reading while sending
	subs   []*Subscription
	closed bool
}

func (h *hub) subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 64
	}
	s := &Subscription{c: make(chan Event, buffer), hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.c)
		return s
	}
	h.subs = append(h.subs, s)
	return s
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.subs {
		if x == s {
			h.subs = append(h.subs[:i], h.subs[i+1:]...)
			close(s.c)
			return
		}
	}
}

func (h *hub) publish(ev Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs {
		select {
		case s.c <- ev:
		default:
			s.dropped.Add(1)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, s := range h.subs {
		close(s.c)
	}
	h.subs = nil
}
