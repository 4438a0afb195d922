package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// Durability says when a record reaches stable storage.
type Durability int8

// The durability modes. The contract "when Record returns nil, the record
// survives a crash of the process or the machine" holds for GroupCommit and
// SyncEach. SyncInterval and NoSync trade it for speed: the file store
// collects their records in a 64 KiB buffer in the process and writes it
// when full, on Sync, on Close and before a query reads the ledger; a crash
// loses what was not yet written (at most 64 KiB) or, for a machine crash,
// not yet synced (with SyncInterval, at most about one interval's records).
const (
	// GroupCommit (the default): concurrent Record calls share one fsync.
	// The first caller to find no write in progress writes everything
	// queued, syncs once and wakes the others; each call returns only once
	// its record is durable.
	GroupCommit Durability = iota
	// SyncEach writes and syncs every record on its own.
	SyncEach
	// SyncInterval buffers records and writes and syncs them when
	// Options.SyncInterval has passed since the last sync (checked on
	// Record, and by Run in the background), and on Close.
	SyncInterval
	// NoSync buffers records and syncs only on Sync and Close.
	NoSync
)

// String returns the name of d.
func (d Durability) String() string {
	switch d {
	case GroupCommit:
		return "group-commit"
	case SyncEach:
		return "sync-each"
	case SyncInterval:
		return "sync-interval"
	case NoSync:
		return "no-sync"
	}
	return fmt.Sprintf("Durability(%d)", int8(d))
}

// Options configures a Ledger and, through [Open] or [OpenFileStore], its file
// store. The zero value means the documented defaults. Options are copied and
// validated by [Open], [New] and [OpenFileStore].
type Options struct {
	// Durability selects when records are synced. Default GroupCommit.
	Durability Durability
	// SyncInterval is the sync period of SyncInterval mode. Default 1s.
	SyncInterval time.Duration

	// SegmentSize is the size at which the file store starts a new
	// segment. Default 16 MiB; minimum 4 KiB.
	SegmentSize int64
	// MaxAge deletes sealed segments whose newest entry is older than
	// MaxAge (file store). Zero keeps everything.
	MaxAge time.Duration
	// MaxTotalSize deletes the oldest sealed segments while the segments
	// take more than MaxTotalSize bytes (file store). Zero means no limit.
	// The active segment is never deleted.
	MaxTotalSize int64
	// SigningKey, when set, makes the file store write an ed25519-signed
	// checkpoint (sequence, head hash, time) on every rotation and on Close.
	SigningKey ed25519.PrivateKey
	// VerifyKey checks checkpoints in Verify. Default: the public half of
	// SigningKey; with neither, checkpoints are not checked.
	VerifyKey ed25519.PublicKey

	// DenyKeys adds attribute keys to the redaction deny list (matched
	// case-insensitively, ignoring '-', '_' and '.', as substrings).
	DenyKeys []string
	// Fingerprint computes an entry's fingerprint when the entry has none.
	// Default [DefaultFingerprint].
	Fingerprint func(e *Entry) string
	// MaxEntrySize caps the encoded size of one entry. Default 1 MiB;
	// larger entries are rejected with ErrTooLarge.
	MaxEntrySize int

	// Logger receives warnings (a torn tail cut off, segments deleted by
	// retention). Nil means silent.
	Logger *slog.Logger
}

const (
	defaultSegmentSize  = 16 << 20
	minSegmentSize      = 4 << 10
	defaultMaxEntrySize = 1 << 20
	maxFrameSize        = 16 << 20
)

func (o Options) withDefaults() (Options, error) {
	if o.Durability < GroupCommit || o.Durability > NoSync {
		return o, fmt.Errorf("ledger: invalid durability %d", int8(o.Durability))
	}
	if o.SyncInterval < 0 || o.SegmentSize < 0 || o.MaxAge < 0 || o.MaxTotalSize < 0 || o.MaxEntrySize < 0 {
		return o, errors.New("ledger: negative option")
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = time.Second
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = defaultSegmentSize
	}
	if o.SegmentSize < minSegmentSize {
		return o, fmt.Errorf("ledger: segment size below %d bytes", minSegmentSize)
	}
	if o.MaxEntrySize == 0 {
		o.MaxEntrySize = defaultMaxEntrySize
	}
	if o.MaxEntrySize > maxFrameSize-1024 {
		return o, fmt.Errorf("ledger: max entry size above %d bytes", maxFrameSize-1024)
	}
	if o.SigningKey != nil && len(o.SigningKey) != ed25519.PrivateKeySize {
		return o, errors.New("ledger: signing key has the wrong length")
	}
	if o.VerifyKey != nil && len(o.VerifyKey) != ed25519.PublicKeySize {
		return o, errors.New("ledger: verify key has the wrong length")
	}
	if o.VerifyKey == nil && o.SigningKey != nil {
		o.VerifyKey = o.SigningKey.Public().(ed25519.PublicKey)
	}
	if o.Fingerprint == nil {
		o.Fingerprint = DefaultFingerprint
	}
	o.DenyKeys = append([]string(nil), o.DenyKeys...)
	return o, nil
}

