package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
