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
