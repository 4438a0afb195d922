package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/devskyy/devskyy/internal/durable"
)

// FileStore is a Store backed by two files: a JSON snapshot at the path given
// to [OpenFileStore], and beside it a journal (the same path plus
// ".journal") of the changes made since the snapshot was written.
//
// Every Put appends one length-prefixed, CRC-32C-checksummed record to the
// journal and syncs it (one write and one fdatasync), and returns only then.
// A model's first record holds its whole state; later ones hold what changed
// since the previous generation (new or changed versions, the alias map, the
// new alias moves), so a record's size does not grow with the alias history.
// The journal is zero-filled ahead of its writes in 1 MiB steps, so that an
// append overwrites allocated blocks and fdatasync need not commit file
// system metadata.
//
// When the journal passes 4 MiB (or the snapshot's size, if larger) or 1024
// records, the Put that crossed the limit also compacts: it writes a new
// snapshot atomically (a temporary file in the same directory, fsync, rename,
// fsync of the directory) and empties the journal. [FileStore.Close] and
// [FileStore.Compact] compact too. A compaction that fails does not fail the
// Put (its record is durable): every record stays in the journal, the
// compaction is tried again after as many records again, and Compact and
// Close report its error.
//
// [OpenFileStore] reads the snapshot, then replays the journal. A crash
// leaves at most the last record torn (incomplete, zeroed, or failing its
// checksum): its Put never returned, so the record is dropped and the store
// reopens to the state before it. Damage followed by a valid record is not a
// torn write but corruption of acknowledged data, and is an error wrapping
// [ErrInvalid] that names the damaged record's offset, as is a record whose
// checksum holds but whose content does not follow on from the state before
// it. A crash during compaction, after the new snapshot was renamed into
// place but before the journal was emptied, leaves records the snapshot
// already holds: replay skips a record whose generation the snapshot has
// reached.
//
// A Put that fails changes neither the files nor the in-memory state: a
// record whose write or sync failed is cut off again. If even that fails, the
// journal's content is unknown and every later Put fails until the store is
// reopened, which reads back the state that is really on disk.
//
// One FileStore owns its files: two processes must not open the same path
// (use a shared database Store for a fleet). A Put costs one small record
// and one fdatasync; a compaction costs a whole-snapshot write and three
// syncs, once per many Puts. A FileStore that is not closed loses nothing:
// its journal is replayed by the next OpenFileStore.
//
// The zero FileStore is not usable; create one with OpenFileStore. A
// FileStore is safe for concurrent use.
type FileStore struct {
	path string
	catalogue

	// The fields below are guarded by catalogue.mu, which is held across
	// journal and snapshot writes.
	journal    *os.File // open for writing after the first write; nil before and after Close
	jsize      int64    // valid journal length, where the next record goes; 0: no valid header yet
	jend       int64    // end of the journal's data when opened: a torn tail from jsize to jend
	alloc      int64    // journal file size: zero-filled from jsize to alloc
	jrecords   int      // records in the journal, applied or stale
	snapSize   int64    // size of the snapshot last read or written
	dueBytes   int64    // journal bytes (after the header) at which a Put compacts
	dueRecords int      // journal records at which a Put compacts
	limits     compactLimits
	sync       func(*os.File) error // datasync; tests inject failures
	broken     error                // a write that could not be undone; Put fails until reopened
	closed     bool
	buf        []byte // frame buffer, reused across Puts
}

// compactLimits are when a FileStore compacts its journal.
type compactLimits struct {
	bytes   int64 // journal bytes that trigger a compaction, unless the snapshot is larger
	records int   // journal records that trigger a compaction
	max     int64 // journal size no Put exceeds: it compacts first
}

// defaultLimits are the documented compaction limits.
func defaultLimits() compactLimits {
	return compactLimits{bytes: 4 << 20, records: 1024, max: maxJournalBytes}
}

// snapshotFormat names the snapshot encoding.
const snapshotFormat = "devskyy-registry-snapshot/1"

// maxSnapshotBytes caps the snapshot size OpenFileStore reads, and
// maxJournalBytes the journal size.
const (
	maxSnapshotBytes = 256 << 20
	maxJournalBytes  = 1 << 30
)

type snapshot struct {
	Format string  `json:"format"`
	Models []Model `json:"models"`
}

