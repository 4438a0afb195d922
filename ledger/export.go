package ledger

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// Export writes the entries matching f to w as JSON lines, one object per
// entry, named after the OpenTelemetry log data model:
//
//	Timestamp        RFC 3339 time with nanoseconds (UTC)
//	SeverityText     INFO, LOW, MEDIUM, HIGH or CRITICAL
//	SeverityNumber   9, 13, 17, 19 or 21 (see Severity)
//	Body             the message
//	EventName        the entry type
//	TraceId, SpanId  when present
//	Attributes       ledger.id, ledger.seq, ledger.run_id, ledger.component,
//	                 ledger.request_id, ledger.fingerprint, ledger.redactions,
//	                 exception.type (the type, when a stack is present),
//	                 exception.stacktrace, and the entry's attributes with
//	                 group keys joined by dots
//
// It returns the number of entries written.
func (l *Ledger) Export(ctx context.Context, w io.Writer, f Filter) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	var buf []byte
	for e, err := range l.Query(ctx, f) {
		if err != nil {
			return n, err
		}
		buf = appendOTel(buf[:0], &e)
		if _, err := bw.Write(buf); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}

func appendOTel(dst []byte, e *Entry) []byte {
	dst = append(dst, `{"Timestamp":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","SeverityText":"`...)
	dst = append(dst, e.Severity.String()...)
	dst = append(dst, `","SeverityNumber":`...)
	dst = strconv.AppendInt(dst, int64(e.Severity.OTelSeverityNumber()), 10)
	dst = append(dst, `,"Body":`...)
	dst = appendString(dst, e.Message)
	dst = appendField(dst, "EventName", e.Type)
	dst = appendField(dst, "TraceId", e.TraceID)
	dst = appendField(dst, "SpanId", e.SpanID)
	dst = append(dst, `,"Attributes":{"ledger.id":"`...)
	dst = append(dst, e.ID.String()...)
	dst = append(dst, `","ledger.seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = appendField(dst, "ledger.run_id", e.RunID)
	dst = appendField(dst, "ledger.component", e.Component)
	dst = appendField(dst, "ledger.request_id", e.RequestID)
	dst = appendField(dst, "ledger.fingerprint", e.Fingerprint)
	if e.Redactions > 0 {
		dst = append(dst, `,"ledger.redactions":`...)
		dst = strconv.AppendInt(dst, int64(e.Redactions), 10)
	}
	if e.Stack != "" {
		dst = appendField(dst, "exception.type", e.Type)
		dst = appendField(dst, "exception.stacktrace", e.Stack)
	}
	dst = appendFlat(dst, "", e.Attrs)
	return append(dst, "}}\n"...)
}

func appendFlat(dst []byte, prefix string, as []slog.Attr) []byte {
	for _, a := range as {
		key := a.Key
		if prefix != "" && key != "" {
			key = prefix + "." + key
		} else if key == "" {
			key = prefix
		}
		if a.Value.Kind() == slog.KindGroup {
			dst = appendFlat(dst, key, a.Value.Group())
			continue
		}
		if key == "" {
			continue
		}
		dst = append(dst, ',')
		dst = appendString(dst, key)
		dst = append(dst, ':')
		dst = appendValue(dst, a.Value)
	}
	return dst
}
