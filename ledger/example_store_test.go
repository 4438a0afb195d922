package ledger_test

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/devskyy/devskyy/ledger"
)

// sliceStore is a minimal custom ledger.Store: records in a slice behind a
// mutex. A real one (a SQL table with seq as primary key, data as bytes,
// and indexed columns for the filter fields) has the same shape; it must
// pass ledgertest.Run.
type sliceStore struct {
	mu     sync.Mutex
	recs   []ledger.Record
	closed bool
}

func (s *sliceStore) Append(ctx context.Context, recs []ledger.Record, sync bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ledger.ErrClosed
	}
	for _, r := range recs {
		if r.Seq != uint64(len(s.recs))+1 {
			return fmt.Errorf("slicestore: gap at %d", r.Seq)
		}
		s.recs = append(s.recs, r)
	}
	return nil // a durable store commits here when sync is true
}

func (s *sliceStore) Sync(ctx context.Context) error { return s.err() }

func (s *sliceStore) Head(ctx context.Context) (ledger.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ledger.Position{}, ledger.ErrClosed
	}
	if len(s.recs) == 0 {
		return ledger.Position{}, nil
	}
	last := s.recs[len(s.recs)-1]
	return ledger.Position{Seq: last.Seq, Hash: last.Hash}, nil
}

func (s *sliceStore) Anchor(ctx context.Context) (ledger.Position, error) {
	return ledger.Position{}, s.err() // nothing is ever deleted
}

func (s *sliceStore) Scan(ctx context.Context, f ledger.Filter) iter.Seq2[ledger.Record, error] {
	return func(yield func(ledger.Record, error) bool) {
		s.mu.Lock()
		recs, closed := s.recs, s.closed
		s.mu.Unlock()
		if closed {
			yield(ledger.Record{}, ledger.ErrClosed)
			return
		}
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(ledger.Record{}, err)
				return
			}
			if f.Match(&r.Entry) && !yield(r, nil) {
				return
			}
		}
	}
}

func (s *sliceStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *sliceStore) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ledger.ErrClosed
	}
	return nil
}

// A custom Store plugs into New.
func Example_customStore() {
	led, err := ledger.New(&sliceStore{}, ledger.Options{})
	if err != nil {
		panic(err)
	}
	defer led.Close()
	ctx := context.Background()
	for i := range 3 {
		led.Record(ctx, ledger.Entry{Type: "job", Message: fmt.Sprintf("job %d failed", i)})
	}
	rep, err := led.Verify(ctx)
	fmt.Println(rep.Records, err)
	gs, _ := led.Groups(ctx, ledger.Filter{})
	fmt.Println(len(gs), gs[0].Count, gs[0].Message)
	// Output:
	// 3 <nil>
	// 1 3 job 0 failed
}
