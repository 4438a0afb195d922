package ledger

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// Record is a stored entry: its position in the chain, its canonical JSON
// payload and the decoded entry. The payload holds the sequence number and
// the hash of the previous record; the record's own hash is SHA-256 of Data.
type Record struct {
	Seq   uint64 // position in the chain, from 1
	Data  []byte // canonical JSON payload; stores keep it byte for byte
	Hash  Hash   // SHA-256 of Data, computed by the Ledger (stores may trust it)
	Entry Entry  // the decoded form of Data
}

// Position is a point in the hash chain: a sequence number and the hash of
// the record at it. The zero Position is the start of an empty chain.
type Position struct {
	Seq  uint64
	Hash Hash
}

// Store is where a [Ledger] keeps its records. The file store ([OpenFileStore])
// is the default and [NewMemoryStore] keeps records in memory; other
// implementations (a shared SQL database, say) must pass the conformance kit
// in package ledgertest.
//
// A Ledger serialises Append calls: it never calls Append concurrently with
// another Append, and it calls them in sequence order. Scan, Head, Anchor
// and Sync may be called concurrently with Append and with each other.
type Store interface {
	// Append adds recs, whose sequence numbers continue the store's head
	// without gaps, in order. When sync is true it returns only once the
	// records are durable. On error the store may have kept a prefix of
	// recs; the Ledger then stops accepting records. The recs slice is
	// the caller's and is reused once Append returns: a store that keeps
	// records copies the Record values out of it (their Data and Entry
	// may be kept as they are).
	Append(ctx context.Context, recs []Record, sync bool) error
	// Sync makes every appended record durable.
	Sync(ctx context.Context) error
	// Head returns the position of the last record, or the anchor when
	// the store holds none.
	Head(ctx context.Context) (Position, error)
	// Anchor returns the position just before the first retained record:
	// the zero Position unless retention deleted old records.
	Anchor(ctx context.Context) (Position, error)
	// Scan yields the records in sequence order from the anchor on,
	// stopping at the head as of the call. It may skip records that
	// cannot match f (f is a hint; the Ledger filters again) but must
	// never skip one that matches. A corrupt record is yielded as an error,
	// after which the scan stops.
	Scan(ctx context.Context, f Filter) iter.Seq2[Record, error]
	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// ErrClosed is returned by calls on a closed Ledger or Store.
var ErrClosed = errors.New("ledger: closed")

// Filter selects entries in a query. The zero Filter matches every entry.
type Filter struct {
	Since       time.Time // entries at or after Since (zero: no bound)
	Until       time.Time // entries before Until (zero: no bound)
	MinSeverity Severity  // entries at or above MinSeverity
	Type        string    // exact match when non-empty
	Component   string    // exact match when non-empty
	RequestID   string    // exact match when non-empty
	RunID       string    // exact match when non-empty
	Fingerprint string    // exact match when non-empty
}

// Match reports whether e passes f.
func (f *Filter) Match(e *Entry) bool {
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.Time.Before(f.Until) {
		return false
	}
	return e.Severity >= f.MinSeverity &&
		(f.Type == "" || f.Type == e.Type) &&
		(f.Component == "" || f.Component == e.Component) &&
		(f.RequestID == "" || f.RequestID == e.RequestID) &&
		(f.RunID == "" || f.RunID == e.RunID) &&
		(f.Fingerprint == "" || f.Fingerprint == e.Fingerprint)
}

// MemoryStore is a [Store] that keeps records in memory, for tests and for
// processes that want a queryable ledger without files. Nothing survives the
// process. The zero value is an empty store ready to use, as is the result
// of [NewMemoryStore]. It is safe for concurrent use.
type MemoryStore struct {
	mu     sync.Mutex // guards the fields below
	recs   []Record
	head   Position
	closed bool
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Append implements [Store]; sync is ignored.
func (s *MemoryStore) Append(ctx context.Context, recs []Record, sync bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for _, r := range recs {
		if r.Seq != s.head.Seq+1 {
			return errSeqGap
		}
		r.Data = append([]byte(nil), r.Data...)
		s.recs = append(s.recs, r)
		s.head = Position{Seq: r.Seq, Hash: r.Hash}
	}
	return nil
}

var errSeqGap = errors.New("ledger: record sequence does not continue the head")

// Sync implements [Store]; it only reports ErrClosed.
func (s *MemoryStore) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Head implements [Store].
func (s *MemoryStore) Head(ctx context.Context) (Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Position{}, ErrClosed
	}
	return s.head, nil
}

// Anchor implements [Store]; a memory store never deletes, so it is zero.
func (s *MemoryStore) Anchor(ctx context.Context) (Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Position{}, ErrClosed
	}
	return Position{}, nil
}

// Scan implements [Store].
func (s *MemoryStore) Scan(ctx context.Context, f Filter) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		s.mu.Lock()
		recs, closed := s.recs, s.closed // append-only: the prefix never changes
		s.mu.Unlock()
		if closed {
			yield(Record{}, ErrClosed)
			return
		}
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(Record{}, err)
				return
			}
			if !f.Match(&r.Entry) {
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Close implements [Store]. It is idempotent.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
