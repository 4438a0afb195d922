package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gatedValue is a slog.LogValuer that blocks its Record call until gate is
// closed, then resolves to v.
type gatedValue struct {
	gate <-chan struct{}
	v    string
}

func (g gatedValue) LogValue() slog.Value {
	<-g.gate
	return slog.StringValue(g.v)
}

// TestGatherWaits covers how the writer of a batch waits for a Record call
// that is still preparing its record: until that call queues its record
// (it joins the batch), until it leaves without queuing (too large), or
// for at most maxGather (it is stuck).
func TestGatherWaits(t *testing.T) {
	tests := []struct {
		name     string
		value    string        // what the stuck call's attribute resolves to
		release  bool          // release it while the writer waits
		wantWait time.Duration // how long the first call's Record takes
		wantErr  error         // the stuck call's result
		wantRecs int           // records in the first batch
	}{
		{"joins the batch", "ok", true, 0, nil, 2},
		{"leaves too large", strings.Repeat("x", 4096), true, 0, ErrTooLarge, 1},
		{"stuck until maxGather", "ok", false, maxGather, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := &batchStore{}
				l, err := New(store, Options{MaxEntrySize: 1024})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				ctx := context.Background()
				gate := make(chan struct{})
				var stuckErr error
				var stuck, first sync.WaitGroup
				stuck.Go(func() {
					_, stuckErr = l.Record(ctx, Entry{Message: "stuck", Attrs: []slog.Attr{slog.Any("v", gatedValue{gate, tt.value})}})
				})
				synctest.Wait() // the stuck call is in progress, blocked in LogValue
				start := time.Now()
				var firstErr error
				first.Go(func() {
					_, firstErr = l.Record(ctx, Entry{Message: "first"})
				})
				synctest.Wait() // the first call is writing and waits for the stuck one
				if tt.release {
					close(gate)
				}
				first.Wait()
				if !tt.release {
					close(gate)
				}
				stuck.Wait()
				if firstErr != nil {
					t.Fatalf("first Record: %v", firstErr)
				}
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("first Record took %v, want %v", got, tt.wantWait)
				}
				if !errors.Is(stuckErr, tt.wantErr) {
					t.Errorf("stuck Record: %v, want %v", stuckErr, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantRecs, store.firstBatch()); diff != "" {
					t.Errorf("records in the first batch (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// batchStore is a MemoryStore that remembers the size of each Append. When
// gate is set, the first Append waits for it to be closed.
type batchStore struct {
	MemoryStore
	mu      sync.Mutex
	batches []int
	gate    chan struct{}
}

func (s *batchStore) Append(ctx context.Context, recs []Record, sync bool) error {
	s.mu.Lock()
	s.batches = append(s.batches, len(recs))
	gate := s.gate
	s.gate = nil
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return s.MemoryStore.Append(ctx, recs, sync)
}

func (s *batchStore) firstBatch() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.batches) == 0 {
		return 0
	}
	return s.batches[0]
}

// TestGroupCommitBatches checks that writers who queue while a batch is
// being written share the next batch, and that every record is stored
// once, in order, whatever the batching. The first write is held until
// every writer has queued (synctest.Wait), so the sharing does not depend
// on how the scheduler happens to interleave the writers.
func TestGroupCommitBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &batchStore{gate: make(chan struct{})}
		gate := store.gate
		l, err := New(store, Options{})
		if err != nil {
			t.Fatal(err)
		}
		const writers, each = 16, 50
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					if _, err := l.Record(context.Background(), Entry{Message: fmt.Sprintf("w%d i%d", w, i)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		synctest.Wait() // one writer holds the first batch; the others wait in the next
		close(gate)
		wg.Wait()
		total := 0
		for _, n := range store.batches {
			total += n
		}
		if total != writers*each {
			t.Errorf("batches hold %d records, want %d", total, writers*each)
		}
		// The first batch holds the writers that had arrived when it was
		// cut; every other writer queued while it was held, so the second
		// batch holds at least the rest.
		if b := store.batches; b[0] < writers && (len(b) < 2 || b[0]+b[1] < writers) {
			t.Errorf("batches %v: the %d writers waiting behind the first batch did not share the second", b, writers-b[0])
		}
		rep, err := l.Verify(context.Background())
		if err != nil || rep.Records != writers*each {
			t.Errorf("Verify: %d records, %v", rep.Records, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFingerprintMemo checks that the remembered fingerprints are those
// of DefaultFingerprint, for entries that share slots, replace each other,
// differ only in type or stack, or are too long to be remembered.
func TestFingerprintMemo(t *testing.T) {
	l := &Ledger{}
	var es []Entry
	for i := range 300 {
		es = append(es, Entry{Type: fmt.Sprintf("t%d", i%3), Message: fmt.Sprintf("message %d about %s", i%97, strings.Repeat("y", i%5))})
	}
	es = append(es,
		Entry{Type: "a", Message: "same"}, Entry{Type: "b", Message: "same"},
		Entry{Message: "same", Stack: "main.f()\n\tf.go:1\n"}, Entry{Message: "same", Stack: "main.g()\n\tg.go:1\n"},
		Entry{Message: strings.Repeat("long ", maxMemoLen)}, Entry{},
	)
	for round := range 2 { // the second round finds remembered ones
		for i := range es {
			if got, want := l.fingerprint(&es[i]), DefaultFingerprint(&es[i]); got != want {
				t.Fatalf("round %d, entry %d: fingerprint %s, want %s", round, i, got, want)
			}
		}
	}
}
