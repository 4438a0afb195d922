package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// makeRecords builds n chained records continuing head.
func makeRecords(head Position, n int, msg string) []Record {
	var rs []Record
	for i := range n {
		e := Entry{ID: NewID(), Type: "t", Message: msg, Seq: head.Seq + 1}
		e.Time = e.ID.Time().UTC()
		data := appendPayload(nil, head.Seq+1, head.Hash, appendBody(nil, &e))
		head = Position{Seq: head.Seq + 1, Hash: hashOf(data)}
		rs = append(rs, Record{Seq: head.Seq, Data: data, Hash: head.Hash, Entry: e})
		_ = i
	}
	return rs
}

// buildTail writes acked records (one batch each) and then one last batch
// of three records; it returns the segment bytes, the offset where the last
// batch starts, and the acked ids.
func buildTail(t *testing.T, dir string) (seg []byte, lastBatch int64, acked []ID) {
	t.Helper()
	s, err := OpenFileStore(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	head := Position{}
	for range 4 {
		rs := makeRecords(head, 1, "acked")
		if err := s.Append(ctx, rs, true); err != nil {
			t.Fatal(err)
		}
		head = Position{Seq: rs[0].Seq, Hash: rs[0].Hash}
		acked = append(acked, rs[0].Entry.ID)
	}
	lastBatch = s.activeSz
	if err := s.Append(ctx, makeRecords(head, 3, "last"), true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	seg, err = os.ReadFile(filepath.Join(dir, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	return seg, lastBatch, acked
}

// checkReopen opens dir and checks that the acked records are there, the
// chain verifies and (when record is set) a new record is accepted.
func checkReopen(t *testing.T, dir string, acked []ID, record bool, what string) {
	t.Helper()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", what, err)
	}
	defer l.Close()
	seen := map[ID]bool{}
	for e, err := range l.Query(context.Background(), Filter{}) {
		if err != nil {
			t.Fatalf("%s: query: %v", what, err)
		}
		seen[e.ID] = true
	}
	for _, id := range acked {
		if !seen[id] {
			t.Fatalf("%s: acknowledged record %v lost", what, id)
		}
	}
	if _, err := l.Verify(context.Background()); err != nil {
		t.Fatalf("%s: verify: %v", what, err)
	}
	if record {
		if _, err := l.Record(context.Background(), Entry{Message: "after"}); err != nil {
			t.Fatalf("%s: record: %v", what, err)
		}
	}
}

// TestTornTailEveryOffset truncates, zero-fills or corrupts the last write
// batch at every byte offset and reopens: no acknowledged record may be
// lost and no corruption may be reported.
func TestTornTailEveryOffset(t *testing.T) {
	t.Parallel()
	seg, last, acked := buildTail(t, t.TempDir())
	mutations := []struct {
		name string
		f    func(b []byte, x int) []byte
	}{
		{"truncate", func(b []byte, x int) []byte { return b[:x] }},
		{"zero-tail", func(b []byte, x int) []byte {
			for i := x; i < len(b); i++ {
				b[i] = 0
			}
			return b
		}},
		{"garbage-tail", func(b []byte, x int) []byte {
			for i := x; i < len(b); i++ {
				b[i] = byte(i*7 + 1)
			}
			return b
		}},
		{"flip-byte", func(b []byte, x int) []byte { b[x] ^= 0x5a; return b }},
	}
	// Frame boundaries of the last batch, where off-by-one bugs live.
	edges := map[int]bool{}
	for off := int(last); off < len(seg); {
		_, _, size, err := parseFrame(seg[off:])
		if err != nil {
			t.Fatal(err)
		}
		for d := -1; d <= 1; d++ {
			edges[off+d] = true
		}
		off += size
	}
	dir := t.TempDir()
	full := 0
	for _, m := range mutations {
		for x := int(last); x < len(seg); x++ {
			// Every offset through the recovery logic itself...
			b := m.f(append([]byte(nil), seg...), x)
			nz := len(b)
			for nz > 0 && b[nz-1] == 0 {
				nz--
			}
			res, err := recoverTail(b[:nz], segName(1), 1, Position{})
			if err != nil || res.sum.Count < uint64(len(acked)) || res.cut < last {
				t.Fatalf("%s at %d: recovered %d records, cut at %d, err %v", m.name, x, res.sum.Count, res.cut, err)
			}
			// ...and through a full reopen (files, sidecar, query,
			// verify) at every frame edge and every 32nd offset, to
			// keep the test's fsyncs bounded.
			if !edges[x] && x%32 != 0 {
				continue
			}
			full++
			os.RemoveAll(dir)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, segName(1)), b, 0o600); err != nil {
				t.Fatal(err)
			}
			checkReopen(t, dir, acked, x%64 == 0, m.name+" at "+itoa(x))
		}
	}
	t.Logf("%d offsets x %d mutations checked; %d full reopens", len(seg)-int(last), len(mutations), full)
}

func itoa(x int) string { return string(appendInt(nil, x)) }

func appendInt(b []byte, x int) []byte {
	if x >= 10 {
		b = appendInt(b, x/10)
	}
	return append(b, byte('0'+x%10))
}

// TestTornTailKeptInSidecar checks that the bytes cut off are kept.
func TestTornTailKeptInSidecar(t *testing.T) {
	dir := t.TempDir()
	seg, last, acked := buildTail(t, dir)
	cut := int(last) + 20
	if err := os.WriteFile(filepath.Join(dir, segName(1)), seg[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	checkReopen(t, dir, acked, true, "torn")
	side, _ := filepath.Glob(filepath.Join(dir, segName(1)+".torn-*"))
	if len(side) != 1 {
		t.Fatalf("sidecars: %v", side)
	}
	b, _ := os.ReadFile(side[0])
	if string(b) != string(seg[last:cut]) {
		t.Fatalf("sidecar holds %q, want %q", b, seg[last:cut])
	}
}

// TestCorruptionFollowedByValid flips a byte in an early record of the
// active segment: later batches follow, so Open must fail naming it.
func TestCorruptionFollowedByValid(t *testing.T) {
	for _, x := range []int{0, 3, 7, 8, 40, 100} {
		dir := t.TempDir()
		seg, _, _ := buildTail(t, dir)
		// The second record starts after the header and the first frame.
		_, _, size, err := parseFrame(seg[len(segMagic):])
		if err != nil {
			t.Fatal(err)
		}
		off := len(segMagic) + size
		seg[off+x] ^= 0x01
		os.WriteFile(filepath.Join(dir, segName(1)), seg, 0o600)
		_, err = Open(dir, Options{})
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("flip at %d: open error %v, want *CorruptError", x, err)
		}
		if ce.Segment != segName(1) || ce.Offset != int64(off) || ce.Seq != 2 {
			t.Fatalf("flip at %d: %+v, want segment %s offset %d record 2", x, ce, segName(1), off)
		}
	}
}

// TestFlippedByteEarlierSegment flips every byte of a sealed segment in
// turn: Verify must always report it.
func TestFlippedByteEarlierSegment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentSize: minSegmentSize, Durability: NoSync})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; len(l.store.(*FileStore).segs) < 3; i++ {
		if _, err := l.Record(context.Background(), Entry{Message: "m " + itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	p := filepath.Join(dir, segName(1))
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	l, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for x := range orig {
		f.WriteAt([]byte{orig[x] ^ 0x20}, int64(x))
		_, err := l.Verify(context.Background())
		var ce *CorruptError
		var ve *VerifyError
		if !errors.As(err, &ce) && !errors.As(err, &ve) {
			t.Fatalf("flip at offset %d of %s not detected: %v", x, segName(1), err)
		}
		f.WriteAt(orig[x:x+1], int64(x))
	}
	if _, err := l.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}
