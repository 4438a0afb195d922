package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestRecoverTailCases(t *testing.T) {
	rs := makeRecords(Position{}, 3, "r")
	frames := func(recs ...Record) []byte {
		b := []byte(segMagic)
		for _, r := range recs {
			b = appendFrame(b, r.Data, true)
		}
		return b
	}
	badJSON := append([]byte(segMagic), appendFrame(nil, []byte(`{"seq":1}`), true)...)
	tests := []struct {
		name    string
		buf     []byte
		count   uint64
		rewrite bool
		reason  string // non-empty: a CorruptError with this reason
	}{
		{"empty", nil, 0, true, ""},
		{"torn header", []byte(segMagic[:3]), 0, true, ""},
		{"bad short header", []byte("XY"), 0, false, "bad segment header"},
		{"bad header", []byte("NOTMAGIC"), 0, false, "bad segment header"},
		{"valid", frames(rs...), 3, false, ""},
		{"undecodable", badJSON, 0, false, "undecodable payload"},
		{"out of sequence", frames(rs[0], rs[2]), 0, false, "out-of-sequence record"},
		{"chain broken", frames(rs[0], makeRecords(Position{Seq: 1}, 1, "x")[0]), 0, false, "hash chain broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := recoverTail(tt.buf, "s", 1, Position{})
			var ce *CorruptError
			if tt.reason != "" {
				if !errors.As(err, &ce) || ce.Reason != tt.reason || !strings.Contains(err.Error(), "ledger: corrupt record") {
					t.Fatalf("err %v, want reason %q", err, tt.reason)
				}
				return
			}
			if err != nil || res.sum.Count != tt.count || res.rewriteHeader != tt.rewrite {
				t.Fatalf("res %+v err %v", res, err)
			}
		})
	}
}

func TestOpenRecoversTornHeaderAndLogs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, segName(1)), []byte("DSL"), 0o600)
	var logs bytes.Buffer
	l, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Record(context.Background(), Entry{Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if l.Store().(*FileStore).Dir() != dir {
		t.Fatal("Dir")
	}
	l.Close()
	// A torn tail is logged.
	p := filepath.Join(dir, segName(1))
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-3], 0o600)
	l, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if !strings.Contains(logs.String(), "torn tail cut off") {
		t.Fatalf("logs: %s", logs.String())
	}
}

