package ledger

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devskyy/devskyy/internal/durable"
)

// ErrLocked is returned by Open and OpenFileStore when another process (or
// another FileStore in this process) holds the directory.
var ErrLocked = errors.New("ledger: directory is locked by another process")

// CorruptError reports damaged data: a record whose checksum, framing,
// payload or chain link is wrong. Open returns it for damage inside the
// log (corruption followed by valid records); Query and Verify return it
// when they reach the damage.
type CorruptError struct {
	Segment string // segment file name
	Offset  int64  // byte offset of the damaged frame in the segment
	Seq     uint64 // sequence number of the record expected there (0 if unknown)
	Reason  string
}

// Error implements error.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("ledger: corrupt record %d at offset %d of segment %s: %s", e.Seq, e.Offset, e.Segment, e.Reason)
}

// FileStore is the default [Store]: a directory of append-only segment
// files. Create it with [OpenFileStore] (or [Open], which wraps it in a
// Ledger); the zero value is not usable. It is safe for concurrent use.
//
// # Layout
//
//	LOCK                       flock(2)-ed while open (Unix; advisory)
//	00000000000000000001.seg   segment: records from sequence 1
//	00000000000000000001.sum   summary of a sealed segment (JSON)
//	00000000000000004097.seg   the active segment (the last one)
//	ANCHOR                     chain position before the first retained record
//	CHECKPOINTS                signed checkpoints, one JSON object per line
//	*.seg.torn-<unix-nanos>    a torn tail cut off by recovery, kept for inspection
//
// # Recovery
//
// Open reads only the summaries of sealed segments and scans the active
// one, so its cost is bounded by Options.SegmentSize, not by the ledger's
// size. In the active segment, the first damaged frame starts a tail that is
// either torn (no complete later write batch follows: the bytes are moved to
// a sidecar file and the segment is cut there) or corrupt (a later batch,
// written only after this one was synced, follows: Open fails with a
// *CorruptError naming the segment, offset and record).
type FileStore struct {
	dir  string
	opts Options
	lock *os.File

	wmu     sync.Mutex // serialises Append, Sync, rotation and Close; guards the fields below
	active  *os.File
	wbuf    []byte // frames appended but not yet written (modes without sync)
	written int64  // bytes of the active segment written to the file
	alloc   int64  // bytes of the active segment allocated (zero-filled) so far
	broken  error  // a failed write: nothing more is appended
	lastCkp uint64

	mu       sync.Mutex // guards the fields below (held briefly, never across I/O)
	segs     []*segment // ordered; the last is the active one
	head     Position
	anchor   Position
	closed   bool
	pending  bool // the active segment has unsynced records
	activeSz int64
}

// segment is one segment file.
type segment struct {
	first uint64
	name  string
	sum   summary // complete for sealed segments; for the active one, kept up to date by Append
}

func segName(first uint64) string { return fmt.Sprintf("%020d.seg", first) }

// OpenFileStore opens the store in dir, creating the directory (mode 0700)
// if needed, takes its lock and recovers the active segment. It uses the
// file-store fields of opts (SegmentSize, MaxAge, MaxTotalSize, SigningKey,
// Logger).
func OpenFileStore(dir string, opts Options) (*FileStore, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := lockFile(lf); err != nil {
		lf.Close()
		if errors.Is(err, ErrLocked) {
			return nil, err
		}
		return nil, fmt.Errorf("ledger: locking: %w", err)
	}
	s := &FileStore{dir: dir, opts: o, lock: lf}
	if err := s.load(); err != nil {
		if s.active != nil {
			s.active.Close()
		}
		lf.Close()
		return nil, err
	}
	return s, nil
}

func (s *FileStore) path(name string) string { return filepath.Join(s.dir, name) }

func (s *FileStore) logWarn(msg string, args ...any) {
	if s.opts.Logger != nil {
		s.opts.Logger.Warn(msg, args...)
	}
}

