// Package ledgertest is a conformance kit for implementations of
// [ledger.Store]: any store (a shared SQL database, say) must pass [Run]
// before a Ledger can rely on it.
//
//	func TestMyStore(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T) ledger.Store {
//			return mystore.New(t.TempDir())
//		})
//	}
//
// Run calls newStore once per subtest for a fresh, empty store, and closes
// it itself. It checks the Store contract: appends in order, a head and
// anchor that follow them, scans that stream records byte for byte in
// sequence order and never drop a record matching the filter, scans that
// run concurrently with appends, and ErrClosed after Close; and, through a
// ledger.Ledger on top, concurrent recording, queries and chain
// verification.
package ledgertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/devskyy/devskyy/ledger"
)

// Run runs the conformance tests as subtests of t. newStore must return a
// new, empty store each time it is called.
func Run(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.f(t, newStore) })
	}
}

type testCase struct {
	name string
	f    func(t *testing.T, newStore func(t *testing.T) ledger.Store)
}

var cases = []testCase{
	{"EmptyStore", testEmpty},
	{"AppendAndScan", testAppendScan},
	{"FilterNeverDrops", testFilter},
	{"ScanStopsEarly", testScanStop},
	{"ScanDuringAppend", testScanDuringAppend},
	{"LedgerRoundTrip", testLedger},
	{"ConcurrentRecord", testConcurrent},
	{"Closed", testClosed},
}

// check fails the test with msg when ok is false. Keeping every assertion
// behind one call keeps the kit's failure paths in one place.
func check(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

func noErr(t *testing.T, err error, what string) {
	t.Helper()
	check(t, err == nil, "%s: %v", what, err)
}

func open(t *testing.T, newStore func(t *testing.T) ledger.Store) (*ledger.Ledger, ledger.Store) {
	t.Helper()
	s := newStore(t)
	l, err := ledger.New(s, ledger.Options{})
	noErr(t, err, "ledger.New")
	t.Cleanup(func() { l.Close() })
	return l, s
}

// entries returns n entries with varied fields.
func entries(n int) []ledger.Entry {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	es := make([]ledger.Entry, n)
	for i := range es {
		es[i] = ledger.Entry{
			Time:      base.Add(time.Duration(i) * time.Minute),
			Type:      []string{"timeout", "panic", "audit"}[i%3],
			Severity:  ledger.Severity(i % 5),
			Message:   fmt.Sprintf("event %d", i),
			Component: []string{"a", "b"}[i%2],
			RunID:     fmt.Sprintf("run-%d", i%4),
			RequestID: fmt.Sprintf("req-%d", i),
			Attrs:     []slog.Attr{slog.Int("i", i), slog.Group("g", slog.String("s", "v"))},
		}
	}
	return es
}

func record(t *testing.T, l *ledger.Ledger, es []ledger.Entry) []ledger.ID {
	t.Helper()
	ids := make([]ledger.ID, len(es))
	for i, e := range es {
		id, err := l.Record(context.Background(), e)
		noErr(t, err, "Record")
		ids[i] = id
	}
	return ids
}

func scanAll(t *testing.T, s ledger.Store, f ledger.Filter) []ledger.Record {
	t.Helper()
	var rs []ledger.Record
	for r, err := range s.Scan(context.Background(), f) {
		noErr(t, err, "Scan")
		rs = append(rs, r)
	}
	return rs
}

func testEmpty(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	s := newStore(t)
	defer s.Close()
	ctx := context.Background()
	h, err := s.Head(ctx)
	noErr(t, err, "Head")
	a, err := s.Anchor(ctx)
	noErr(t, err, "Anchor")
	check(t, h == a && h == (ledger.Position{}), "empty store: head %v anchor %v, want zero", h, a)
	check(t, len(scanAll(t, s, ledger.Filter{})) == 0, "empty store scanned records")
	noErr(t, s.Sync(ctx), "Sync")
	noErr(t, s.Append(ctx, nil, true), "Append of nothing")
}

func testAppendScan(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, s := open(t, newStore)
	es := entries(30)
	ids := record(t, l, es)
	rs := scanAll(t, s, ledger.Filter{})
	check(t, len(rs) == len(es), "scanned %d records, want %d", len(rs), len(es))
	var prev ledger.Hash
	for i, r := range rs {
		check(t, r.Seq == uint64(i+1) && r.Entry.Seq == r.Seq, "record %d has seq %d (entry %d)", i, r.Seq, r.Entry.Seq)
		check(t, r.Entry.ID == ids[i], "record %d: id %v, want %v", i, r.Entry.ID, ids[i])
		check(t, r.Hash == ledger.Hash(sha(r.Data)), "record %d: Hash is not SHA-256 of Data", i)
		check(t, bytes.Contains(r.Data, []byte(`"prev":"`+prev.String()+`"`)), "record %d does not link to the previous hash", i)
		prev = r.Hash
		e := r.Entry
		check(t, e.Message == es[i].Message && e.Type == es[i].Type && e.Severity == es[i].Severity &&
			e.Component == es[i].Component && e.RunID == es[i].RunID && e.RequestID == es[i].RequestID &&
			e.Time.Equal(es[i].Time), "record %d: entry %+v differs from %+v", i, e, es[i])
		check(t, len(e.Attrs) == 2 && e.Attrs[0].Equal(slog.Int("i", i)), "record %d: attrs %v", i, e.Attrs)
	}
	h, err := s.Head(context.Background())
	noErr(t, err, "Head")
	check(t, h == ledger.Position{Seq: 30, Hash: prev}, "head %v, want seq 30 hash %v", h, prev)
	check(t, h == l.Head(), "store head %v, ledger head %v", h, l.Head())
}

func testFilter(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, s := open(t, newStore)
	es := entries(40)
	record(t, l, es)
	base := es[0].Time
	filters := []ledger.Filter{
		{},
		{MinSeverity: ledger.SeverityHigh},
		{MinSeverity: ledger.SeverityCritical},
		{Type: "panic"},
		{Type: "absent"},
		{Component: "b"},
		{RunID: "run-3"},
		{RequestID: "req-7"},
		{Since: base.Add(10 * time.Minute), Until: base.Add(20 * time.Minute)},
		{Since: base.Add(time.Hour)},
		{Until: base},
		{Type: "audit", Component: "a", MinSeverity: ledger.SeverityLow},
	}
	for _, f := range filters {
		want := 0
		for i := range es {
			e := es[i]
			e.Fingerprint = f.Fingerprint
			if f.Match(&e) {
				want++
			}
		}
		got := 0
		for _, r := range scanAll(t, s, f) {
			if f.Match(&r.Entry) {
				got++
			}
		}
		check(t, got == want, "filter %+v: store yielded %d matching records, want %d", f, got, want)
		q := 0
		for e, err := range l.Query(context.Background(), f) {
			noErr(t, err, "Query")
			check(t, f.Match(&e), "Query yielded a non-matching entry %+v for %+v", e, f)
			q++
		}
		check(t, q == want, "filter %+v: Query yielded %d, want %d", f, q, want)
	}
}

func testScanStop(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, s := open(t, newStore)
	record(t, l, entries(10))
	n := 0
	for range s.Scan(context.Background(), ledger.Filter{}) {
		n++
		if n == 3 {
			break
		}
	}
	check(t, n == 3, "scan did not stop when asked")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	for _, err := range s.Scan(ctx, ledger.Filter{}) {
		if err != nil {
			got = err
			break
		}
	}
	check(t, errors.Is(got, context.Canceled), "scan with a cancelled context: %v, want context.Canceled", got)
}

func testScanDuringAppend(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, s := open(t, newStore)
	record(t, l, entries(5))
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, e := range entries(50) {
			if _, err := l.Record(context.Background(), e); err != nil {
				t.Errorf("Record: %v", err)
				return
			}
		}
	})
	for range 5 {
		var last uint64
		for r, err := range s.Scan(context.Background(), ledger.Filter{}) {
			noErr(t, err, "Scan during appends")
			check(t, r.Seq == last+1, "scan during appends: seq %d after %d", r.Seq, last)
			last = r.Seq
		}
		check(t, last >= 5, "scan during appends saw %d records, want at least 5", last)
	}
	wg.Wait()
}

