package ledger

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// ID identifies an entry. It is 16 bytes, ULID-like: a 48-bit big-endian
// Unix time in milliseconds followed by 80 random bits, so IDs sort by
// creation time (to the millisecond) both as bytes and as strings. The zero
// value is the zero ID, which [Ledger.Record] replaces with a fresh one.
//
// Its text form is 26 characters of Crockford base32 (upper case).
type ID [16]byte

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new ID for the current time. Callers may pre-assign an
// entry's ID (for example to show it to a remote caller before recording).
func NewID() ID { return newIDAt(time.Now()) }

func newIDAt(t time.Time) ID {
	var id ID
	ms := uint64(t.UnixMilli())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms<<16)
	copy(id[:6], b[:6])
	_, _ = rand.Read(id[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the millisecond timestamp embedded in id.
func (id ID) Time() time.Time {
	var b [8]byte
	copy(b[2:], id[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:])))
}

// String returns the 26-character Crockford base32 form of id.
func (id ID) String() string {
	var b [26]byte
	id.encode(b[:])
	return string(b[:])
}

func (id ID) encode(dst []byte) {
	// 128 bits as 26 base32 digits: the first digit carries the top 3 bits.
	hi := binary.BigEndian.Uint64(id[:8])
	lo := binary.BigEndian.Uint64(id[8:])
	for i := 25; i >= 0; i-- {
		dst[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) {
	b := make([]byte, 26)
	id.encode(b)
	return b, nil
}

// UnmarshalText implements encoding.TextUnmarshaler; see [ParseID].
func (id *ID) UnmarshalText(b []byte) error {
	v, err := parseID(b)
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseID parses the 26-character text form of an ID (case-insensitive).
func ParseID(s string) (ID, error) { return parseID([]byte(s)) }

func parseID(s []byte) (ID, error) {
	if len(s) != 26 {
		return ID{}, fmt.Errorf("ledger: id must be 26 characters, got %d", len(s))
	}
	var hi, lo uint64
	for i, c := range s {
		v := crockfordValue(c)
		if v < 0 || (i == 0 && v > 7) {
			return ID{}, fmt.Errorf("ledger: invalid id character at position %d", i)
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	var id ID
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id, nil
}

func crockfordValue(c byte) int {
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	switch c {
	case 'O':
		return 0
	case 'I', 'L':
		return 1
	}
	for i := 0; i < len(crockford); i++ {
		if crockford[i] == c {
			return i
		}
	}
	return -1
}