// OpenFileStore opens the snapshot at path and replays its journal (path +
// ".journal"), creating nothing until the first Put. Missing files are an
// empty store. A torn last journal record is dropped (and cut off the file by
// the first Put). A corrupt or inconsistent snapshot or journal is an error
// wrapping [ErrInvalid], and the files are left untouched.
func OpenFileStore(path string) (*FileStore, error) {
	s := &FileStore{
		path:      path,
		catalogue: catalogue{models: map[string]Model{}},
		limits:    defaultLimits(),
		sync:      durable.DataSync,
	}
	data, err := readFile(path, maxSnapshotBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("registry: read snapshot: %w", err)
	default:
		models, err := decodeSnapshot(data)
		if err != nil {
			return nil, err
		}
		for _, m := range models {
			s.models[m.Name] = m
		}
		s.snapSize = int64(len(data))
	}
	data, err = readFile(path+journalSuffix, maxJournalBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("registry: read journal: %w", err)
	case len(data) > maxJournalBytes:
		return nil, fmt.Errorf("%w: journal larger than %d bytes", ErrInvalid, maxJournalBytes)
	default:
		st, err := replayJournal(data, s.models)
		if err != nil {
			return nil, err
		}
		s.jsize, s.jend, s.jrecords = int64(st.cut), int64(st.end), st.records
	}
	s.dueBytes, s.dueRecords = max(s.limits.bytes, s.snapSize), s.limits.records
	return s, nil
}

// readFile reads at most limit+1 bytes of path, so that the caller can tell
// a file over the limit.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// decodeSnapshot strictly decodes and validates a snapshot.
func decodeSnapshot(data []byte) ([]Model, error) {
	if len(data) > maxSnapshotBytes {
		return nil, fmt.Errorf("%w: snapshot larger than %d bytes", ErrInvalid, maxSnapshotBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var snap snapshot
	if err := dec.Decode(&snap); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: snapshot: trailing data", ErrInvalid)
	}
	if snap.Format != snapshotFormat {
		return nil, fmt.Errorf("%w: snapshot: unknown format", ErrInvalid)
	}
	for i := range snap.Models {
		if err := snap.Models[i].Validate(); err != nil {
			return nil, fmt.Errorf("snapshot model %d: %w", i, err)
		}
		if i > 0 && snap.Models[i-1].Name >= snap.Models[i].Name {
			return nil, fmt.Errorf("%w: snapshot: models not sorted and unique", ErrInvalid)
		}
	}
	return snap.Models, nil
}

// encodeSnapshot encodes models (sorted by name) deterministically.
func encodeSnapshot(models []Model) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(snapshot{Format: snapshotFormat, Models: models}); err != nil {
		return nil, fmt.Errorf("registry: encode snapshot: %w", err)
	}
	return b.Bytes(), nil
}

// Path returns the snapshot file's path. The journal is Path() + ".journal".
func (s *FileStore) Path() string { return s.path }

// Put appends m to the journal if the stored generation equals prev, and
// compacts when the journal has reached its limit.
func (s *FileStore) Put(ctx context.Context, m Model, prev uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := checkPut(s.models, m, prev); err != nil {
		return err
	}
	old := s.models[m.Name]
	payload, err := json.Marshal(diffRecord(&old, &m, prev))
	if err != nil {
		return fmt.Errorf("registry: encode journal record: %w", err)
	}
	size := int64(frameHeader + len(payload) + 1)
	if len(payload) > maxRecordBytes || int64(len(journalMagic))+size > s.limits.max {
		return fmt.Errorf("%w: model record of %d bytes is too large", ErrInvalid, len(payload))
	}
	if s.jsize+size > s.limits.max {
		if err := s.compact(); err != nil {
			return fmt.Errorf("registry: journal full: %w", err)
		}
	}
	if err := s.writeRecord(payload); err != nil {
		return fmt.Errorf("registry: write journal: %w", err)
	}
	s.models[m.Name] = m.clone()
	if s.jrecords >= s.dueRecords || s.jsize-int64(len(journalMagic)) >= s.dueBytes {
		// The record is durable: a failed compaction does not fail the Put.
		// It is tried again after as many records again.
		if s.compact() != nil {
			s.dueBytes = s.jsize - int64(len(journalMagic)) + max(s.limits.bytes, s.snapSize)
			s.dueRecords = s.jrecords + s.limits.records
		}
	}
	return nil
}

// Compact writes a new snapshot of every record and empties the journal. It
// does nothing if the journal holds no record.
func (s *FileStore) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	return s.compact()
}

// Close compacts the journal (unless an earlier write left it unusable) and
// closes it. Later Puts and Compacts fail with [ErrClosed]; Get and Load
// keep answering from memory. Closing twice does nothing.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	var err error
	if s.broken == nil {
		err = s.compact()
	}
	s.closed = true
	if s.journal != nil {
		err = errors.Join(err, s.journal.Close())
		s.journal = nil
	}
	return err
}

