package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
)

// A FileStore's journal is an 8-byte magic followed by one frame per Put:
//
//	[4 bytes little-endian: payload length]
//	[4 bytes little-endian: CRC-32C of the first 4 bytes and the payload]
//	[payload: one JSON journalRecord]
//	['\n']
//
// The checksum covers the length, so a damaged length is caught like a
// damaged payload. The newline keeps the journal readable with less and jq
// (after the 8-byte magic).
const (
	journalMagic   = "DSREGJ1\n"
	journalSuffix  = ".journal"
	frameHeader    = 8
	minPayload     = 2 // "{}"
	maxRecordBytes = maxSnapshotBytes
)

// journalRecord is one frame's payload: one Put of model Name, from
// generation Prev to Generation. The first record of a model (Prev 0), and
// any change that removes a version, holds the whole new state in Model.
// Every other record is a delta against the state at Prev, so that its size
// does not grow with the model's history: the versions that are new or
// changed, the whole alias map, and the alias moves after the first
// HistoryKeep entries.
type journalRecord struct {
	Prev        uint64            `json:"prev"`
	Name        string            `json:"name"`
	Generation  uint64            `json:"generation"`
	Model       *Model            `json:"model,omitempty"`
	Versions    []Version         `json:"versions,omitempty"`
	Aliases     map[string]string `json:"aliases,omitempty"`
	HistoryKeep int               `json:"history_keep,omitempty"`
	History     []AliasMove       `json:"history,omitempty"`
}

// diffRecord returns the record that turns old (generation prev, or no
// record when prev is 0) into m.
func diffRecord(old, m *Model, prev uint64) journalRecord {
	rec := journalRecord{Prev: prev, Name: m.Name, Generation: m.Generation}
	if prev == 0 {
		rec.Model = m
		return rec
	}
	// Versions are only ever inserted: walk both sorted lists, taking the
	// new and the changed ones. A version missing from m needs the whole
	// state.
	j := 0
	for i := range m.Versions {
		v := &m.Versions[i]
		if j < len(old.Versions) && old.Versions[j].Version == v.Version {
			if !sameVersion(&old.Versions[j], v) {
				rec.Versions = append(rec.Versions, *v)
			}
			j++
			continue
		}
		rec.Versions = append(rec.Versions, *v)
	}
	if j != len(old.Versions) {
		return journalRecord{Prev: prev, Name: m.Name, Generation: m.Generation, Model: m}
	}
	rec.Aliases = m.Aliases
	n := min(len(old.History), len(m.History))
	for rec.HistoryKeep < n && old.History[rec.HistoryKeep] == m.History[rec.HistoryKeep] {
		rec.HistoryKeep++
	}
	rec.History = m.History[rec.HistoryKeep:]
	return rec
}

// sameVersion reports whether a and b encode to the same JSON.
func sameVersion(a, b *Version) bool {
	return a.Model == b.Model && a.Version == b.Version && a.Artifact == b.Artifact &&
		a.Digest == b.Digest && a.Size == b.Size && a.RegisteredAt == b.RegisteredAt &&
		maps.Equal(a.Metadata, b.Metadata) && slices.Equal(a.Tags, b.Tags) &&
		(a.LastCheck == nil) == (b.LastCheck == nil) && (a.LastCheck == nil || *a.LastCheck == *b.LastCheck)
}

