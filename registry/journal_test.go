package registry_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/devskyy/devskyy/registry/registrytest"
	"github.com/google/go-cmp/cmp"
)

func openFS(t *testing.T, p string) *registry.FileStore {
	t.Helper()
	s, err := registry.OpenFileStore(p)
	if err != nil {
		t.Fatalf("OpenFileStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t *testing.T, s registry.Store, m registry.Model, prev uint64) {
	t.Helper()
	if err := s.Put(t.Context(), m, prev); err != nil {
		t.Fatalf("Put %s@%d: %v", m.Name, m.Generation, err)
	}
}

func load(t *testing.T, s registry.Store) []registry.Model {
	t.Helper()
	all, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// journalData returns the journal of the snapshot at p without the zeros
// preallocated after its last record.
func journalData(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b, "\x00")
}

// variant copies the snapshot at p (if any) into a new directory beside the
// given journal content, and returns the new snapshot path.
func variant(t *testing.T, p string, journal []byte) string {
	t.Helper()
	q := filepath.Join(t.TempDir(), filepath.Base(p))
	if snap, err := os.ReadFile(p); err == nil {
		if err := os.WriteFile(q, snap, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setJournal(t, q, journal)
	return q
}

// setJournal replaces the journal of the snapshot at q.
func setJournal(t *testing.T, q string, journal []byte) {
	t.Helper()
	if err := os.WriteFile(q+".journal", journal, 0o600); err != nil {
		t.Fatal(err)
	}
}

// moved returns rec at generation gen with one more alias move, "canary"
// to its version: a change the journal records as a delta.
func moved(rec registry.Model, gen uint64) registry.Model {
	v := rec.Versions[0].Version
	rec.Generation = gen
	rec.Aliases = map[string]string{"production": v, "canary": v}
	rec.History = append(rec.History, registry.AliasMove{Alias: "canary", To: v, Who: "test", At: rec.History[0].At, Generation: gen})
	return rec
}

// journalFixture writes a1, b1, compacts, then a2 and b2 (deltas). It
// returns the path, the state before and after the last Put, and the
// journal offsets at which the last two records start.
func journalFixture(t *testing.T) (p string, before, after []registry.Model, offsets [2]int) {
	t.Helper()
	p = filepath.Join(t.TempDir(), "r.json")
	s := openFS(t, p)
	put(t, s, registrytest.Record("a", 1), 0)
	put(t, s, registrytest.Record("b", 1), 0)
	if err := s.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	offsets[0] = len(journalData(t, p))
	put(t, s, moved(registrytest.Record("a", 1), 2), 1)
	offsets[1] = len(journalData(t, p))
	before = load(t, s)
	put(t, s, moved(registrytest.Record("b", 1), 2), 1)
	after = load(t, s)
	return p, before, after, offsets
}

// TestJournalTornTail: a journal cut (or zeroed) anywhere inside its last
// record reopens to the state before that record, and the next Put lands
// after the cut.
func TestJournalTornTail(t *testing.T) {
	p, before, after, offsets := journalFixture(t)
	data := journalData(t, p)
	if got := openFS(t, variant(t, p, data)); !cmp.Equal(load(t, got), after) {
		t.Fatalf("whole journal (-want +got):\n%s", cmp.Diff(after, load(t, got)))
	}
	q := variant(t, p, nil)
	for cut := offsets[1]; cut < len(data); cut++ {
		zeroed := append(bytes.Clone(data[:cut]), make([]byte, len(data)-cut+4096)...)
		for mode, journal := range map[string][]byte{"cut": data[:cut], "zeroed": zeroed} {
			setJournal(t, q, journal)
			s, err := registry.OpenFileStore(q)
			if err != nil {
				t.Fatalf("%s at %d: %v", mode, cut, err)
			}
			if diff := cmp.Diff(before, load(t, s)); diff != "" {
				t.Fatalf("%s at %d (-want +got):\n%s", mode, cut, diff)
			}
			// Only some stores are written to and closed (which compacts),
			// to keep the test fast; the others hold no open file.
			if cut%40 == 0 || cut == len(data)-1 {
				put(t, s, moved(registrytest.Record("b", 1), 2), 1)
				if diff := cmp.Diff(after, load(t, openFS(t, q))); diff != "" {
					t.Fatalf("%s at %d, Put, reopen (-want +got):\n%s", mode, cut, diff)
				}
				s.Close()
				q = variant(t, p, nil) // Close compacted into q's snapshot
			}
		}
	}
}

// TestJournalCorruption: a flipped byte in any record but the last is an
// error naming the record's offset; in the last it is a torn tail.
func TestJournalCorruption(t *testing.T) {
	p, before, _, offsets := journalFixture(t)
	data := journalData(t, p)
	q := variant(t, p, nil)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0xff
		setJournal(t, q, bad)
		s, err := registry.OpenFileStore(q)
		switch {
		case i < 8:
			if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), "bad header") {
				t.Fatalf("byte %d of the header: %v", i, err)
			}
		case i < offsets[1]:
			want := fmt.Sprintf("offset %d:", offsets[0])
			if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), want) {
				t.Fatalf("byte %d: got %v, want an error naming %q", i, err, want)
			}
		default:
			if err != nil {
				t.Fatalf("byte %d of the last record: %v", i, err)
			}
			if diff := cmp.Diff(before, load(t, s)); diff != "" {
				t.Fatalf("byte %d of the last record (-want +got):\n%s", i, diff)
			}
		}
	}
}

