package ledger

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// RunSummary counts a run's entries by severity and lists its critical ones.
type RunSummary struct {
	RunID    string
	Total    int
	Counts   [SeverityCritical + 1]int // indexed by Severity
	First    time.Time                 // time of the run's first entry
	Last     time.Time                 // time of its last entry
	Critical []Entry                   // the critical entries, in order (at most maxCritical)
}

// maxCritical caps RunSummary.Critical.
const maxCritical = 1000

// RunSummary summarises the entries of run runID.
func (l *Ledger) RunSummary(ctx context.Context, runID string) (RunSummary, error) {
	s := RunSummary{RunID: runID}
	for e, err := range l.Query(ctx, Filter{RunID: runID}) {
		if err != nil {
			return s, err
		}
		if s.Total == 0 || e.Time.Before(s.First) {
			s.First = e.Time
		}
		if e.Time.After(s.Last) {
			s.Last = e.Time
		}
		s.Total++
		if e.Severity.valid() {
			s.Counts[e.Severity]++
		}
		if e.Severity == SeverityCritical && len(s.Critical) < maxCritical {
			s.Critical = append(s.Critical, e)
		}
	}
	return s, nil
}

// Group is the set of entries sharing a fingerprint.
type Group struct {
	Fingerprint string
	Type        string    // of the first occurrence
	Message     string    // of the first occurrence
	Component   string    // of the first occurrence
	MaxSeverity Severity  // highest severity seen
	FirstSeen   time.Time // time of the first occurrence
	LastSeen    time.Time // time of the last occurrence
	Count       int
	LastID      ID // id of the last occurrence
}

// Groups returns the groups of the entries matching f, most frequent first
// (ties: most recently seen first). Memory grows with the number of
// distinct fingerprints, not with the number of entries.
func (l *Ledger) Groups(ctx context.Context, f Filter) ([]Group, error) {
	idx := map[string]int{}
	var gs []Group
	for e, err := range l.Query(ctx, f) {
		if err != nil {
			return nil, err
		}
		i, ok := idx[e.Fingerprint]
		if !ok {
			i = len(gs)
			idx[e.Fingerprint] = i
			gs = append(gs, Group{Fingerprint: e.Fingerprint, Type: e.Type, Message: e.Message,
				Component: e.Component, MaxSeverity: e.Severity, FirstSeen: e.Time, LastSeen: e.Time})
		}
		g := &gs[i]
		g.Count++
		g.LastID = e.ID
		g.MaxSeverity = max(g.MaxSeverity, e.Severity)
		if e.Time.Before(g.FirstSeen) {
			g.FirstSeen = e.Time
		}
		if e.Time.After(g.LastSeen) {
			g.LastSeen = e.Time
		}
	}
	slices.SortStableFunc(gs, func(a, b Group) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
	return gs, nil
}