// load reads the anchor, the summaries and recovers the active segment.
func (s *FileStore) load() error {
	if b, err := os.ReadFile(s.path("ANCHOR")); err == nil {
		a, err := decodeAnchor(b)
		if err != nil {
			return &CorruptError{Segment: "ANCHOR", Reason: err.Error()}
		}
		s.anchor = a
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ledger: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	var firsts []uint64
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".seg") || len(name) != 24 {
			continue
		}
		n, err := strconv.ParseUint(name[:20], 10, 64)
		if err != nil || n == 0 {
			continue
		}
		firsts = append(firsts, n)
	}
	slices.Sort(firsts)
	// Finish a retention pass that a crash interrupted: segments wholly
	// before the anchor go.
	for len(firsts) > 1 && firsts[1] <= s.anchor.Seq+1 {
		os.Remove(s.path(segName(firsts[0])))
		os.Remove(s.path(strings.TrimSuffix(segName(firsts[0]), ".seg") + ".sum"))
		firsts = firsts[1:]
	}
	if len(firsts) == 0 {
		return s.createSegment(s.anchor.Seq + 1)
	}
	if firsts[0] > s.anchor.Seq+1 {
		return &CorruptError{Segment: segName(firsts[0]), Seq: s.anchor.Seq + 1, Reason: "segments missing before this one"}
	}
	head := s.anchor
	for i, first := range firsts {
		seg := &segment{first: first, name: segName(first)}
		if first != head.Seq+1 && !(i == 0 && first <= s.anchor.Seq+1) {
			return &CorruptError{Segment: seg.name, Seq: head.Seq + 1, Reason: "segment does not continue the previous one"}
		}
		if i < len(firsts)-1 {
			sum, err := s.loadSummary(seg)
			if err != nil {
				return err
			}
			seg.sum = sum
			head = Position{Seq: sum.Last, Hash: sum.LastHash}
			s.segs = append(s.segs, seg)
			continue
		}
		// The active segment: scan and recover its tail.
		if err := s.recoverActive(seg, head); err != nil {
			return err
		}
	}
	return nil
}

func sumName(seg *segment) string { return strings.TrimSuffix(seg.name, ".seg") + ".sum" }

// loadSummary reads a sealed segment's summary, rebuilding it by a scan when
// it is missing or unreadable (a crash during rotation).
func (s *FileStore) loadSummary(seg *segment) (summary, error) {
	if b, err := os.ReadFile(s.path(sumName(seg))); err == nil {
		if sum, err := decodeSummary(b, seg.first); err == nil {
			return sum, nil
		}
	}
	sum := newSummary(seg.first)
	f, err := os.Open(s.path(seg.name))
	if err != nil {
		return sum, fmt.Errorf("ledger: %w", err)
	}
	defer f.Close()
	for r, err := range scanFile(context.Background(), f, seg.name, -1, &sum, true) {
		if err != nil {
			return sum, err
		}
		_ = r
	}
	if sum.Count == 0 {
		return sum, &CorruptError{Segment: seg.name, Seq: seg.first, Reason: "sealed segment is empty"}
	}
	if err := s.writeSummary(seg.name, &sum); err != nil {
		return sum, err
	}
	return sum, nil
}

func (s *FileStore) writeSummary(segname string, sum *summary) error {
	b, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := durable.Replace(s.path(strings.TrimSuffix(segname, ".seg")+".sum"), b, 0o600); err != nil {
		return fmt.Errorf("ledger: writing summary: %w", err)
	}
	return nil
}