// apply returns the state rec makes of cur, the state at rec.Prev. It may
// reuse cur's slices: cur must not be used afterwards.
func (rec *journalRecord) apply(cur Model) (Model, error) {
	if rec.Model != nil {
		if rec.Model.Name != rec.Name || rec.Model.Generation != rec.Generation ||
			rec.Versions != nil || rec.Aliases != nil || rec.HistoryKeep != 0 || rec.History != nil {
			return Model{}, errors.New("whole-state record with delta fields")
		}
		return *rec.Model, nil
	}
	if rec.Prev == 0 {
		return Model{}, errors.New("delta record of a new model")
	}
	if rec.HistoryKeep < 0 || rec.HistoryKeep > len(cur.History) {
		return Model{}, fmt.Errorf("history_keep %d of %d entries", rec.HistoryKeep, len(cur.History))
	}
	next := cur
	next.Generation = rec.Generation
	for _, v := range rec.Versions {
		i, found := slices.BinarySearchFunc(next.Versions, v.Version, func(x Version, s string) int {
			return CompareVersions(x.Version, s)
		})
		if found {
			next.Versions[i] = v
		} else {
			next.Versions = slices.Insert(next.Versions, i, v)
		}
	}
	next.Aliases = rec.Aliases
	next.History = append(cur.History[:rec.HistoryKeep], rec.History...)
	if len(next.History) == 0 {
		next.History = nil
	}
	return next, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends the frame of payload to dst.
func appendFrame(dst, payload []byte) []byte {
	var h [frameHeader]byte
	binary.LittleEndian.PutUint32(h[:4], uint32(len(payload)))
	crc := crc32.Update(crc32.Checksum(h[:4], castagnoli), castagnoli, payload)
	binary.LittleEndian.PutUint32(h[4:], crc)
	dst = append(dst, h[:]...)
	dst = append(dst, payload...)
	return append(dst, '\n')
}

// Frame errors. errShortFrame means the data ends inside the frame.
var (
	errShortFrame = errors.New("truncated record")
	errFrameLen   = errors.New("bad record length")
	errFrameCRC   = errors.New("checksum mismatch")
	errFrameEnd   = errors.New("missing record terminator")
)

// parseFrame parses the frame at the start of b and returns its payload (a
// sub-slice of b) and its size.
func parseFrame(b []byte) (payload []byte, size int, err error) {
	if len(b) < frameHeader {
		return nil, 0, errShortFrame
	}
	n := binary.LittleEndian.Uint32(b[:4])
	if n < minPayload || n > maxRecordBytes {
		return nil, 0, errFrameLen
	}
	size = frameHeader + int(n) + 1
	if len(b) < size {
		return nil, 0, errShortFrame
	}
	payload = b[frameHeader : frameHeader+int(n)]
	crc := crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(b[4:8]) {
		return nil, 0, errFrameCRC
	}
	if b[size-1] != '\n' {
		return nil, 0, errFrameEnd
	}
	return payload, size, nil
}

// decodeRecord strictly decodes a frame's payload.
func decodeRecord(payload []byte) (journalRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var rec journalRecord
	if err := dec.Decode(&rec); err != nil {
		return rec, err
	}
	if dec.More() {
		return rec, errors.New("trailing data")
	}
	return rec, nil
}

// journalState is what replayJournal found.
type journalState struct {
	cut     int // valid length: bytes from cut to end are a torn tail (0: no valid header)
	end     int // length without the trailing zeros of preallocated space
	records int // valid records, applied or stale
}

// replayJournal applies the records of the journal data to models, which
// holds the snapshot's records and is modified in place.
//
// The journal is zero-filled ahead of its writes, and every frame (and the
// magic) ends with a newline, so its data ends at the last non-zero byte.
//
// A record whose generation is not above the model's current one is stale:
// the snapshot already holds it (a compaction wrote the snapshot, then
// stopped before emptying the journal) and it is skipped. Any other record
// must continue the model's generation (its prev equals the current one).
//
// Records are read from the start. At the first damaged frame (offset X) the
// rest of the data is searched for a valid frame. A record is appended only
// after the previous one was synced, so a valid frame after X means the
// damage is inside acknowledged data: an error wrapping [ErrInvalid] that
// names X. Otherwise the damage is the last record, whose write never
// returned: a torn tail, cut at X. A frame whose checksum holds but whose
// content is wrong was written whole and is an error wherever it is.
func replayJournal(data []byte, models map[string]Model) (journalState, error) {
	var st journalState
	for len(data) > 0 && data[len(data)-1] == 0 {
		data = data[:len(data)-1]
	}
	st.end = len(data)
	if len(data) < len(journalMagic) {
		if bytes.HasPrefix([]byte(journalMagic), data) {
			return st, nil // torn header: the journal was being created
		}
		return st, fmt.Errorf("%w: journal: bad header", ErrInvalid)
	}
	if string(data[:len(journalMagic)]) != journalMagic {
		return st, fmt.Errorf("%w: journal: bad header", ErrInvalid)
	}
	off := len(journalMagic)
	for off < len(data) {
		payload, size, err := parseFrame(data[off:])
		if err != nil {
			if laterFrame(data, off+1) {
				return st, fmt.Errorf("%w: journal: record at offset %d: %w, followed by valid records", ErrInvalid, off, err)
			}
			break
		}
		if err := applyRecord(payload, models); err != nil {
			return st, fmt.Errorf("%w: journal: record at offset %d: %w", ErrInvalid, off, err)
		}
		st.records++
		off += size
	}
	st.cut = off
	return st, nil
}

// applyRecord decodes one record and applies it to models.
func applyRecord(payload []byte, models map[string]Model) error {
	rec, err := decodeRecord(payload)
	if err != nil {
		return err
	}
	cur := models[rec.Name]
	switch {
	case rec.Generation <= rec.Prev:
		return fmt.Errorf("generation %d not above prev %d", rec.Generation, rec.Prev)
	case rec.Generation <= cur.Generation:
		return nil // stale: already in the snapshot
	case rec.Prev != cur.Generation:
		return fmt.Errorf("model %q: prev generation %d, want %d", rec.Name, rec.Prev, cur.Generation)
	}
	next, err := rec.apply(cur)
	if err != nil {
		return fmt.Errorf("model %q: %w", rec.Name, err)
	}
	if err := next.Validate(); err != nil {
		return err
	}
	models[rec.Name] = next
	return nil
}

// laterFrame reports whether data holds a valid frame at any offset from
// from on: evidence of a record written after a damaged one.
func laterFrame(data []byte, from int) bool {
	for y := from; y+frameHeader+minPayload+1 <= len(data); y++ {
		if _, _, err := parseFrame(data[y:]); err == nil {
			return true
		}
	}
	return false
}
