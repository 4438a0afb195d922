package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
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
	// The first caller to find no write in progress waits until the other
	// Record calls in progress have queued their records (at most 1 ms),
	// writes everything queued, syncs once and wakes the others; each call
	// returns only once its record is durable.
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
	store     Store
	opts      Options
	deny      []string
	defaultFP bool      // Options.Fingerprint was nil: DefaultFingerprint, called directly
	keepsData bool      // the store may keep Record.Data: give it a copy, not a pooled buffer
	bufs      sync.Pool // *recBuf
	fps       [fpSlots]atomic.Pointer[fpMemo]

	mu       sync.Mutex // guards the fields below
	head     Position
	closed   bool
	failed   error
	cur      *batch   // the batch being filled (group commit)
	spare    []Record // a written batch's slice, cleared, for the next batch
	flushing bool     // a leader is writing a batch
	lastSync time.Time
	gatherCh chan struct{} // closed when every active Record call has queued (see commit)
	stats    Stats

	// active counts the GroupCommit Record calls between entry and
	// return; gathering reports whether a writer waits on gatherCh. Both
	// are read without mu on every call.
	active    atomic.Int64
	gathering atomic.Bool

	inflight sync.WaitGroup // Record and Run calls in progress
	done     chan struct{}  // closed by Close, stops Run
}

// batch is a group of records written with one write and one sync.
type batch struct {
	recs []Record
	// wake carries, in its buffer of one, the token that makes exactly one
	// waiter the batch's writer, and is closed when the batch is written:
	// a waiter receives once, from one channel (a two-channel select
	// measured about 10% of a 64-writer group commit's CPU).
	wake chan struct{}
	err  error
}

// newBatch returns an empty batch. l.mu is held.
func (l *Ledger) newBatch() *batch {
	b := &batch{recs: l.spare, wake: make(chan struct{}, 1)}
	l.spare = nil
	return b
}

// recBuf is the scratch space of one Record call, pooled: the encode
// buffer, whose first prefixRoom bytes are kept free for the chain fields
// (so the body is never copied), and the one-record slice given to the
// store.
type recBuf struct {
	buf  []byte
	recs [1]Record
}

// maxPooledBuf is the largest encode buffer kept in the pool.
const maxPooledBuf = 64 << 10

func (l *Ledger) getBuf() *recBuf {
	if rb, ok := l.bufs.Get().(*recBuf); ok {
		return rb
	}
	return &recBuf{buf: make([]byte, 0, 2048)}
}

