package registry

import (
	"context"
	"slices"
	"strings"
	"sync"
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
	mu     sync.Mutex       // guards models; FileStore also holds it across its file writes
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
