package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/google/renameio/v2"
)

// A Store persists model records. The Registry keeps every record in memory
// and writes through the Store on each change, so a Store needs only three
// operations; a shared SQL table with a generation column is an adapter, not
// a rewrite (UPDATE ... WHERE generation = prev).
//
// Contract, checked by the registrytest conformance kit:
//   - Put(ctx, m, prev) stores m if the stored generation of m.Name equals
//     prev (0: no record may exist) and m.Generation > prev; otherwise it
//     returns an error wrapping [ErrConflict] and changes nothing. A Put that
//     returns any error must leave the stored record as it was (all or
//     nothing).
//   - Get returns the stored record or an error wrapping [ErrNotFound].
//   - Load returns every record, sorted by name.
//   - Records are values: a Store never retains or returns memory its caller
//     can modify.
//   - Implementations are safe for concurrent use.
type Store interface {
	// Load returns every record, sorted by name.
	Load(ctx context.Context) ([]Model, error)
	// Get returns the named record or an error wrapping ErrNotFound.
	Get(ctx context.Context, name string) (Model, error)
	// Put stores m if the stored generation of m.Name equals prev.
	Put(ctx context.Context, m Model, prev uint64) error
}

// MemoryStore is a Store that keeps records in memory, for tests and for
// registries that rebuild their catalogue at start-up. The zero MemoryStore
// is empty and ready to use; it is safe for concurrent use.
type MemoryStore struct {
	catalogue
}

// catalogue is the map of records both stores serve reads from.
type catalogue struct {
	mu     sync.Mutex       // guards models; FileStore also holds it across a snapshot write
	models map[string]Model // deep copies, owned by the store
}

// Load returns copies of every record, sorted by name.
func (s *catalogue) Load(ctx context.Context) ([]Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedModels(s.models), nil
}

// Get returns a copy of the named record.
func (s *catalogue) Get(ctx context.Context, name string) (Model, error) {
	if err := ctx.Err(); err != nil {
		return Model{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.models[name]
	if !ok {
		return Model{}, ErrNotFound
	}
	return m.clone(), nil
}

// Put stores a copy of m if the stored generation equals prev.
func (s *MemoryStore) Put(ctx context.Context, m Model, prev uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkPut(s.models, m, prev); err != nil {
		return err
	}
	if s.models == nil {
		s.models = map[string]Model{}
	}
	s.models[m.Name] = m.clone()
	return nil
}

// checkPut applies the compare-and-set rule of Store.Put.
func checkPut(models map[string]Model, m Model, prev uint64) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if cur := models[m.Name].Generation; cur != prev || m.Generation <= prev {
		return ErrConflict
	}
	return nil
}

func sortedModels(models map[string]Model) []Model {
	out := make([]Model, 0, len(models))
	for _, m := range models {
		out = append(out, m.clone())
	}
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FileStore is a Store backed by one JSON snapshot file. Every Put rewrites
// the snapshot atomically (a temporary file in the same directory, fsync,
// rename over the old snapshot, fsync of the directory), so after a crash
// the file holds either the state before or the state after the Put, and
// [OpenFileStore] reopens exactly that state. A failed Put changes neither the
// file nor the in-memory state, with one exception the file system leaves no
// way around: if only the final directory fsync fails, the renamed snapshot
// is in place but may not survive a power loss, and the store reports the
// error while keeping its previous in-memory state; reopen it to resync.
//
// One FileStore owns its file: two processes must not open the same path
// (use a shared database Store for a fleet). Writes cost one whole-snapshot
// write and two fsyncs, which suits a catalogue of models, not a log.
//
// The zero FileStore is not usable; create one with OpenFileStore. A
// FileStore is safe for concurrent use.
type FileStore struct {
	path string
	catalogue
}

// snapshotFormat names the snapshot encoding.
const snapshotFormat = "devskyy-registry-snapshot/1"

// maxSnapshotBytes caps the snapshot size OpenFileStore reads.
const maxSnapshotBytes = 256 << 20

type snapshot struct {
	Format string  `json:"format"`
	Models []Model `json:"models"`
}

// OpenFileStore opens the snapshot at path, creating nothing until the first
// Put. A missing file is an empty store; a corrupt or inconsistent snapshot is
// an error wrapping [ErrInvalid] (the file is left untouched).
func OpenFileStore(path string) (*FileStore, error) {
	s := &FileStore{path: path, catalogue: catalogue{models: map[string]Model{}}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: open snapshot: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSnapshotBytes+1))
	if err != nil {
		return nil, fmt.Errorf("registry: read snapshot: %w", err)
	}
	models, err := decodeSnapshot(data)
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		s.models[m.Name] = m
	}
	return s, nil
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

// Path returns the snapshot file's path.
func (s *FileStore) Path() string { return s.path }

// Put writes a new snapshot holding m if the stored generation equals prev.
func (s *FileStore) Put(ctx context.Context, m Model, prev uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkPut(s.models, m, prev); err != nil {
		return err
	}
	next := make(map[string]Model, len(s.models)+1)
	for k, v := range s.models {
		next[k] = v
	}
	next[m.Name] = m.clone()
	data, err := encodeSnapshot(sortedModels(next))
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, data); err != nil {
		return fmt.Errorf("registry: write snapshot: %w", err)
	}
	s.models = next
	return nil
}

// writeAtomic replaces path with data: temp file in the same directory,
// fsync, rename, then fsync of the directory so the rename is durable.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := renameio.WriteFile(path, data, 0o600, renameio.WithTempDir(dir)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