// ErrTooLarge is returned by Record for an entry whose encoding exceeds
// Options.MaxEntrySize.
var ErrTooLarge = errors.New("ledger: entry too large")

// ErrStopped is wrapped by Record errors after the store failed an append:
// the chain in memory ran ahead of the store, so the Ledger accepts nothing
// more. Close it and open it again to continue from what the store holds.
var ErrStopped = errors.New("ledger: stopped after a store failure")

// Ledger is an append-only, hash-chained record of errors and audit events
// on top of a [Store]. Create one with [Open] (file store) or [New] (any
// store); the zero value is not usable. It is safe for concurrent use.
type Ledger struct {
	store Store
	opts  Options
	deny  []string

	mu       sync.Mutex // guards the fields below
	head     Position
	closed   bool
	failed   error
	cur      *batch // the batch being filled (group commit)
	flushing bool   // a leader is writing a batch
	lastSync time.Time

	inflight sync.WaitGroup // Record and Run calls in progress
	done     chan struct{}  // closed by Close, stops Run
}

// batch is a group of records written with one write and one sync.
type batch struct {
	recs []Record
	done chan struct{} // closed when the batch is written
	lead chan struct{} // receives one token when a waiter must write it
	err  error
}

func newBatch() *batch {
	return &batch{done: make(chan struct{}), lead: make(chan struct{}, 1)}
}

