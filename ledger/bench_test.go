package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/devskyy/devskyy/internal/durable"
	"github.com/devskyy/devskyy/ledger"
)

// benchEntry encodes to about 512 bytes.
func benchEntry() ledger.Entry {
	return ledger.Entry{
		Type: "upstream.timeout", Severity: ledger.SeverityHigh, Component: "pricing-agent",
		Message: "request to upstream pricing service timed out after 30s while computing quote " + strings.Repeat("x", 190),
		RunID:   "run-2026-11-26", RequestID: "req-0123456789",
	}
}

func benchWriters(b *testing.B, d ledger.Durability, writers int) {
	l, err := ledger.Open(b.TempDir(), ledger.Options{Durability: d})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	runWriters(b, l, writers)
}

// runWriters records b.N entries into l from the given number of
// goroutines and reports records per second and CPU per record.
func runWriters(b *testing.B, l *ledger.Ledger, writers int) {
	ctx := context.Background()
	e := benchEntry()
	var n atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for n.Add(1) <= int64(b.N) {
				if _, err := l.Record(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rec/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	// What set the rate: records per fsync, and the fsync's own time.
	if st := l.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Records)/float64(st.Commits), "rec/commit")
		b.ReportMetric(float64(st.CommitTime.Microseconds())/float64(st.Commits), "commit-us")
	}
}

// BenchmarkRecord measures Record on the file store with 512-byte entries.
func BenchmarkRecord(b *testing.B) {
	for _, c := range []struct {
		d       ledger.Durability
		writers int
	}{
		{ledger.GroupCommit, 16}, {ledger.GroupCommit, 64}, {ledger.NoSync, 1}, {ledger.SyncEach, 1}, {ledger.SyncInterval, 1},
	} {
		b.Run(fmt.Sprintf("%s/writers=%d", c.d, c.writers), func(b *testing.B) { benchWriters(b, c.d, c.writers) })
	}
	// The two ceilings of group commit, measured in the same run, so that
	// the rates above can be read against this machine's disk and CPU.
	//
	// cpu: group commit over a store whose Append and Sync do nothing;
	// what is left is redaction, fingerprint, encoding, the hash
	// chain, and the queueing, parking and waking of each writer: the rate
	// the CPU alone allows.
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("ceiling/cpu/writers=%d", writers), func(b *testing.B) {
			l, err := ledger.New(nullStore{}, ledger.Options{Durability: ledger.GroupCommit})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			runWriters(b, l, writers)
		})
	}
	// fsync: what the disk alone allows: one op writes a batch of that
	// many framed records into space zero-filled beforehand, as the file
	// store does, and fdatasyncs it. rec/s is batch records per op: the
	// most a group of that many writers could reach with free CPU.
	for _, batch := range []int{16, 64} {
		b.Run(fmt.Sprintf("ceiling/fsync/batch=%d", batch), func(b *testing.B) { benchFsync(b, batch) })
	}
}

// nullStore is a Store that keeps nothing: appends and syncs succeed at
// once and scans are empty.
type nullStore struct{}

func (nullStore) Append(context.Context, []ledger.Record, bool) error { return nil }
func (nullStore) Sync(context.Context) error                          { return nil }
func (nullStore) Head(context.Context) (ledger.Position, error)       { return ledger.Position{}, nil }
func (nullStore) Anchor(context.Context) (ledger.Position, error)     { return ledger.Position{}, nil }
func (nullStore) Close() error                                        { return nil }
func (nullStore) Scan(context.Context, ledger.Filter) iter.Seq2[ledger.Record, error] {
	return func(func(ledger.Record, error) bool) {}
}

// framedSize is about the size of benchEntry in a segment: the encoded
// entry, the chain fields and the frame.
const framedSize = 640

func benchFsync(b *testing.B, batch int) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{'x'}, batch*framedSize)
	const chunk = 1 << 20
	zeros := make([]byte, chunk)
	size := int64(b.N) * int64(len(buf))
	for off := int64(0); off < size; off += chunk {
		if _, err := f.WriteAt(zeros, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
			b.Fatal(err)
		}
		if err := durable.DataSync(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rec/s")
}

// BenchmarkRecordDistinct measures Record (NoSync, one goroutine) when
// every entry's message differs, as with messages formatted with ids: the
// default fingerprint is then computed for each record instead of being
// found among the remembered ones, as it is in BenchmarkRecord.
func BenchmarkRecordDistinct(b *testing.B) {
	l, err := ledger.Open(b.TempDir(), ledger.Options{Durability: ledger.NoSync})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	e := benchEntry()
	msgs := make([]string, 4096)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("request %d to upstream pricing service timed out after 30s while computing quote %s", i, strings.Repeat("x", 186))
	}
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		e.Message = msgs[i%len(msgs)]
		i++
		if _, err := l.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rec/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
