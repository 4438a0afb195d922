package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devskyy/devskyy/internal/durable"
)

// rec returns a valid record: name with versions 1.0.0..1.0.<n-1>, alias
// "production" on the last, moved there once per version.
func rec(name string, n int) Model {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := Model{Name: name, Generation: uint64(n), Aliases: map[string]string{}}
	from := ""
	for i := range n {
		v := "1.0." + string(rune('0'+i))
		m.Versions = append(m.Versions, Version{
			Model: name, Version: v, Artifact: "a.bin", Digest: "sha256:" + strings.Repeat("0", 64), RegisteredAt: at,
		})
		m.History = append(m.History, AliasMove{Alias: "production", From: from, To: v, At: at, Generation: uint64(i + 1)})
		m.Aliases["production"] = v
		from = v
	}
	return m
}

func mustOpen(t *testing.T, p string) *FileStore {
	t.Helper()
	s, err := OpenFileStore(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func loadAll(t *testing.T, s *FileStore) []Model {
	t.Helper()
	all, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestDiffRecord(t *testing.T) {
	old := rec("m", 2)
	checked := rec("m", 2)
	checked.Generation = 3
	checked.Versions[0].LastCheck = &Check{At: old.Versions[0].RegisteredAt, Passed: true}
	rewritten := rec("m", 2)
	rewritten.Generation = 3
	rewritten.History[0].Who = "someone else"
	removed := rec("m", 2)
	removed.Generation = 3
	removed.Versions = removed.Versions[1:]
	tests := map[string]struct {
		next       Model
		whole      bool
		versions   int
		keep, hist int
	}{
		"inserted version":  {next: rec("m", 3), versions: 1, keep: 2, hist: 1},
		"changed version":   {next: checked, versions: 1, keep: 2},
		"history rewritten": {next: rewritten, keep: 0, hist: 2},
		"version removed":   {next: removed, whole: true},
	}
	for name, tc := range tests {
		r := diffRecord(&old, &tc.next, 2)
		got := []int{len(r.Versions), r.HistoryKeep, len(r.History)}
		if tc.whole {
			if r.Model == nil {
				t.Errorf("%s: not a whole-state record", name)
			}
		} else if diff := cmp.Diff([]int{tc.versions, tc.keep, tc.hist}, got); diff != "" {
			t.Errorf("%s: versions, keep, history (-want +got):\n%s", name, diff)
		}
		applied, err := r.apply(old.clone())
		if err != nil {
			t.Fatalf("%s: apply: %v", name, err)
		}
		if diff := cmp.Diff(tc.next, applied); diff != "" {
			t.Errorf("%s: applied (-want +got):\n%s", name, diff)
		}
	}
	m := rec("m", 1)
	for name, r := range map[string]journalRecord{
		"whole with delta":   {Prev: 1, Name: "m", Generation: 2, Model: &m, HistoryKeep: 1},
		"whole of another":   {Prev: 1, Name: "x", Generation: 1, Model: &m},
		"delta of new model": {Prev: 0, Name: "m", Generation: 1},
		"keep too long":      {Prev: 1, Name: "m", Generation: 2, HistoryKeep: 9},
		"keep negative":      {Prev: 1, Name: "m", Generation: 2, HistoryKeep: -1},
	} {
		if _, err := r.apply(rec("m", 1)); err == nil {
			t.Errorf("%s: nil error", name)
		}
	}
}

// TestFileStoreSyncFailure: a record whose sync fails is cut off again and
// the Put fails with nothing changed; if the cut fails too, the store takes
// no more writes until reopened, which finds the state before.
func TestFileStoreSyncFailure(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "r.json")
	s := mustOpen(t, p)
	if err := s.Put(ctx, rec("m", 1), 0); err != nil {
		t.Fatal(err)
	}
	fails := 1
	s.sync = func(f *os.File) error {
		if fails > 0 {
			fails--
			return errors.New("eio")
		}
		return durable.DataSync(f)
	}
	if err := s.Put(ctx, rec("m", 2), 1); err == nil {
		t.Fatal("Put with a failing sync: nil error")
	}
	if diff := cmp.Diff([]Model{rec("m", 1)}, loadAll(t, s)); diff != "" {
		t.Errorf("after the failed Put (-want +got):\n%s", diff)
	}
	if err := s.Put(ctx, rec("m", 2), 1); err != nil {
		t.Fatalf("Put after a failed one: %v", err)
	}
	fails = 2 // the record's sync and the cut's
	if err := s.Put(ctx, rec("m", 3), 2); err == nil {
		t.Fatal("Put with a failing sync: nil error")
	}
	for name, err := range map[string]error{
		"Put":     s.Put(ctx, rec("m", 3), 2),
		"Compact": s.Compact(ctx),
	} {
		if err == nil || !strings.Contains(err.Error(), "reopen") {
			t.Errorf("%s on a broken store: %v", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close of a broken store: %v", err)
	}
	if diff := cmp.Diff([]Model{rec("m", 2)}, loadAll(t, mustOpen(t, p))); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
}

// TestFileStoreCompaction: the journal is compacted into the snapshot when
// it reaches its limits, and before a Put would take it past its maximum.
func TestFileStoreCompaction(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "r.json")
	s := mustOpen(t, p)
	s.limits = compactLimits{bytes: 1 << 20, records: 3, max: maxJournalBytes}
	s.dueRecords = 3
	for gen := 1; gen <= 7; gen++ {
		if err := s.Put(ctx, rec("m", gen), uint64(gen-1)); err != nil {
			t.Fatal(err)
		}
	}
	if s.jrecords != 1 {
		t.Errorf("journal records after 7 Puts with a limit of 3: %d", s.jrecords)
	}
	if diff := cmp.Diff([]Model{rec("m", 7)}, loadAll(t, mustOpen(t, p))); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
	// The byte limit.
	s.limits.records, s.dueRecords, s.dueBytes = 1000, 1000, 100
	if err := s.Put(ctx, rec("m", 8), 7); err != nil || s.jrecords != 0 {
		t.Errorf("Put over the byte limit: %v, %d records left", err, s.jrecords)
	}
	// The maximum: the second Put does not fit beside the first.
	if err := s.Put(ctx, rec("m", 9), 8); err != nil {
		t.Fatal(err)
	}
	s.limits.max, s.dueBytes = s.jsize+100, 1<<20
	if err := s.Put(ctx, rec("m", 10), 9); err != nil || s.jrecords != 1 {
		t.Errorf("Put past the maximum: %v, %d records", err, s.jrecords)
	}
	s.limits.max = 100
	if err := s.Put(ctx, rec("m", 11), 10); !errors.Is(err, ErrInvalid) {
		t.Errorf("record larger than the maximum: %v", err)
	}
	if diff := cmp.Diff([]Model{rec("m", 10)}, loadAll(t, mustOpen(t, p))); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
}

// TestFileStoreCompactionFailure: a compaction that cannot write the
// snapshot does not fail the Put that triggered it; it is retried later, and
// Compact and Close report it.
func TestFileStoreCompactionFailure(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "r.json")
	s := mustOpen(t, p)
	s.limits.records, s.dueRecords = 2, 2
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil { // the snapshot's name is taken
		t.Fatal(err)
	}
	for gen := 1; gen <= 3; gen++ {
		if err := s.Put(ctx, rec("m", gen), uint64(gen-1)); err != nil {
			t.Fatalf("Put %d: %v", gen, err)
		}
	}
	if s.jrecords != 3 || s.dueRecords != 4 {
		t.Errorf("after a failed compaction: %d records, next at %d", s.jrecords, s.dueRecords)
	}
	if err := s.Compact(ctx); err == nil {
		t.Error("Compact: nil error")
	}
	if err := s.Close(); err == nil {
		t.Error("Close: nil error")
	}
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Model{rec("m", 3)}, loadAll(t, mustOpen(t, p))); diff != "" {
		t.Errorf("reopened from the journal (-want +got):\n%s", diff)
	}
}

// TestFileStoreOpenErrors: files that cannot be read are errors.
func TestFileStoreOpenErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := os.Mkdir(p+journalSuffix, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileStore(p); err == nil {
		t.Error("journal is a directory: nil error")
	}
	// A journal that cannot be opened for writing fails the Put, not the
	// store's state.
	q := filepath.Join(dir, "missing", "r.json")
	s := mustOpen(t, q)
	if err := s.Put(context.Background(), rec("m", 1), 0); err == nil {
		t.Error("Put into a missing directory: nil error")
	}
}

// TestReplayBadRecords: a record whose checksum holds but whose content is
// wrong is an error even when it is the last one.
func TestReplayBadRecords(t *testing.T) {
	m1, m2 := rec("m", 1), rec("m", 2)
	invalid := rec("m", 2)
	invalid.Versions[0].Digest = "md5:x"
	tests := map[string][]byte{
		"not json":          []byte(`{"prev":`),
		"unknown field":     []byte(`{"prev":0,"x":1}`),
		"trailing data":     []byte(`{"prev":1} {}`),
		"generation":        []byte(`{"prev":1,"name":"m","generation":1}`),
		"gap":               recordJSON(m2, rec("m", 3), 2),
		"invalid result":    recordJSON(m1, invalid, 1),
		"bad delta":         []byte(`{"prev":1,"name":"m","generation":2,"history_keep":7}`),
		"whole, wrong name": []byte(`{"prev":1,"name":"m","generation":2,"model":{"name":"x","generation":2,"versions":[]}}`),
	}
	for name, payload := range tests {
		data := journalOf(recordJSON(Model{}, m1, 0), payload)
		_, err := replayJournal(data, map[string]Model{})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "offset ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
