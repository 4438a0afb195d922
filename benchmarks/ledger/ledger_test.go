// Package ledgerbench compares the ledger package with the seed's approach
// (a JSON array rewritten on every record) on the same work: appending one
// 512-byte record to a ledger that already holds n records.
//
// Sizes: the devskyy ledger and the seed file are built once per size (in
// the parent benchmark) and appended to by the sub-benchmarks, at 1k, 10k,
// 100k and 1M existing records. At 1M one seed append reads, decodes,
// re-encodes and rewrites a file of about 600 MB: about 33 s and 3 GB of
// memory per operation here, so the n=1000000 case takes about a minute
// even at -benchtime 1x.
package ledgerbench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/devskyy/devskyy/ledger"
)

// entry encodes to about 512 bytes in the ledger.
func entry() ledger.Entry {
	return ledger.Entry{
		Type: "upstream.timeout", Severity: ledger.SeverityHigh, Component: "pricing-agent",
		Message: "request to upstream pricing service timed out after 30s while computing quote " + strings.Repeat("x", 190),
		RunID:   "run-2026-11-26", RequestID: "req-0123456789",
	}
}

// seedEntry is the seed's record: a dict appended to a JSON array.
type seedEntry struct {
	ID        string            `json:"id"`
	Timestamp string            `json:"timestamp"`
	Type      string            `json:"error_type"`
	Severity  string            `json:"severity"`
	Message   string            `json:"message"`
	Context   map[string]string `json:"context"`
	Stack     string            `json:"stack_trace"`
	RequestID string            `json:"request_id"`
	Agent     string            `json:"agent"`
}

func seedOf(e ledger.Entry) seedEntry {
	return seedEntry{ID: ledger.NewID().String(), Timestamp: time.Now().UTC().Format(time.RFC3339Nano), Type: e.Type,
		Severity: e.Severity.String(), Message: e.Message, Context: map[string]string{"run_id": e.RunID},
		RequestID: e.RequestID, Agent: e.Component}
}

// seedRecord is the seed's ledger write: read the whole file, append, write
// the whole file back.
func seedRecord(path string, e seedEntry) error {
	var all []seedEntry
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &all); err != nil {
			return err
		}
	}
	all = append(all, e)
	out, err := json.Marshal(all)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rec/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDurableAppend (first in this file, so that it runs before
// BenchmarkAppendGrowth leaves gigabytes of seed files to write back)
// measures durable appends (each Record returns once
// its record is fsynced) from concurrent writers: devskyy's group commit
// against the seed's rewrite followed by an fsync, serialised by a mutex
// (the seed has no concurrency control of its own), on a 1k-record ledger.
func BenchmarkDurableAppend(b *testing.B) {
	e := entry()
	for _, writers := range []int{16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			b.Run("devskyy", func(b *testing.B) {
				led, err := ledger.Open(b.TempDir(), ledger.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer led.Close()
				parallel(b, writers, func() error {
					_, err := led.Record(context.Background(), e)
					return err
				})
				// the disk's part: records per fsync and the fsync's time
				if st := led.Stats(); st.Commits > 0 {
					b.ReportMetric(float64(st.Records)/float64(st.Commits), "rec/commit")
					b.ReportMetric(float64(st.CommitTime.Microseconds())/float64(st.Commits), "commit-us")
				}
			})
			b.Run("seed-rewrite", func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "seed.json")
				seed := make([]seedEntry, 1000)
				for i := range seed {
					seed[i] = seedOf(e)
				}
				raw, err := json.Marshal(seed)
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(path, raw, 0o600); err != nil {
					b.Fatal(err)
				}
				var mu sync.Mutex
				parallel(b, writers, func() error {
					mu.Lock()
					defer mu.Unlock()
					if err := seedRecord(path, seedOf(e)); err != nil {
						return err
					}
					f, err := os.Open(path)
					if err != nil {
						return err
					}
					defer f.Close()
					return f.Sync()
				})
			})
		})
	}
}

// BenchmarkAppendGrowth appends one record to ledgers of n records: the
// ledger's cost stays flat, the seed's grows with n.
func BenchmarkAppendGrowth(b *testing.B) {
	e := entry()
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			led, err := ledger.Open(filepath.Join(dir, "ledger"), ledger.Options{Durability: ledger.NoSync})
			if err != nil {
				b.Fatal(err)
			}
			defer led.Close()
			ctx := context.Background()
			seed := make([]seedEntry, n)
			for i := range n {
				if _, err := led.Record(ctx, e); err != nil {
					b.Fatal(err)
				}
				seed[i] = seedOf(e)
			}
			seedPath := filepath.Join(dir, "seed.json")
			raw, err := json.Marshal(seed)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(seedPath, raw, 0o600); err != nil {
				b.Fatal(err)
			}
			// Neither the setup's garbage (gigabytes at 1M) nor the write-back
			// of its files runs during the measurements.
			runtime.GC()
			syscall.Sync()
			b.Run("devskyy", func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					if _, err := led.Record(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
				report(b, cpu0)
			})
			b.Run("seed-rewrite", func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					if err := seedRecord(seedPath, seedOf(e)); err != nil {
						b.Fatal(err)
					}
				}
				report(b, cpu0)
			})
		})
	}
}

func parallel(b *testing.B, writers int, op func() error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for n.Add(1) <= int64(b.N) {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	report(b, cpu0)
}