// writable returns why the store takes no writes, or nil.
func (s *FileStore) writable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.broken != nil:
		return fmt.Errorf("registry: journal unusable after a failed write (reopen the store): %w", s.broken)
	}
	return nil
}

// writeRecord appends the frame of payload to the journal and syncs it. On
// failure it cuts the journal back to its previous length; if that fails
// too, the store is broken.
func (s *FileStore) writeRecord(payload []byte) error {
	if err := s.openJournal(); err != nil {
		return err
	}
	s.buf = appendFrame(s.buf[:0], payload)
	err := s.preallocate(s.jsize + int64(len(s.buf)))
	if err == nil {
		_, err = s.journal.WriteAt(s.buf, s.jsize)
		if err == nil {
			err = s.sync(s.journal)
		}
		if err != nil {
			if terr := s.truncate(s.jsize); terr != nil {
				s.broken = terr
			}
		}
	}
	if err != nil {
		return err
	}
	s.jsize += int64(len(s.buf))
	s.jrecords++
	if cap(s.buf) > 1<<20 {
		s.buf = nil // do not keep a large record's buffer
	}
	return nil
}

// preallocChunk is the step by which the journal is zero-filled ahead of
// its writes: overwriting allocated blocks does not change the file's size
// or block map, so fdatasync need not commit the file system's journal,
// which on ext4 roughly halves its latency (and keeps it from waiting for
// other processes' metadata). Replay ignores the zeros after the last
// record.
const preallocChunk = 1 << 20

// preallocate zero-fills the journal up to at least end. The zeros are
// synced by the next record's fdatasync.
func (s *FileStore) preallocate(end int64) error {
	if end <= s.alloc {
		return nil
	}
	target := (end + preallocChunk - 1) / preallocChunk * preallocChunk
	zeros := make([]byte, min(64<<10, target-s.alloc))
	for off := s.alloc; off < target; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), target-off)
		if _, err := s.journal.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("extend journal: %w", err)
		}
	}
	s.alloc = target
	return nil
}

// openJournal opens the journal for writing, writing its header if it has
// no valid one and cutting off a torn tail.
func (s *FileStore) openJournal() error {
	if s.journal != nil {
		return nil
	}
	f, err := os.OpenFile(s.path+journalSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if s.jsize < int64(len(journalMagic)) {
		// New, empty, or torn while being created: write the header and make
		// the file's directory entry durable.
		err = f.Truncate(0)
		if err == nil {
			_, err = f.WriteAt([]byte(journalMagic), 0)
		}
		if err == nil {
			err = f.Sync()
		}
		if err == nil {
			err = durable.SyncDir(filepath.Dir(s.path))
		}
		if err != nil {
			f.Close()
			return err
		}
		s.jsize, s.alloc, s.journal = int64(len(journalMagic)), int64(len(journalMagic)), f
		return nil
	}
	fi, err := f.Stat()
	if err == nil {
		s.alloc = fi.Size()
		if s.jend > s.jsize {
			// A torn tail: cut it (and the zeros after it) before appending.
			err = f.Truncate(s.jsize)
			if err == nil {
				err = s.sync(f)
			}
			s.alloc = s.jsize
		}
	}
	if err != nil {
		f.Close()
		return err
	}
	s.journal = f
	return nil
}

// truncate cuts the journal to n bytes, durably.
func (s *FileStore) truncate(n int64) error {
	if err := s.journal.Truncate(n); err != nil {
		return err
	}
	s.alloc = n
	return s.sync(s.journal)
}

// compact writes a snapshot of every record, then empties the journal. If
// the snapshot cannot be written nothing changed; if the journal cannot be
// emptied after the snapshot was, the files are consistent (replay skips
// records the snapshot holds) but the journal's length is unknown, so the
// store is broken.
func (s *FileStore) compact() error {
	if s.jrecords == 0 {
		return nil
	}
	models := slices.SortedFunc(maps.Values(s.models), func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	data, err := encodeSnapshot(models)
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, data); err != nil {
		return fmt.Errorf("registry: write snapshot: %w", err)
	}
	s.snapSize = int64(len(data))
	err = s.openJournal()
	if err == nil {
		err = s.truncate(int64(len(journalMagic)))
	}
	if err != nil {
		s.broken = err
		return fmt.Errorf("registry: empty journal: %w", err)
	}
	s.jsize, s.jrecords = int64(len(journalMagic)), 0
	s.dueBytes, s.dueRecords = max(s.limits.bytes, s.snapSize), s.limits.records
	return nil
}

// writeAtomic replaces path with data: temp file in the same directory,
// fsync, rename, then fsync of the directory so the rename is durable.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := durable.Replace(path, data, 0o600); err != nil {
		return err
	}
	return durable.SyncDir(dir)
}
