package ledger

import (
	"bytes"
	"fmt"
)

// tailResult is what recovery found in the active segment.
type tailResult struct {
	sum           summary
	cut           int64 // valid length: bytes from cut on are a torn tail
	rewriteHeader bool  // the segment holds only a torn header
}

// recoverTail checks the active segment buf, whose records continue prev.
//
// Valid frames are read from the start. At the first damaged frame (offset
// X) the rest of the file is searched for valid frames. A write batch ends
// with a frame carrying the commit flag, and a batch is written only after
// the previous one was written (and, in the syncing modes, synced). So if a
// committed batch boundary and then another valid frame follow X, a batch
// written after the damaged one exists: the damage is inside the log and
// recovery fails with a *CorruptError. Otherwise the damage is confined to
// the last batch, which was never acknowledged as durable: a torn tail, cut
// at X.
func recoverTail(buf []byte, name string, first uint64, prev Position) (tailResult, error) {
	res := tailResult{sum: newSummary(first)}
	if len(buf) < len(segMagic) {
		if bytes.HasPrefix([]byte(segMagic), buf) {
			res.rewriteHeader = true
			res.cut = int64(len(segMagic))
			return res, nil
		}
		return res, &CorruptError{Segment: name, Seq: first, Reason: "bad segment header"}
	}
	if string(buf[:len(segMagic)]) != segMagic {
		return res, &CorruptError{Segment: name, Seq: first, Reason: "bad segment header"}
	}
	off := len(segMagic)
	last := prev
	for off < len(buf) {
		payload, _, size, err := parseFrame(buf[off:])
		var reason string
		if err == nil {
			var e Entry
			var p Hash
			e, p, err = decodePayload(payload)
			switch {
			case err != nil:
				reason = "undecodable payload"
			case e.Seq != last.Seq+1:
				reason = "out-of-sequence record"
			case p != last.Hash:
				reason = "hash chain broken"
			default:
				h := hashOf(payload)
				res.sum.add(&e, h, int64(off+size))
				last = Position{Seq: e.Seq, Hash: h}
				off += size
				continue
			}
			// A frame with a valid checksum but bad content was written
			// whole: that is not a torn write.
			return res, &CorruptError{Segment: name, Offset: int64(off), Seq: last.Seq + 1, Reason: reason}
		}
		if laterBatch(buf, off+1) {
			return res, &CorruptError{Segment: name, Offset: int64(off), Seq: last.Seq + 1, Reason: fmt.Sprintf("%v, followed by valid records", err)}
		}
		break
	}
	res.cut = int64(off)
	return res, nil
}

// laterBatch reports whether, from offset from on, buf holds a valid frame
// carrying the commit flag followed by another valid frame: evidence of a
// write batch after the one that is damaged.
func laterBatch(buf []byte, from int) bool {
	for y := from; y+frameHeader+minPayload+1 <= len(buf); y++ {
		_, commit, size, err := parseFrame(buf[y:])
		if err != nil {
			continue
		}
		// Follow the chain of valid frames from y.
		p := y + size
		for {
			if commit {
				if _, _, _, err := parseFrame(buf[p:]); err == nil {
					return true
				}
			}
			var err error
			_, commit, size, err = parseFrame(buf[p:])
			if err != nil {
				break
			}
			p += size
		}
		y = p - 1 // resume the search after the frames just followed
	}
	return false
}
