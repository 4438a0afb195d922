package ledger

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkAppendGrowth appends 512-byte records (NoSync, one goroutine)
// to file ledgers that already hold n records. Each ledger is built once,
// by the parent benchmark, with large store-level batches, so the 1M case
// stays quick to set up; the cost per append must not depend on n.
func BenchmarkAppendGrowth(b *testing.B) {
	e := Entry{
		Type: "upstream.timeout", Severity: SeverityHigh, Component: "pricing-agent",
		Message: "request to upstream pricing service timed out after 30s while computing quote " + strings.Repeat("x", 190),
		RunID:   "run-2026-11-26", RequestID: "req-0123456789",
	}
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			s, err := OpenFileStore(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			head := Position{}
			for done := 0; done < n; {
				k := min(10_000, n-done)
				rs := makeRecords(head, k, e.Message)
				if err := s.Append(context.Background(), rs, false); err != nil {
					b.Fatal(err)
				}
				head = Position{Seq: rs[k-1].Seq, Hash: rs[k-1].Hash}
				done += k
			}
			l, err := New(s, Options{Durability: NoSync})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.Run("devskyy", func(b *testing.B) {
				for b.Loop() {
					if _, err := l.Record(context.Background(), e); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rec/s")
			})
		})
	}
}