func TestOpenErrors(t *testing.T) {
	rs := makeRecords(Position{}, 2, "r")
	tests := []struct {
		name  string
		files map[string][]byte
	}{
		{"bad anchor", map[string][]byte{"ANCHOR": []byte("{")}},
		{"bad anchor hash", map[string][]byte{"ANCHOR": []byte(`{"seq":1,"hash":"zz"}`)}},
		{"missing segments", map[string][]byte{segName(5): []byte(segMagic)}},
		{"gap", map[string][]byte{segName(1): appendFrame([]byte(segMagic), rs[0].Data, true), segName(1) + "x": nil, segName(4): []byte(segMagic)}},
		{"empty sealed", map[string][]byte{segName(1): []byte(segMagic), segName(2): []byte(segMagic)}},
		{"not a directory", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.files == nil {
				dir = filepath.Join(dir, "file")
				os.WriteFile(dir, nil, 0o600)
			}
			for n, b := range tt.files {
				os.WriteFile(filepath.Join(dir, n), b, 0o600)
			}
			if l, err := Open(dir, Options{}); err == nil {
				l.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestAnchorOnlyDirectory(t *testing.T) {
	// Retention may leave an anchor and a single empty active segment.
	dir := t.TempDir()
	a := Position{Seq: 7, Hash: Hash{1}}
	os.WriteFile(filepath.Join(dir, "ANCHOR"), encodeAnchor(a), 0o600)
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Record(context.Background(), Entry{}); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background())
	if err != nil || rep.Anchor != a || rep.Head.Seq != 8 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestSummarySetOverflow(t *testing.T) {
	s := newSummary(1)
	for i := range maxSummarySet + 5 {
		e := Entry{Seq: uint64(i + 1), Type: fmt.Sprint(i), Component: "c"}
		s.add(&e, Hash{}, 10)
	}
	if s.Types != nil || s.Overflow&1 == 0 || s.skip(&Filter{Type: "nope"}) || !s.skip(&Filter{Component: "nope"}) {
		t.Fatalf("%+v", s)
	}
	var empty summary
	if !empty.skip(&Filter{}) {
		t.Fatal("empty summary not skipped")
	}
}

func TestHashText(t *testing.T) {
	h := hashOf([]byte("x"))
	b, _ := h.MarshalText()
	var g Hash
	if err := g.UnmarshalText(b); err != nil || g != h {
		t.Fatal("round trip")
	}
	for _, bad := range []string{"", strings.Repeat("z", 64)} {
		if err := g.UnmarshalText([]byte(bad)); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
	if _, err := payloadSeq([]byte(`{"seq":x,`)); err == nil {
		t.Fatal("payloadSeq accepted x")
	}
	if _, err := payloadSeq([]byte(`nope`)); err == nil {
		t.Fatal("payloadSeq accepted nope")
	}
}

// countingStore counts Sync calls.
type countingStore struct {
	*MemoryStore
	syncs atomic.Int32
}

func (s *countingStore) Sync(ctx context.Context) error {
	s.syncs.Add(1)
	return s.MemoryStore.Sync(ctx)
}

func TestRunSyncsOnInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{MemoryStore: NewMemoryStore()}
		l, err := New(st, Options{Durability: SyncInterval, SyncInterval: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- l.Run(ctx) }()
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if n := st.syncs.Load(); n != 3 {
			t.Fatalf("%d syncs after 3.5 intervals, want 3", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		go func() { done <- l.Run(context.Background()) }()
		synctest.Wait()
		l.Close() // stops Run and waits for it
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := l.Run(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run after Close: %v", err)
		}
	})
}

// syncFailStore fails Sync.
type syncFailStore struct{ *MemoryStore }

func (syncFailStore) Sync(context.Context) error { return errors.New("sync failed") }

func TestRunReportsSyncError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := New(syncFailStore{NewMemoryStore()}, Options{Durability: SyncInterval})
		if err := l.Run(context.Background()); err == nil {
			t.Fatal("Run hid a sync error")
		}
		l.Close()
		l, _ = New(syncFailStore{NewMemoryStore()}, Options{Durability: SyncInterval})
		if _, err := l.Record(context.Background(), Entry{}); err == nil {
			t.Fatal("Record hid a sync error")
		}
		if _, err := l.Record(context.Background(), Entry{}); !errors.Is(err, ErrStopped) {
			t.Fatalf("Record after a sync error: %v", err)
		}
		l.Close()
	})
}

func TestQueryStopsAndErrors(t *testing.T) {
	l, _ := Open(t.TempDir(), Options{SegmentSize: minSegmentSize})
	defer l.Close()
	for i := range 60 {
		l.Record(context.Background(), Entry{Message: fmt.Sprint(i, strings.Repeat("x", 100))})
	}
	n := 0
	for range l.Query(context.Background(), Filter{}) {
		n++
		if n == 2 {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Get(ctx, NewID()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get: %v", err)
	}
	if _, err := l.RunSummary(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunSummary: %v", err)
	}
	if _, err := l.Groups(ctx, Filter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Groups: %v", err)
	}
	if _, err := l.Export(ctx, &bytes.Buffer{}, Filter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Export: %v", err)
	}
	if _, err := l.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify: %v", err)
	}
}

func TestFileStoreAppendChecks(t *testing.T) {
	s, err := OpenFileStore(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rs := makeRecords(Position{}, 3, "x")
	if err := s.Append(context.Background(), rs[1:], true); !errors.Is(err, errSeqGap) {
		t.Fatalf("gap at start: %v", err)
	}
	if err := s.Append(context.Background(), []Record{rs[0], rs[2]}, true); !errors.Is(err, errSeqGap) {
		t.Fatalf("gap inside: %v", err)
	}
	m := NewMemoryStore()
	if err := m.Append(context.Background(), rs[1:], true); !errors.Is(err, errSeqGap) {
		t.Fatalf("memory gap: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Append(ctx, rs, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("memory cancelled: %v", err)
	}
}