// recoverActive scans the active segment, cuts a torn tail into a sidecar
// file, and opens the segment for appending.
func (s *FileStore) recoverActive(seg *segment, prev Position) error {
	p := s.path(seg.name)
	buf, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	// Preallocated space at the end is zero: the log ends at the last
	// non-zero byte (every frame ends with '\n').
	nz := len(buf)
	for nz > 0 && buf[nz-1] == 0 {
		nz--
	}
	res, err := recoverTail(buf[:nz], seg.name, seg.first, prev)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	s.active = f
	s.alloc = int64(len(buf))
	switch {
	case res.rewriteHeader:
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if _, err := f.WriteAt([]byte(segMagic), 0); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		s.alloc = int64(len(segMagic))
	case res.cut < int64(nz):
		side := fmt.Sprintf("%s.torn-%d", seg.name, time.Now().UnixNano())
		if err := writeSynced(s.path(side), buf[res.cut:nz]); err != nil {
			return err
		}
		if err := syncDir(s.dir); err != nil {
			return err
		}
		if _, err := f.WriteAt(make([]byte, int64(nz)-res.cut), res.cut); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		s.logWarn("ledger: torn tail cut off", "segment", seg.name, "offset", res.cut, "bytes", int64(nz)-res.cut, "sidecar", side)
	}
	seg.sum = res.sum
	s.segs = append(s.segs, seg)
	s.activeSz = max(res.cut, int64(len(segMagic)))
	s.written = s.activeSz
	s.head = prev
	if res.sum.Count > 0 {
		s.head = Position{Seq: res.sum.Last, Hash: res.sum.LastHash}
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// createSegment creates and syncs an empty segment and makes it active.
func (s *FileStore) createSegment(first uint64) error {
	name := segName(first)
	f, err := os.OpenFile(s.path(name), os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	_, err = f.Write([]byte(segMagic))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("ledger: creating segment: %w", err)
	}
	s.active = f
	s.alloc = int64(len(segMagic))
	s.written = s.alloc
	s.mu.Lock()
	s.segs = append(s.segs, &segment{first: first, name: name, sum: newSummary(first)})
	s.activeSz = int64(len(segMagic))
	if s.head.Seq == 0 {
		s.head = s.anchor
	}
	s.mu.Unlock()
	return nil
}

// Append implements [Store]. The records go to the active segment in one
// write; with sync they are fsynced before Append returns. A segment that
// has reached Options.SegmentSize is sealed first (summary, checkpoint,
// retention).
func (s *FileStore) Append(ctx context.Context, recs []Record, sync bool) error {
	if len(recs) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	closed, head, size := s.closed, s.head, s.activeSz
	act := s.segs[len(s.segs)-1]
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if s.broken != nil {
		return s.broken
	}
	if recs[0].Seq != head.Seq+1 {
		return errSeqGap
	}
	if size >= s.opts.SegmentSize && act.sum.Count > 0 {
		if err := s.rotate(); err != nil {
			s.broken = err
			return err
		}
		s.mu.Lock()
		act = s.segs[len(s.segs)-1]
		size = s.activeSz
		s.mu.Unlock()
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq != recs[i-1].Seq+1 {
			return errSeqGap
		}
	}
	for i := range recs {
		s.wbuf = appendFrame(s.wbuf, recs[i].Data, i == len(recs)-1)
	}
	if sync || len(s.wbuf) >= writeBuffer {
		if err := s.flushBuf(); err != nil {
			return err
		}
	}
	if sync {
		if err := s.syncActive(); err != nil {
			s.broken = fmt.Errorf("ledger: syncing segment: %w", err)
			return s.broken
		}
	}
	last := recs[len(recs)-1]
	s.mu.Lock()
	end := size
	for i := range recs {
		end += int64(frameHeader + len(recs[i].Data) + 1)
		act.sum.add(&recs[i].Entry, recs[i].Hash, end)
	}
	s.activeSz = end
	s.head = Position{Seq: last.Seq, Hash: last.Hash}
	s.pending = !sync
	s.mu.Unlock()
	return nil
}

// writeBuffer is how many bytes of frames the modes without sync (NoSync,
// SyncInterval) collect in memory before writing them.
const writeBuffer = 64 << 10

// flushBuf writes the buffered frames. wmu is held.
func (s *FileStore) flushBuf() error {
	if len(s.wbuf) == 0 {
		return nil
	}
	if err := s.preallocate(s.written + int64(len(s.wbuf))); err != nil {
		s.broken = err
		return err
	}
	if _, err := s.active.WriteAt(s.wbuf, s.written); err != nil {
		s.broken = fmt.Errorf("ledger: writing segment: %w", err)
		return s.broken
	}
	s.written += int64(len(s.wbuf))
	s.wbuf = s.wbuf[:0]
	return nil
}

// preallocChunk is the step by which the active segment is zero-filled
// ahead of the writes: overwriting allocated blocks lets fdatasync skip the
// file system journal, which roughly halves its latency on ext4.
const preallocChunk = 1 << 20

// syncActive fdatasyncs the active segment. When less than half a chunk
// of zero-filled space is left ahead of the writes, the next chunk is
// zero-filled at the same time by a goroutine that ends before syncActive
// returns: fdatasync mostly waits for the device, so the zero-fill is
// taken off the writers' path. Its error is dropped here; the zero-fill
// that flushBuf does when the space runs out reports it. wmu is held.
func (s *FileStore) syncActive() error {
	if !s.prefills() || s.alloc-s.written >= preallocChunk/2 {
		return durable.DataSync(s.active)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.preallocate(s.alloc + preallocChunk) })
	err := durable.DataSync(s.active)
	wg.Wait()
	return err
}

// prefills reports whether the active segment is zero-filled ahead of the
// writes: in the modes that sync every write.
func (s *FileStore) prefills() bool {
	return s.opts.Durability == GroupCommit || s.opts.Durability == SyncEach
}

// preallocate zero-fills the active segment up to at least end, in the
// modes that sync every write (GroupCommit, SyncEach). In the others an
// fsync is rare and the zero-fill would only double the bytes written: the
// segment grows with its writes. wmu is held.
func (s *FileStore) preallocate(end int64) error {
	if end <= s.alloc || !s.prefills() {
		return nil
	}
	target := (end + preallocChunk - 1) / preallocChunk * preallocChunk
	zeros := make([]byte, 64<<10)
	for off := s.alloc; off < target; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), target-off)
		if _, err := s.active.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("ledger: extending segment: %w", err)
		}
	}
	s.alloc = target
	return nil
}

