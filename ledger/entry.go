package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Entry is one ledger record: an error, a panic or an audit event. The zero
// value is a valid (if uninformative) entry: Record fills ID, Time,
// RequestID, RunID and Fingerprint when they are empty.
//
// An Entry is a value; it is safe to copy. Record never modifies the
// caller's Attrs (redaction works on a copy).
type Entry struct {
	ID          ID          // assigned by Record when zero
	Time        time.Time   // set by Record when zero; stored in UTC with nanoseconds
	RunID       string      // run, job or CI cycle; from the context when empty
	Type        string      // error type or event name, e.g. "timeout", "panic", "audit.login"
	Severity    Severity    // zero is SeverityInfo
	Message     string      // human-readable text (redacted before storing)
	Component   string      // component or agent name
	RequestID   string      // from the context when empty
	TraceID     string      // OpenTelemetry trace id, hex, when present
	SpanID      string      // OpenTelemetry span id, hex, when present
	Attrs       []slog.Attr // context; LogValuers are resolved, groups are kept
	Stack       string      // stack trace, for panics
	Fingerprint string      // grouping key; computed by Record when empty
	Redactions  int         // set by Record: how many values redaction replaced
	Seq         uint64      // set by the ledger: position in the chain, from 1
}

// Hash is a SHA-256 digest in the hash chain.
type Hash [32]byte

// String returns the lower-case hex form of h.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler (lower-case hex).
func (h Hash) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, h[:]), nil }

// UnmarshalText implements encoding.TextUnmarshaler (64 hex digits).
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return errors.New("ledger: hash must be 64 hex digits")
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return errors.New("ledger: hash must be 64 hex digits")
	}
	return nil
}

// appendPayload appends the canonical JSON payload of e (with its chain
// fields) to dst. The field order is fixed, so the same entry always yields
// the same bytes.
func appendPayload(dst []byte, seq uint64, prev Hash, body []byte) []byte {
	dst = appendPrefix(dst, seq, prev)
	return append(dst, body[1:]...)
}

// appendPrefix appends the chain fields that open a payload:
// {"seq":N,"prev":"HEX",
func appendPrefix(dst []byte, seq uint64, prev Hash) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"prev":"`...)
	dst = hex.AppendEncode(dst, prev[:])
	return append(dst, '"', ',')
}

// prefixRoom is the longest chain prefix (20-digit sequence number).
const prefixRoom = len(`{"seq":`) + 20 + len(`,"prev":"`) + 2*len(Hash{}) + len(`",`)

// putPrefix writes the chain prefix into buf just before buf[prefixRoom:],
// which holds the body's members (appendEntryMembers), and returns the
// payload: the sub-slice of buf from the prefix on.
func putPrefix(buf []byte, seq uint64, prev Hash) []byte {
	var tmp [prefixRoom]byte
	p := appendPrefix(tmp[:0], seq, prev)
	start := prefixRoom - len(p)
	copy(buf[start:], p)
	return buf[start:]
}

// appendBody appends the JSON object of e without chain fields.
func appendBody(dst []byte, e *Entry) []byte {
	return appendEntryMembers(append(dst, '{'), e)
}

// appendEntryMembers appends the members of e's JSON object and the
// closing brace: the body without its opening '{'.
func appendEntryMembers(dst []byte, e *Entry) []byte {
	dst = append(dst, `"id":"`...)
	var idb [26]byte
	e.ID.encode(idb[:])
	dst = append(dst, idb[:]...)
	dst = append(dst, `","time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","severity":"`...)
	dst = append(dst, e.Severity.String()...)
	dst = append(dst, '"')
	dst = appendField(dst, "type", e.Type)
	dst = appendField(dst, "message", e.Message)
	dst = appendField(dst, "component", e.Component)
	dst = appendField(dst, "run_id", e.RunID)
	dst = appendField(dst, "request_id", e.RequestID)
	dst = appendField(dst, "trace_id", e.TraceID)
	dst = appendField(dst, "span_id", e.SpanID)
	if len(e.Attrs) > 0 {
		dst = append(dst, `,"attrs":`...)
		dst = appendAttrs(dst, e.Attrs)
	}
	dst = appendField(dst, "stack", e.Stack)
	dst = appendField(dst, "fingerprint", e.Fingerprint)
	if e.Redactions > 0 {
		dst = append(dst, `,"redactions":`...)
		dst = strconv.AppendInt(dst, int64(e.Redactions), 10)
	}
	return append(dst, '}')
}

