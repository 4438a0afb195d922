package ledger

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// On disk a segment is an 8-byte magic followed by frames:
//
//	[4 bytes little-endian: payload length | commit flag in bit 31]
//	[4 bytes little-endian: CRC-32C of the first 4 bytes and the payload]
//	[payload: one JSON object]
//	['\n']
//
// The commit flag marks the last frame of a write batch (one write call,
// followed by one fsync in the syncing modes). The newline keeps segments
// readable with grep, less and jq (after skipping the 8 binary bytes).
const (
	segMagic    = "DSLEDG1\n"
	frameHeader = 8
	commitFlag  = 1 << 31
	minPayload  = 2 // "{}"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends the frame of payload to dst.
func appendFrame(dst, payload []byte, commit bool) []byte {
	n := uint32(len(payload))
	if commit {
		n |= commitFlag
	}
	// The header is built in place in dst: a local array would escape
	// through crc32 and cost an allocation per frame.
	at := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, n)
	crc := crc32.Update(crc32.Checksum(dst[at:at+4], castagnoli), castagnoli, payload)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	dst = append(dst, payload...)
	return append(dst, '\n')
}

// Frame errors. errShortFrame means the buffer ends inside the frame.
var (
	errShortFrame = errors.New("truncated frame")
	errFrameLen   = errors.New("bad frame length")
	errFrameCRC   = errors.New("checksum mismatch")
	errFrameEnd   = errors.New("missing frame terminator")
)

// parseFrame parses the frame at the start of b. It returns the payload (a
// sub-slice of b), whether the commit flag is set and the frame's size.
func parseFrame(b []byte) (payload []byte, commit bool, size int, err error) {
	if len(b) < frameHeader {
		return nil, false, 0, errShortFrame
	}
	word := binary.LittleEndian.Uint32(b[:4])
	n := int(word &^ commitFlag)
	if n < minPayload || n > maxFrameSize {
		return nil, false, 0, errFrameLen
	}
	size = frameHeader + n + 1
	if len(b) < size {
		return nil, false, 0, errShortFrame
	}
	payload = b[frameHeader : frameHeader+n]
	crc := crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(b[4:8]) {
		return nil, false, 0, errFrameCRC
	}
	if b[size-1] != '\n' {
		return nil, false, 0, errFrameEnd
	}
	return payload, word&commitFlag != 0, size, nil
}