// seal cuts the preallocated zeros off the active segment and syncs it.
// wmu is held.
func (s *FileStore) seal() error {
	if err := s.flushBuf(); err != nil {
		return err
	}
	s.mu.Lock()
	size := s.activeSz
	s.mu.Unlock()
	if err := s.active.Truncate(size); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	s.alloc = size
	if err := s.active.Sync(); err != nil {
		return fmt.Errorf("ledger: syncing segment: %w", err)
	}
	return nil
}

// rotate seals the active segment and starts a new one. wmu is held.
func (s *FileStore) rotate() error {
	if err := s.seal(); err != nil {
		return err
	}
	s.mu.Lock()
	act := s.segs[len(s.segs)-1]
	sum := act.sum
	sum.Size = s.activeSz
	head := s.head
	s.mu.Unlock()
	if err := s.writeSummary(act.name, &sum); err != nil {
		return err
	}
	if err := s.checkpoint(head); err != nil {
		return err
	}
	old := s.active
	if err := s.createSegment(head.Seq + 1); err != nil {
		s.active = old
		return err
	}
	old.Close()
	return s.applyRetention()
}

// applyRetention deletes the oldest sealed segments that are past MaxAge or
// beyond MaxTotalSize, writing the anchor first. wmu is held.
func (s *FileStore) applyRetention() error {
	if s.opts.MaxAge == 0 && s.opts.MaxTotalSize == 0 {
		return nil
	}
	now := time.Now()
	for {
		s.mu.Lock()
		var total int64
		for _, sg := range s.segs[:len(s.segs)-1] {
			total += sg.sum.Size
		}
		total += s.activeSz
		if len(s.segs) < 2 {
			s.mu.Unlock()
			return nil
		}
		old := s.segs[0]
		s.mu.Unlock()
		expired := s.opts.MaxAge > 0 && now.Sub(old.sum.MaxTime) > s.opts.MaxAge
		tooBig := s.opts.MaxTotalSize > 0 && total > s.opts.MaxTotalSize
		if !expired && !tooBig {
			return nil
		}
		a := Position{Seq: old.sum.Last, Hash: old.sum.LastHash}
		if err := durable.Replace(s.path("ANCHOR"), encodeAnchor(a), 0o600); err != nil {
			return fmt.Errorf("ledger: writing anchor: %w", err)
		}
		s.mu.Lock()
		s.anchor = a
		s.segs = s.segs[1:]
		s.mu.Unlock()
		if err := os.Remove(s.path(old.name)); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		os.Remove(s.path(sumName(old)))
		if err := syncDir(s.dir); err != nil {
			return err
		}
		s.logWarn("ledger: retention deleted a segment", "segment", old.name, "last_seq", old.sum.Last)
	}
}

