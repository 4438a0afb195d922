package ledger_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/ledger"
	"github.com/google/go-cmp/cmp"
)

// slowStore takes delay for every append that syncs (fake time inside a
// synctest bubble), and fails appends once fail is set.
type slowStore struct {
	*ledger.MemoryStore
	delay time.Duration
	mu    sync.Mutex
	fail  bool
}

func (s *slowStore) Append(ctx context.Context, recs []ledger.Record, sync bool) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail {
		return errors.New("disk gone")
	}
	if sync {
		time.Sleep(s.delay)
	}
	return s.MemoryStore.Append(ctx, recs, sync)
}

func TestStats(t *testing.T) {
	tests := []struct {
		name    string
		d       ledger.Durability
		writers int
		each    int
		want    ledger.Stats
		batched bool // Commits is at most Records, not known exactly
	}{
		{"sync each: a commit per record", ledger.SyncEach, 1, 5,
			ledger.Stats{Records: 5, Commits: 5, CommitTime: 5 * time.Millisecond, MaxCommit: time.Millisecond}, false},
		{"no sync: no commits", ledger.NoSync, 1, 5, ledger.Stats{Records: 5}, false},
		{"sync interval: no commits", ledger.SyncInterval, 1, 5, ledger.Stats{Records: 5}, false},
		{"group commit: one writer, a commit per record", ledger.GroupCommit, 1, 4,
			ledger.Stats{Records: 4, Commits: 4, CommitTime: 4 * time.Millisecond, MaxCommit: time.Millisecond}, false},
		{"group commit: writers share commits", ledger.GroupCommit, 8, 3, ledger.Stats{Records: 24, MaxCommit: time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := &slowStore{MemoryStore: ledger.NewMemoryStore(), delay: time.Millisecond}
				l, err := ledger.New(st, ledger.Options{Durability: tt.d, SyncInterval: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				var wg sync.WaitGroup
				for range tt.writers {
					wg.Go(func() {
						for range tt.each {
							if _, err := l.Record(context.Background(), ledger.Entry{Type: "t", Message: "m"}); err != nil {
								t.Error(err)
							}
						}
					})
				}
				wg.Wait()
				got := l.Stats()
				if tt.batched {
					if got.Commits == 0 || got.Commits >= got.Records {
						t.Errorf("%d commits for %d records from %d writers: no batch was shared", got.Commits, got.Records, tt.writers)
					}
					if got.CommitTime != time.Duration(got.Commits)*time.Millisecond {
						t.Errorf("commit time %v for %d commits of 1ms", got.CommitTime, got.Commits)
					}
					got.Commits, got.CommitTime = 0, 0
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// A failed write counts neither its records nor a commit.
func TestStatsFailedWrite(t *testing.T) {
	for _, d := range []ledger.Durability{ledger.GroupCommit, ledger.SyncEach, ledger.NoSync} {
		t.Run(d.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := &slowStore{MemoryStore: ledger.NewMemoryStore(), delay: time.Millisecond}
				l, err := ledger.New(st, ledger.Options{Durability: d})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				if _, err := l.Record(context.Background(), ledger.Entry{Type: "t", Message: "m"}); err != nil {
					t.Fatal(err)
				}
				before := l.Stats()
				st.mu.Lock()
				st.fail = true
				st.mu.Unlock()
				if _, err := l.Record(context.Background(), ledger.Entry{Type: "t", Message: "m"}); err == nil {
					t.Fatal("Record succeeded on a failing store")
				}
				if diff := cmp.Diff(before, l.Stats()); diff != "" {
					t.Errorf("Stats after a failed write (-before +after):\n%s", diff)
				}
			})
		})
	}
}
