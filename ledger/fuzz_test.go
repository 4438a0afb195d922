package ledger

import (
	"errors"
	"testing"
)

func validPayload() []byte {
	rs := makeRecords(Position{}, 1, "seed")
	return rs[0].Data
}

// FuzzDecodeRecord feeds arbitrary bytes to the frame parser and the
// payload decoder: they must fail cleanly, never panic.
func FuzzDecodeRecord(f *testing.F) {
	p := validPayload()
	f.Add(appendFrame(nil, p, true))
	f.Add(p)
	f.Add([]byte(`{"seq":1,"prev":"` + Hash{}.String() + `","attrs":{"a":[1,{"b":[true,null,"x"]}],"g":{"h":1.5,"i":-1,"u":18446744073709551615}}}`))
	f.Add([]byte(`{"seq":1,"prev":"00","attrs":[1]}`))
	f.Add([]byte(`{"attrs":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if payload, _, size, err := parseFrame(b); err == nil {
			if size > len(b) || len(payload) > size {
				t.Fatalf("frame size %d beyond input %d", size, len(b))
			}
			b = payload
		}
		e, _, err := decodePayload(b)
		if err != nil {
			if !errors.Is(err, errBadPayload) {
				t.Fatalf("error %v does not wrap errBadPayload", err)
			}
			return
		}
		// A decoded entry encodes again without panicking.
		_ = appendBody(nil, &e)
		_, _ = payloadSeq(b)
	})
}

// FuzzRecover appends arbitrary bytes, as a torn or corrupt tail, to an
// active segment holding three acknowledged records: recovery must keep
// the three records or report a *CorruptError, never panic.
func FuzzRecover(f *testing.F) {
	rs := makeRecords(Position{}, 4, "acked")
	seg := []byte(segMagic)
	for _, r := range rs[:3] {
		seg = appendFrame(seg, r.Data, true)
	}
	next := appendFrame(nil, rs[3].Data, true)
	f.Add([]byte{})
	f.Add(next[:len(next)/2])
	f.Add(next)
	f.Add(append(append([]byte{1, 2, 3}, next...), next...))
	f.Add(append(next[:20:20], appendFrame(nil, rs[3].Data, false)...))
	f.Fuzz(func(t *testing.T, tail []byte) {
		buf := append(append([]byte(nil), seg...), tail...)
		res, err := recoverTail(buf, segName(1), 1, Position{})
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CorruptError", err)
			}
			return
		}
		if res.sum.Count < 3 || res.cut < int64(len(seg)) || res.cut > int64(len(buf)) {
			t.Fatalf("recovered %d records, cut %d of %d", res.sum.Count, res.cut, len(buf))
		}
	})
}