func encodeAnchor(a Position) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"hash":"%s"}`+"\n", a.Seq, a.Hash)
}

func decodeAnchor(b []byte) (Position, error) {
	var v struct {
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return Position{}, errors.New("unreadable anchor")
	}
	h, err := hex.DecodeString(v.Hash)
	if err != nil || len(h) != 32 {
		return Position{}, errors.New("bad anchor hash")
	}
	var p Position
	p.Seq = v.Seq
	copy(p.Hash[:], h)
	return p, nil
}

// Checkpoint is a signed statement of the chain's head at a time.
type Checkpoint struct {
	Seq       uint64    `json:"seq"`
	Head      string    `json:"head"` // hex SHA-256 of record Seq
	Time      time.Time `json:"time"`
	Signature []byte    `json:"sig"` // ed25519 over "devskyy-ledger-checkpoint\n<seq>\n<head>\n<time RFC 3339>\n"
}

// message returns the bytes a checkpoint signs.
func (c *Checkpoint) message() []byte {
	return fmt.Appendf(nil, "devskyy-ledger-checkpoint\n%d\n%s\n%s\n", c.Seq, c.Head, c.Time.UTC().Format(time.RFC3339Nano))
}

// checkpoint appends a signed checkpoint when a signing key is set. wmu is held.
func (s *FileStore) checkpoint(head Position) error {
	if s.opts.SigningKey == nil || head.Seq == 0 || head.Seq == s.lastCkp {
		return nil
	}
	c := Checkpoint{Seq: head.Seq, Head: head.Hash.String(), Time: time.Now().UTC()}
	c.Signature = ed25519.Sign(s.opts.SigningKey, c.message())
	b, _ := json.Marshal(&c)
	f, err := os.OpenFile(s.path("CHECKPOINTS"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger: writing checkpoint: %w", err)
	}
	s.lastCkp = head.Seq
	return nil
}

// Checkpoints returns the signed checkpoints, oldest first. Ledger.Verify
// checks them when Options.VerifyKey (or SigningKey) is set.
func (s *FileStore) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	b, err := os.ReadFile(s.path("CHECKPOINTS"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	var cs []Checkpoint
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var c Checkpoint
		if err := json.Unmarshal(line, &c); err != nil {
			return nil, &CorruptError{Segment: "CHECKPOINTS", Offset: int64(i), Reason: "unreadable checkpoint"}
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Sync implements [Store].
func (s *FileStore) Sync(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	closed, pending := s.closed, s.pending
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if s.broken != nil {
		return s.broken
	}
	if !pending {
		return nil
	}
	if err := s.flushBuf(); err != nil {
		return err
	}
	if err := durable.DataSync(s.active); err != nil {
		s.broken = fmt.Errorf("ledger: syncing segment: %w", err)
		return s.broken
	}
	s.mu.Lock()
	s.pending = false
	s.mu.Unlock()
	return nil
}

// Head implements [Store].
func (s *FileStore) Head(ctx context.Context) (Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Position{}, ErrClosed
	}
	return s.head, nil
}

// Anchor implements [Store].
func (s *FileStore) Anchor(ctx context.Context) (Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Position{}, ErrClosed
	}
	return s.anchor, nil
}

// Scan implements [Store]. Sealed segments whose summary rules out f are
// skipped unread; the others are streamed with a small buffer.
func (s *FileStore) Scan(ctx context.Context, f Filter) iter.Seq2[Record, error] {
	return s.scan(ctx, f, true)
}

// scanRaw is Scan without decoding the payloads: the records' Entry holds
// only Seq. Verify uses it.
func (s *FileStore) scanRaw(ctx context.Context) iter.Seq2[Record, error] {
	return s.scan(ctx, Filter{}, false)
}

func (s *FileStore) scan(ctx context.Context, f Filter, decode bool) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		// Buffered frames are written first, so that a query sees every
		// record appended before it.
		// wmu is held across the snapshot so that no buffered append
		// slips in between.
		s.wmu.Lock()
		var err error
		if s.broken == nil {
			err = s.flushBuf()
		}
		s.mu.Lock()
		closed := s.closed
		segs := slices.Clone(s.segs)
		sums := make([]summary, len(segs))
		for i, sg := range segs[:len(segs)-1] {
			sums[i] = sg.sum
		}
		activeEnd := s.activeSz
		s.mu.Unlock()
		s.wmu.Unlock()
		if closed {
			yield(Record{}, ErrClosed)
			return
		}
		if err != nil {
			yield(Record{}, err)
			return
		}
		for i, sg := range segs {
			sealed := i < len(segs)-1
			if sealed && sums[i].skip(&f) {
				continue
			}
			file, err := os.Open(s.path(sg.name))
			if err != nil {
				if errors.Is(err, os.ErrNotExist) && sealed && s.retired(sg) {
					continue // deleted by retention since the snapshot
				}
				yield(Record{}, fmt.Errorf("ledger: %w", err))
				return
			}
			limit := activeEnd
			if sealed {
				limit = sums[i].Size
			}
			got := newSummary(sg.first)
			ok := true
			for r, err := range scanFile(ctx, file, sg.name, limit, &got, decode) {
				if err != nil {
					yield(Record{}, err)
					ok = false
					break
				}
				if !yield(r, nil) {
					ok = false
					break
				}
			}
			if ok && sealed && (got.Count != sums[i].Count || got.LastHash != sums[i].LastHash) {
				yield(Record{}, &CorruptError{Segment: sg.name, Offset: got.Size, Seq: got.Last + 1, Reason: "segment does not match its summary"})
				ok = false
			}
			file.Close()
			if !ok {
				return
			}
		}
	}
}

// retired reports whether seg is no longer part of the store.
func (s *FileStore) retired(seg *segment) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !slices.Contains(s.segs, seg)
}

// scanFile streams the records of a segment file up to limit bytes (-1: to
// the end, which must be a frame boundary), accounting them in sum. Without
// decode, only the sequence number is parsed and sum counts records only.
func scanFile(ctx context.Context, f *os.File, name string, limit int64, sum *summary, decode bool) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		var r io.Reader = f
		if limit >= 0 {
			r = io.LimitReader(f, limit)
		}
		br := bufio.NewReaderSize(r, 64<<10)
		corrupt := func(off int64, seq uint64, reason string) {
			yield(Record{}, &CorruptError{Segment: name, Offset: off, Seq: seq, Reason: reason})
		}
		var magic [len(segMagic)]byte
		if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != segMagic {
			corrupt(0, sum.First, "bad segment header")
			return
		}
		off := int64(len(segMagic))
		var hdr [frameHeader]byte
		var frame []byte
		for {
			if err := ctx.Err(); err != nil {
				yield(Record{}, err)
				return
			}
			n, err := io.ReadFull(br, hdr[:])
			if err == io.EOF {
				return
			}
			if err != nil {
				corrupt(off, sum.Last+1, "truncated frame")
				_ = n
				return
			}
			plen := int(uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16 | uint32(hdr[3]&0x7f)<<24)
			if plen < minPayload || plen > maxFrameSize {
				corrupt(off, sum.Last+1, errFrameLen.Error())
				return
			}
			frame = append(frame[:0], hdr[:]...)
			frame = slices.Grow(frame, plen+1)[:frameHeader+plen+1]
			if _, err := io.ReadFull(br, frame[frameHeader:]); err != nil {
				corrupt(off, sum.Last+1, "truncated frame")
				return
			}
			payload, _, size, err := parseFrame(frame)
			if err != nil {
				corrupt(off, sum.Last+1, err.Error())
				return
			}
			data := bytes.Clone(payload)
			var e Entry
			if decode {
				e, _, err = decodePayload(data)
			} else {
				e.Seq, err = payloadSeq(data)
			}
			if err != nil {
				corrupt(off, sum.Last+1, "undecodable payload")
				return
			}
			if e.Seq != sum.Last+1 {
				corrupt(off, sum.Last+1, "out-of-sequence record")
				return
			}
			off += int64(size)
			h := hashOf(data)
			if decode {
				sum.add(&e, h, off)
			} else {
				sum.Count++
				sum.Last = e.Seq
				sum.LastHash = h
				sum.Size = off
			}
			if !yield(Record{Seq: e.Seq, Data: data, Hash: h, Entry: e}, nil) {
				return
			}
		}
	}
}

// Close implements [Store]: it writes a final checkpoint (with a signing
// key), syncs and closes the active segment and releases the lock. A
// second Close returns nil.
func (s *FileStore) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	head := s.head
	s.mu.Unlock()
	var errs []error
	if s.broken == nil {
		errs = append(errs, s.seal(), s.checkpoint(head))
	}
	errs = append(errs, s.active.Close(), s.lock.Close())
	return errors.Join(errs...)
}

// Dir returns the store's directory.
func (s *FileStore) Dir() string { return s.dir }

var _ Store = (*FileStore)(nil)

// syncDir fsyncs the ledger directory, making created and renamed entries
// durable.
func syncDir(dir string) error {
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("ledger: syncing directory: %w", err)
	}
	return nil
}