func (l *Ledger) putBuf(rb *recBuf) {
	rb.recs[0] = Record{} // drop the references to the caller's data
	if cap(rb.buf) <= maxPooledBuf {
		l.bufs.Put(rb)
	}
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
	_, fileStore := store.(*FileStore) // copies Data into its write buffer in Append
	l := &Ledger{store: store, opts: o, head: head, done: make(chan struct{}),
		defaultFP: opts.Fingerprint == nil, keepsData: !fileStore}
	l.cur = l.newBatch()
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
//
// Everything but the chain link is done by the calling goroutine before it
// takes the ledger's lock: redaction, fingerprint and encoding. Under the
// lock, Record only writes the sequence number and previous hash in front
// of the encoded body and hashes the result.
func (l *Ledger) Record(ctx context.Context, e Entry) (ID, error) {
	if err := ctx.Err(); err != nil {
		return ID{}, err
	}
	if l.opts.Durability == GroupCommit {
		l.active.Add(1)
		defer l.leave()
	}
	rb := l.getBuf()
	defer l.putBuf(rb)
	rec := &rb.recs[0]
	rec.Entry = e
	x := &rec.Entry
	if x.Time.IsZero() {
		x.Time = time.Now()
	}
	if x.ID.IsZero() {
		x.ID = newIDAt(x.Time) // one clock read for both
	}
	x.Time = x.Time.UTC()
	if x.RunID == "" {
		x.RunID = RunIDFrom(ctx)
	}
	if x.RequestID == "" {
		x.RequestID = RequestIDFrom(ctx)
	}
	x.Redactions = redactEntry(x, l.deny)
	if x.Fingerprint == "" {
		if l.defaultFP {
			x.Fingerprint = l.fingerprint(x)
		} else {
			c := *x // the hook gets its own copy, never the pooled one
			x.Fingerprint = l.opts.Fingerprint(&c)
		}
	}
	rb.buf = appendEntryMembers(slices.Grow(rb.buf[:0], prefixRoom+1024)[:prefixRoom], x)
	if len(rb.buf)-prefixRoom+1 > l.opts.MaxEntrySize { // +1: the body's '{'
		return ID{}, ErrTooLarge
	}
	sctx := ctx
	if ctx.Done() != nil {
		sctx = context.WithoutCancel(ctx)
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
	data := putPrefix(rb.buf, seq, l.head.Hash)
	l.head = Position{Seq: seq, Hash: hashOf(data)}
	x.Seq = seq
	rec.Seq, rec.Hash, rec.Data = seq, l.head.Hash, data
	if l.keepsData {
		rec.Data = bytes.Clone(data)
	}

	if l.opts.Durability != GroupCommit {
		var t0 time.Time
		if l.opts.Durability == SyncEach {
			t0 = time.Now()
		}
		err := l.store.Append(sctx, rb.recs[:], l.opts.Durability == SyncEach)
		if err == nil {
			l.stats.Records++
			if l.opts.Durability == SyncEach {
				l.stats.commit(time.Since(t0))
			}
		}
		if err == nil && l.opts.Durability == SyncInterval {
			if now := time.Now(); now.Sub(l.lastSync) >= l.opts.SyncInterval {
				l.lastSync = now
				err = l.store.Sync(sctx)
			}
		}
		if err != nil {
			l.failed = fmt.Errorf("%w: %w", ErrStopped, err)
		}
		l.mu.Unlock()
		if err != nil {
			return ID{}, err
		}
		return x.ID, nil
	}

	l.inflight.Add(1)
	defer l.inflight.Done()
	b := l.cur
	b.recs = append(b.recs, *rec)
	if l.gathering.Load() {
		l.checkFull()
	}
	if !l.flushing {
		l.flushing = true
		l.mu.Unlock()
		l.commit(b)
	} else {
		l.mu.Unlock()
		if _, lead := <-b.wake; lead {
			l.commit(b)
		}
	}
	if b.err != nil {
		return ID{}, b.err
	}
	return x.ID, nil
}

// fpMemo is a remembered default fingerprint: fp is
// DefaultFingerprint of an entry with this type, message and stack. It is
// never modified once published.
type fpMemo struct{ typ, msg, stack, fp string }

const (
	fpSlots    = 64   // remembered fingerprints, direct-mapped
	maxMemoLen = 2048 // longest type+message+stack remembered
)

// fingerprint returns DefaultFingerprint(e), remembering it for the
// entry's exact type, message and stack. Most entries repeat a message
// (a slog call site has a constant message; attributes carry the
// variable parts), so most calls are a string comparison instead of a
// normalisation and a SHA-256. A slot is chosen from the lengths and a few
// bytes of the strings; a different triple in the slot is simply
// replaced. At most fpSlots*maxMemoLen bytes of strings are kept alive.
func (l *Ledger) fingerprint(e *Entry) string {
	n := len(e.Type) + len(e.Message) + len(e.Stack)
	if n > maxMemoLen {
		return DefaultFingerprint(e)
	}
	h := uint32(len(e.Message))*0x9e3779b1 ^ uint32(len(e.Type))<<8 ^ uint32(len(e.Stack))<<16
	if m := e.Message; m != "" {
		h ^= uint32(m[0]) ^ uint32(m[len(m)/2])<<5 ^ uint32(m[len(m)-1])<<10
	}
	if t := e.Type; t != "" {
		h ^= uint32(t[len(t)-1]) << 13
	}
	slot := &l.fps[(h*0x85ebca6b)>>26%fpSlots]
	if m := slot.Load(); m != nil && m.msg == e.Message && m.typ == e.Type && m.stack == e.Stack {
		return m.fp
	}
	fp := DefaultFingerprint(e)
	slot.Store(&fpMemo{typ: e.Type, msg: e.Message, stack: e.Stack, fp: fp})
	return fp
}

// maxGather bounds how long the writer of a batch waits for Record calls
// still preparing their records (see commit).
const maxGather = time.Millisecond

// commit is called by the writer of b: the caller that found no write in
// progress, or a waiter of b that received its lead token. It first lets b
// fill: while some Record calls that are in progress have not queued their
// records yet (they are encoding, or were just released by the previous
// batch and are on their way back), it waits until they have, or for at
// most maxGather. Then it closes b to new records, writes it with one
// Append (one write and one fsync for the file store), wakes b's callers
// and hands the writer role to a caller waiting in the next batch, if any.
//
// Waiting for the calls in progress rather than writing at once makes the
// batches as large as the number of concurrent writers: an fsync costs far
// more than encoding a record (on small virtual machines it also burns
// a core for much of its duration), so fewer, fuller batches give the
// most records per second. A single writer never waits: it is the only call in
// progress.
func (l *Ledger) commit(b *batch) {
	l.mu.Lock()
	if l.cur == b && int64(len(b.recs)) < l.active.Load() {
		ch := make(chan struct{})
		l.gatherCh = ch
		l.gathering.Store(true)
		l.checkFull() // a call may have left between the test and the Store
		l.mu.Unlock()
		t := time.NewTimer(maxGather)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
		if l.gatherCh == ch {
			l.gatherCh = nil
			l.gathering.Store(false)
		}
	}
	if l.cur == b {
		l.cur = l.newBatch()
	}
	failed := l.failed
	l.mu.Unlock()
	var took time.Duration
	if failed != nil {
		b.err = failed
	} else {
		t0 := time.Now()
		err := l.store.Append(context.Background(), b.recs, true)
		took = time.Since(t0)
		if err != nil {
			b.err = err
			l.mu.Lock()
			if l.failed == nil {
				l.failed = fmt.Errorf("%w: %w", ErrStopped, err)
			}
			l.mu.Unlock()
		}
	}
	recs := b.recs
	clear(recs)
	close(b.wake) // b.recs is not read after this point; no token is left in it
	l.mu.Lock()
	if b.err == nil {
		l.stats.Records += uint64(len(recs))
		l.stats.commit(took)
	}
	if cap(recs) <= 4096 {
		l.spare = recs[:0]
	}
	if len(l.cur.recs) > 0 {
		l.cur.wake <- struct{}{} // one token: exactly one waiter becomes the writer
	} else {
		l.flushing = false
	}
	l.mu.Unlock()
}

// checkFull wakes the writer waiting in commit once every GroupCommit
// Record call in progress has queued its record. l.mu is held.
//
// A call leaving Record decrements active before it reads gathering, and
// commit sets gathering before it calls checkFull: so either the leaving
// call sees gathering and calls checkFull, or commit's checkFull sees the
// decrement.
func (l *Ledger) checkFull() {
	if l.gatherCh != nil && int64(len(l.cur.recs)) >= l.active.Load() {
		close(l.gatherCh)
		l.gatherCh = nil
		l.gathering.Store(false)
	}
}

// leave ends a GroupCommit Record call.
func (l *Ledger) leave() {
	l.active.Add(-1)
	if l.gathering.Load() {
		l.mu.Lock()
		l.checkFull()
		l.mu.Unlock()
	}
}

func hashOf(data []byte) Hash { return sha256.Sum256(data) }

// Stats are a Ledger's write counters since [Open] or [New], for
// monitoring. Records/Commits is how many records share an fsync, and
// CommitTime/Commits how long a durable write takes: the two numbers that
// set group commit's rate (see the package doc, Durability).
type Stats struct {
	// Records is the number of records written to the store (for which
	// Record returned nil).
	Records uint64
	// Commits is the number of durable writes: store appends that end
	// with a sync, one per batch in GroupCommit mode and one per record
	// in SyncEach mode. The NoSync and SyncInterval modes make none.
	Commits uint64
	// CommitTime is the total time of those writes, sync included.
	CommitTime time.Duration
	// MaxCommit is the longest of them.
	MaxCommit time.Duration
}

// commit counts one durable write that took d.
func (s *Stats) commit(d time.Duration) {
	s.Commits++
	s.CommitTime += d
	s.MaxCommit = max(s.MaxCommit, d)
}

// Stats returns the ledger's counters.
func (l *Ledger) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

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
