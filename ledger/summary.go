package ledger

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// maxSummarySet caps the distinct values a summary lists per field; past it
// the set is dropped (nil), meaning "unknown", and no query skips on it.
const maxSummarySet = 32

// summary describes a segment so that queries can skip it without reading
// it. Sealed segments keep it in a ".sum" file beside them.
type summary struct {
	First      uint64    `json:"first"` // first sequence number the segment holds (or would hold)
	Last       uint64    `json:"last"`  // last sequence number (First-1 when empty)
	Count      uint64    `json:"count"`
	Size       int64     `json:"size"` // bytes, header included
	MinTime    time.Time `json:"min_time"`
	MaxTime    time.Time `json:"max_time"`
	Severities uint8     `json:"severities"` // bit i set: severity i present
	Types      []string  `json:"types"`      // nil: more than maxSummarySet distinct
	Components []string  `json:"components"`
	RunIDs     []string  `json:"run_ids"`
	Overflow   uint8     `json:"overflow"`  // bit 0 types, 1 components, 2 run ids overflowed
	LastHash   Hash      `json:"last_hash"` // SHA-256 of the last record
}

func newSummary(first uint64) summary {
	return summary{First: first, Last: first - 1}
}

// add accounts for one record of the segment.
func (s *summary) add(e *Entry, h Hash, end int64) {
	if s.Count == 0 || e.Time.Before(s.MinTime) {
		s.MinTime = e.Time
	}
	if s.Count == 0 || e.Time.After(s.MaxTime) {
		s.MaxTime = e.Time
	}
	s.Count++
	s.Last = e.Seq
	s.Size = end
	if e.Severity.valid() {
		s.Severities |= 1 << e.Severity
	}
	s.Types = addToSet(s.Types, e.Type, &s.Overflow, 1)
	s.Components = addToSet(s.Components, e.Component, &s.Overflow, 2)
	s.RunIDs = addToSet(s.RunIDs, e.RunID, &s.Overflow, 4)
	s.LastHash = h
}

func addToSet(set []string, v string, overflow *uint8, bit uint8) []string {
	if *overflow&bit != 0 || slices.Contains(set, v) {
		return set
	}
	if len(set) == maxSummarySet {
		*overflow |= bit
		return nil
	}
	return append(set, v)
}

// skip reports whether no entry of the segment can match f.
func (s *summary) skip(f *Filter) bool {
	if s.Count == 0 {
		return true
	}
	if !f.Since.IsZero() && s.MaxTime.Before(f.Since) {
		return true
	}
	if !f.Until.IsZero() && !s.MinTime.Before(f.Until) {
		return true
	}
	if f.MinSeverity > SeverityInfo && f.MinSeverity.valid() && s.Severities>>uint(f.MinSeverity) == 0 {
		return true
	}
	return absent(s.Types, s.Overflow&1, f.Type) ||
		absent(s.Components, s.Overflow&2, f.Component) ||
		absent(s.RunIDs, s.Overflow&4, f.RunID)
}

func absent(set []string, overflow uint8, v string) bool {
	return v != "" && overflow == 0 && !slices.Contains(set, v)
}

func decodeSummary(b []byte, first uint64) (summary, error) {
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		return s, err
	}
	if s.First != first || s.Last+1 != s.First+s.Count || s.Count == 0 {
		return s, errors.New("inconsistent summary")
	}
	return s, nil
}