func testLedger(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, _ := open(t, newStore)
	ids := record(t, l, entries(12))
	rep, err := l.Verify(context.Background())
	noErr(t, err, "Verify")
	check(t, rep.Records == 12 && rep.Head == l.Head(), "verify report %+v", rep)
	e, err := l.Get(context.Background(), ids[7])
	noErr(t, err, "Get")
	check(t, e.ID == ids[7] && e.Message == "event 7", "Get returned %+v", e)
	sum, err := l.RunSummary(context.Background(), "run-1")
	noErr(t, err, "RunSummary")
	check(t, sum.Total == 3, "run summary total %d, want 3", sum.Total)
}

func testConcurrent(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	l, _ := open(t, newStore)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if _, err := l.Record(context.Background(), ledger.Entry{Message: fmt.Sprintf("g%d i%d", g, i)}); err != nil {
					t.Errorf("Record: %v", err)
				}
			}
		})
	}
	wg.Wait()
	rep, err := l.Verify(context.Background())
	noErr(t, err, "Verify")
	check(t, rep.Records == 200, "verified %d records, want 200", rep.Records)
}

func testClosed(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	s := newStore(t)
	l, err := ledger.New(s, ledger.Options{})
	noErr(t, err, "ledger.New")
	record(t, l, entries(2))
	noErr(t, l.Close(), "Close")
	noErr(t, l.Close(), "second Close")
	ctx := context.Background()
	_, err = l.Record(ctx, ledger.Entry{})
	check(t, errors.Is(err, ledger.ErrClosed), "Record after Close: %v, want ErrClosed", err)
	_, err = s.Head(ctx)
	check(t, errors.Is(err, ledger.ErrClosed), "Head after Close: %v, want ErrClosed", err)
	_, err = s.Anchor(ctx)
	check(t, errors.Is(err, ledger.ErrClosed), "Anchor after Close: %v, want ErrClosed", err)
	check(t, errors.Is(s.Sync(ctx), ledger.ErrClosed), "Sync after Close: want ErrClosed")
	check(t, errors.Is(s.Append(ctx, []ledger.Record{{Seq: 3}}, true), ledger.ErrClosed), "Append after Close: want ErrClosed")
	var scanErr error
	for _, err := range s.Scan(ctx, ledger.Filter{}) {
		scanErr = err
	}
	check(t, errors.Is(scanErr, ledger.ErrClosed), "Scan after Close: %v, want ErrClosed", scanErr)
}
