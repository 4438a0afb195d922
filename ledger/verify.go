package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
)

// VerifyError reports the first record at which the hash chain, or a signed
// checkpoint, does not hold.
type VerifyError struct {
	Seq    uint64 // the first bad record
	Reason string
}

// Error implements error.
func (e *VerifyError) Error() string {
	return fmt.Sprintf("ledger: verification failed at record %d: %s", e.Seq, e.Reason)
}

// VerifyReport summarises a successful Verify.
type VerifyReport struct {
	Anchor      Position // chain position before the first retained record
	Head        Position // last record checked
	Records     uint64   // records checked
	Checkpoints int      // signed checkpoints checked
}

// checkpointer is implemented by stores that keep signed checkpoints
// (*FileStore).
type checkpointer interface {
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
}

// Verify reads the whole ledger and checks that every record links to the
// previous one by its SHA-256 hash, from the store's anchor to its head,
// and, with a verify key (Options.VerifyKey or SigningKey), that every
// checkpoint is validly signed and matches the chain (a checkpoint beyond
// the head reveals a truncated ledger). It returns the first problem as a
// *VerifyError, or the *CorruptError of damaged storage.
func (l *Ledger) Verify(ctx context.Context) (VerifyReport, error) {
	anchor, err := l.store.Anchor(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	head, err := l.store.Head(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Anchor: anchor, Head: anchor}
	want := map[uint64]Hash{}
	var cps []Checkpoint
	if cp, ok := l.store.(checkpointer); ok && l.opts.VerifyKey != nil {
		if cps, err = cp.Checkpoints(ctx); err != nil {
			return rep, err
		}
		for _, c := range cps {
			if !ed25519.Verify(l.opts.VerifyKey, c.message(), c.Signature) {
				return rep, &VerifyError{Seq: c.Seq, Reason: "checkpoint signature invalid"}
			}
			if c.Seq > head.Seq {
				return rep, &VerifyError{Seq: head.Seq + 1, Reason: fmt.Sprintf("checkpoint at record %d is beyond the head: records were removed", c.Seq)}
			}
			if c.Seq >= anchor.Seq {
				var h Hash
				if b, err := hex.DecodeString(c.Head); err != nil || len(b) != len(h) {
					return rep, &VerifyError{Seq: c.Seq, Reason: "checkpoint head unreadable"}
				} else {
					copy(h[:], b)
				}
				want[c.Seq] = h
			}
		}
	}
	check := func(p Position) error {
		if h, ok := want[p.Seq]; ok && h != p.Hash {
			return &VerifyError{Seq: p.Seq, Reason: "record does not match its signed checkpoint"}
		}
		return nil
	}
	if err := check(anchor); err != nil {
		return rep, err
	}
	cur := anchor
	var prefix []byte
	scan := l.store.Scan(ctx, Filter{})
	if fs, ok := l.store.(*FileStore); ok {
		scan = fs.scanRaw(ctx) // the chain needs only the bytes
	}
	for r, err := range scan {
		if err != nil {
			return rep, err
		}
		// The canonical payload starts with the chain fields, so the
		// link is checked on the bytes that are hashed.
		prefix = appendPayload(prefix[:0], cur.Seq+1, cur.Hash, []byte("{"))
		switch {
		case r.Seq != cur.Seq+1 || r.Entry.Seq != r.Seq:
			return rep, &VerifyError{Seq: cur.Seq + 1, Reason: fmt.Sprintf("expected record %d, found %d", cur.Seq+1, r.Seq)}
		case !bytes.HasPrefix(r.Data, prefix):
			return rep, &VerifyError{Seq: r.Seq, Reason: "previous-hash link broken"}
		}
		cur = Position{Seq: r.Seq, Hash: hashOf(r.Data)}
		if err := check(cur); err != nil {
			return rep, err
		}
		rep.Records++
		rep.Head = cur
		if cur.Seq == head.Seq {
			break
		}
	}
	if cur != head {
		return rep, &VerifyError{Seq: cur.Seq + 1, Reason: "chain ends before the store's head"}
	}
	rep.Checkpoints = len(cps)
	return rep, nil
}