// TestJournalInconsistent: records that check out but do not follow on from
// the snapshot are an error wherever they are.
func TestJournalInconsistent(t *testing.T) {
	p, _, _, offsets := journalFixture(t)
	data := journalData(t, p)
	tests := map[string][]byte{
		"bad magic":        []byte("XXXXXXX\n"),
		"short bad magic":  []byte("DX"),
		"record missing":   append([]byte("DSREGJ1\n"), data[offsets[1]:]...),
		"record reordered": append(append([]byte("DSREGJ1\n"), data[offsets[1]:]...), data[offsets[0]:offsets[1]]...),
	}
	for name, journal := range tests {
		q := variant(t, p, journal)
		if err := os.Remove(q); err != nil { // without the snapshot
			t.Fatal(err)
		}
		if _, err := registry.OpenFileStore(q); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestJournalStale: a compaction that renamed its snapshot but stopped
// before emptying the journal leaves records the snapshot holds; they are
// skipped, and later records still apply.
func TestJournalStale(t *testing.T) {
	p, _, after, _ := journalFixture(t)
	old := journalData(t, p)
	s := openFS(t, p)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := journalData(t, p); string(got) != "DSREGJ1\n" {
		t.Fatalf("journal after Close: %q", got)
	}
	if err := os.WriteFile(p+".journal", old, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openFS(t, p)
	if diff := cmp.Diff(after, load(t, s)); diff != "" {
		t.Fatalf("stale journal (-want +got):\n%s", diff)
	}
	next := moved(registrytest.Record("c", 1), 2)
	put(t, s, registrytest.Record("c", 1), 0)
	put(t, s, next, 1)
	if diff := cmp.Diff(append(after, next), load(t, openFS(t, p))); diff != "" {
		t.Errorf("after stale records (-want +got):\n%s", diff)
	}
}

// TestJournalTornHeader: a journal cut inside its header (the crash came
// while it was created) is empty, and rewritten by the first Put.
func TestJournalTornHeader(t *testing.T) {
	for _, journal := range []string{"", "DSR", "DSREGJ1\n\x00\x00"} {
		p := variant(t, filepath.Join(t.TempDir(), "r.json"), []byte(journal))
		s := openFS(t, p)
		if got := load(t, s); len(got) != 0 {
			t.Fatalf("%q: %v", journal, got)
		}
		put(t, s, registrytest.Record("a", 1), 0)
		if diff := cmp.Diff([]registry.Model{registrytest.Record("a", 1)}, load(t, openFS(t, p))); diff != "" {
			t.Errorf("%q: (-want +got):\n%s", journal, diff)
		}
	}
}

// TestFileStoreClose: Close compacts into the snapshot; later writes fail
// with ErrClosed while reads still answer.
func TestFileStoreClose(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	s := openFS(t, p)
	put(t, s, registrytest.Record("a", 1), 0)
	put(t, s, moved(registrytest.Record("a", 1), 2), 1)
	want := load(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Put(t.Context(), registrytest.Record("b", 1), 0); !errors.Is(err, registry.ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if err := s.Compact(t.Context()); !errors.Is(err, registry.ErrClosed) {
		t.Errorf("Compact after Close: %v", err)
	}
	if diff := cmp.Diff(want, load(t, s)); diff != "" {
		t.Errorf("Load after Close (-want +got):\n%s", diff)
	}
	if got := journalData(t, p); string(got) != "DSREGJ1\n" {
		t.Errorf("journal after Close: %q", got)
	}
	if err := os.Remove(p + ".journal"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, load(t, openFS(t, p))); diff != "" {
		t.Errorf("snapshot alone (-want +got):\n%s", diff)
	}
}