func appendField(dst []byte, k, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

func appendAttrs(dst []byte, as []slog.Attr) []byte {
	dst = append(dst, '{')
	first := true
	dst = appendMembers(dst, as, &first)
	return append(dst, '}')
}

// appendMembers appends as as object members: empty attrs and empty groups
// are left out, groups with an empty key are inlined.
func appendMembers(dst []byte, as []slog.Attr, first *bool) []byte {
	for _, a := range as {
		if a.Value.Kind() == slog.KindGroup {
			if len(a.Value.Group()) == 0 {
				continue
			}
			if a.Key == "" {
				dst = appendMembers(dst, a.Value.Group(), first)
				continue
			}
		} else if a.Key == "" {
			continue
		}
		if !*first {
			dst = append(dst, ',')
		}
		*first = false
		dst = appendString(dst, a.Key)
		dst = append(dst, ':')
		dst = appendValue(dst, a.Value)
	}
	return dst
}

func appendValue(dst []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(dst, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(dst, v.Uint64(), 10)
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return appendString(dst, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(dst, v.Bool())
	case slog.KindDuration:
		return appendString(dst, v.Duration().String())
	case slog.KindTime:
		return appendString(dst, v.Time().UTC().Format(time.RFC3339Nano))
	case slog.KindGroup:
		return appendAttrs(dst, v.Group())
	default: // KindAny (LogValuers were resolved by redaction)
		a := v.Any()
		if a == nil {
			return append(dst, "null"...)
		}
		if err, ok := a.(error); ok {
			return appendString(dst, err.Error())
		}
		if b, err := json.Marshal(a); err == nil {
			return append(dst, b...)
		}
		return appendString(dst, fmt.Sprint(a))
	}
}

// appendString appends s as a JSON string, replacing invalid UTF-8. Runs of
// bytes that need no escaping are skipped eight at a time (safeWord) and
// copied with one append.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; ; {
		for i+8 <= len(s) {
			t := s[i : i+8]
			if !safeWord(uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56) {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// safeWord reports whether all eight bytes of w are ASCII that JSON
// strings carry unescaped (jsonSafe): no control byte, no byte >= 0x80, no
// '"', '&', '<', '>' or '\\'. It uses the exact word tests "has a byte
// below n", (v-n)&^v&0x80.., and "has a zero byte" on w XOR a character;
// OR-ing in a bit first pairs '"' (0x22) with '&' (0x26) and '<' (0x3c)
// with '>' (0x3e).
func safeWord(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quoteAmp := w | ones*0x04 ^ ones*0x26
	ltGt := w | ones*0x02 ^ ones*0x3e
	backslash := w ^ ones*'\\'
	bad := w | (w-ones*0x20)&^w |
		(quoteAmp-ones)&^quoteAmp | (ltGt-ones)&^ltGt | (backslash-ones)&^backslash
	return bad&highs == 0
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes that appendString copies unescaped. It is
// computed once and never modified.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// payload is the decoded form of a stored record.
type payload struct {
	Seq         uint64          `json:"seq"`
	Prev        string          `json:"prev"`
	ID          ID              `json:"id"`
	Time        time.Time       `json:"time"`
	Severity    Severity        `json:"severity"`
	Type        string          `json:"type"`
	Message     string          `json:"message"`
	Component   string          `json:"component"`
	RunID       string          `json:"run_id"`
	RequestID   string          `json:"request_id"`
	TraceID     string          `json:"trace_id"`
	SpanID      string          `json:"span_id"`
	Attrs       json.RawMessage `json:"attrs"`
	Stack       string          `json:"stack"`
	Fingerprint string          `json:"fingerprint"`
	Redactions  int             `json:"redactions"`
}

// errBadPayload is wrapped by decodePayload errors.
var errBadPayload = errors.New("ledger: malformed record payload")

// decodePayload decodes a stored payload into an entry and its prev hash.
func decodePayload(data []byte) (Entry, Hash, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return Entry{}, Hash{}, fmt.Errorf("%w: %v", errBadPayload, err)
	}
	var prev Hash
	if len(p.Prev) != 64 {
		return Entry{}, Hash{}, fmt.Errorf("%w: bad prev hash", errBadPayload)
	}
	if _, err := hex.Decode(prev[:], []byte(p.Prev)); err != nil {
		return Entry{}, Hash{}, fmt.Errorf("%w: bad prev hash", errBadPayload)
	}
	e := Entry{
		ID: p.ID, Time: p.Time.UTC(), RunID: p.RunID, Type: p.Type, Severity: p.Severity,
		Message: p.Message, Component: p.Component, RequestID: p.RequestID,
		TraceID: p.TraceID, SpanID: p.SpanID, Stack: p.Stack,
		Fingerprint: p.Fingerprint, Redactions: p.Redactions, Seq: p.Seq,
	}
	if len(p.Attrs) > 0 {
		as, err := decodeAttrs(p.Attrs)
		if err != nil {
			return Entry{}, Hash{}, fmt.Errorf("%w: attrs: %v", errBadPayload, err)
		}
		e.Attrs = as
	}
	return e, prev, nil
}

// decodeAttrs decodes a JSON object into attrs, keeping key order. Integers
// become Int64 values, other numbers Float64, objects groups.
func decodeAttrs(raw []byte) ([]slog.Attr, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not an object")
	}
	return decodeObject(dec, 0)
}

func decodeObject(dec *json.Decoder, depth int) ([]slog.Attr, error) {
	if depth > 32 {
		return nil, errors.New("nested too deeply")
	}
	var as []slog.Attr
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := t.(string)
		if !ok {
			return nil, errors.New("bad key")
		}
		v, err := decodeValue(dec, depth)
		if err != nil {
			return nil, err
		}
		as = append(as, slog.Attr{Key: k, Value: v})
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, err
	}
	return as, nil
}

func decodeValue(dec *json.Decoder, depth int) (slog.Value, error) {
	t, err := dec.Token()
	if err != nil {
		return slog.Value{}, err
	}
	switch t := t.(type) {
	case string:
		return slog.StringValue(t), nil
	case bool:
		return slog.BoolValue(t), nil
	case nil:
		return slog.AnyValue(nil), nil
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return slog.Int64Value(i), nil
		}
		if u, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return slog.Uint64Value(u), nil
		}
		f, err := t.Float64()
		if err != nil {
			return slog.Value{}, err
		}
		return slog.Float64Value(f), nil
	case json.Delim:
		if t == '{' {
			as, err := decodeObject(dec, depth+1)
			if err != nil {
				return slog.Value{}, err
			}
			return slog.GroupValue(as...), nil
		}
		arr, err := decodeArray(dec, depth+1)
		if err != nil {
			return slog.Value{}, err
		}
		return slog.AnyValue(arr), nil
	}
	return slog.Value{}, errors.New("unexpected token")
}

// decodeArray decodes the rest of a JSON array into []any (after '[').
func decodeArray(dec *json.Decoder, depth int) ([]any, error) {
	if depth > 32 {
		return nil, errors.New("nested too deeply")
	}
	arr := []any{}
	for dec.More() {
		v, err := decodeValue(dec, depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v.Any())
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return arr, nil
}

// payloadSeq parses the sequence number at the start of a canonical payload.
func payloadSeq(data []byte) (uint64, error) {
	const pre = `{"seq":`
	if !bytes.HasPrefix(data, []byte(pre)) {
		return 0, errBadPayload
	}
	rest := data[len(pre):]
	i := bytes.IndexByte(rest, ',')
	if i <= 0 || i > 20 {
		return 0, errBadPayload
	}
	n, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil {
		return 0, errBadPayload
	}
	return n, nil
}