// Open opens (creating it if needed) the file-backed ledger in dir; see
// [OpenFileStore] for the directory layout, locking and recovery.
func Open(dir string, opts Options) (*Ledger, error) {
	s, err := OpenFileStore(dir, opts)
	if err != nil {
		return nil, err
	}
	l, err := New(s, opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	return l, nil
}

// New returns a Ledger that records into store, continuing its chain from
// the store's head. The Ledger owns the store: Close closes it.
func New(store Store, opts Options) (*Ledger, error) {
	if store == nil {
		return nil, errors.New("ledger: nil store")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	head, err := store.Head(context.Background())
	if err != nil {
		return nil, fmt.Errorf("ledger: reading head: %w", err)
	}
	l := &Ledger{store: store, opts: o, head: head, cur: newBatch(), done: make(chan struct{})}
	l.deny = denyList(o.DenyKeys)
	return l, nil
}

// Store returns the ledger's store.
func (l *Ledger) Store() Store { return l.store }

// Head returns the position of the last record accepted (not necessarily
// durable yet in the SyncInterval and NoSync modes).
func (l *Ledger) Head() Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Record redacts, fingerprints and appends e, and returns its ID. It fills
// an empty ID, Time, RunID and RequestID (the last two from ctx, see
// [WithRunID] and [WithRequestID]). When it returns nil in the GroupCommit
// and SyncEach modes, the record is durable.
//
// ctx is checked before the entry is queued; once queued, Record waits for
// the write (one fsync at most) whatever ctx does, so that an acknowledged
// record is never in doubt.
func (l *Ledger) Record(ctx context.Context, e Entry) (ID, error) {
	if err := ctx.Err(); err != nil {
		return ID{}, err
	}
	if e.ID.IsZero() {
		e.ID = NewID()
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if e.RunID == "" {
		e.RunID = RunIDFrom(ctx)
	}
	if e.RequestID == "" {
		e.RequestID = RequestIDFrom(ctx)
	}
	e.Redactions = redactEntry(&e, l.deny)
	if e.Fingerprint == "" {
		e.Fingerprint = l.opts.Fingerprint(&e)
	}
	body := appendBody(make([]byte, 0, 768), &e)
	if len(body) > l.opts.MaxEntrySize {
		return ID{}, ErrTooLarge
	}

	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ID{}, ErrClosed
	}
	if l.failed != nil {
		l.mu.Unlock()
		return ID{}, l.failed
	}
	seq := l.head.Seq + 1
	data := appendPayload(make([]byte, 0, len(body)+96), seq, l.head.Hash, body)
	l.head = Position{Seq: seq, Hash: hashOf(data)}
	e.Seq = seq
	rec := Record{Seq: seq, Data: data, Hash: l.head.Hash, Entry: e}

	if l.opts.Durability != GroupCommit {
		err := l.store.Append(context.WithoutCancel(ctx), []Record{rec}, l.opts.Durability == SyncEach)
		if err == nil && l.opts.Durability == SyncInterval {
			if now := time.Now(); now.Sub(l.lastSync) >= l.opts.SyncInterval {
				l.lastSync = now
				err = l.store.Sync(context.WithoutCancel(ctx))
			}
		}
		if err != nil {
			l.failed = fmt.Errorf("%w: %w", ErrStopped, err)
		}
		l.mu.Unlock()
		if err != nil {
			return ID{}, err
		}
		return e.ID, nil
	}

	l.inflight.Add(1)
	defer l.inflight.Done()
	b := l.cur
	b.recs = append(b.recs, rec)
	if !l.flushing {
		l.flushing = true
		l.cur = newBatch()
		l.mu.Unlock()
		l.flush(b)
	} else {
		l.mu.Unlock()
		select {
		case <-b.done:
		case <-b.lead:
			l.gather(b)
			l.flush(b)
		}
	}
	if b.err != nil {
		return ID{}, b.err
	}
	return e.ID, nil
}

// gather is called by a waiter that became the writer of b. The writers
// of the previous batch were just released; most return to Record within
// microseconds, while a sync takes a millisecond or so. Yielding until b
// stops growing lets them join b instead of forming a batch of their own,
// which would halve the records per sync. Then b is closed to new records.
func (l *Ledger) gather(b *batch) {
	n := -1
	for range 4 {
		l.mu.Lock()
		k := len(b.recs)
		l.mu.Unlock()
		if k == n {
			break
		}
		n = k
		runtime.Gosched()
	}
	l.mu.Lock()
	if l.cur == b {
		l.cur = newBatch()
	}
	l.mu.Unlock()
}

// flush writes b with one Append, then hands the writer role to a waiter of
// the next batch, if any.
func (l *Ledger) flush(b *batch) {
	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	if failed != nil {
		b.err = failed
	} else if err := l.store.Append(context.Background(), b.recs, true); err != nil {
		b.err = err
		l.mu.Lock()
		if l.failed == nil {
			l.failed = fmt.Errorf("%w: %w", ErrStopped, err)
		}
		l.mu.Unlock()
	}
	close(b.done) // release b's writers first, so that they can join the next batch
	l.mu.Lock()
	if len(l.cur.recs) > 0 {
		l.cur.lead <- struct{}{} // one token: exactly one waiter becomes the writer
	} else {
		l.flushing = false
	}
	l.mu.Unlock()
}

func hashOf(data []byte) Hash { return sha256.Sum256(data) }

// Sync makes every record accepted so far durable.
func (l *Ledger) Sync(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.lastSync = time.Now()
	return l.store.Sync(ctx)
}

// Run syncs the store every Options.SyncInterval until ctx is done or the
// ledger is closed. It is useful in SyncInterval mode, where without it a
// quiet ledger syncs only on the next Record or on Close. It returns nil
// when ctx is done or the ledger closed, or the first sync error.
func (l *Ledger) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.inflight.Add(1)
	l.mu.Unlock()
	defer l.inflight.Done()
	t := time.NewTicker(l.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.done:
			return nil
		case <-t.C:
			if err := l.Sync(ctx); err != nil {
				if errors.Is(err, ErrClosed) {
					return nil
				}
				return err
			}
		}
	}
}

// Close waits for Record calls in progress and Run, syncs and closes the
// store. Later calls return ErrClosed; a second Close returns nil.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	l.inflight.Wait()
	var err error
	if l.failed == nil {
		err = l.store.Sync(context.Background())
	}
	return errors.Join(err, l.store.Close())
}

// Query streams the entries matching f in sequence order, reading them from
// the store as it goes (it never loads the ledger into memory). Iteration
// stops at the first error, which is yielded.
func (l *Ledger) Query(ctx context.Context, f Filter) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for r, err := range l.store.Scan(ctx, f) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if f.Match(&r.Entry) && !yield(r.Entry, nil) {
				return
			}
		}
	}
}

// Get returns the entry with the given id, or ErrNotFound. It scans the
// ledger in order, so it costs a full query; use Query with a Filter to
// narrow it.
func (l *Ledger) Get(ctx context.Context, id ID) (Entry, error) {
	for e, err := range l.Query(ctx, Filter{}) {
		if err != nil {
			return Entry{}, err
		}
		if e.ID == id {
			return e, nil
		}
	}
	return Entry{}, ErrNotFound
}

// ErrNotFound is returned by Get when no entry has the id.
var ErrNotFound = errors.New("ledger: entry not found")
