package ledger

import (
	"fmt"
	"log/slog"
)

// Severity ranks an entry. The zero value is SeverityInfo, the lowest.
//
// Severities map one way to slog levels and to OpenTelemetry severity numbers:
//
//	Severity          text       slog level        OTel SeverityNumber
//	SeverityInfo      INFO       LevelInfo (0)     9  (INFO)
//	SeverityLow       LOW        LevelWarn (4)     13 (WARN)
//	SeverityMedium    MEDIUM     LevelError (8)    17 (ERROR)
//	SeverityHigh      HIGH       LevelError+2      19 (ERROR3)
//	SeverityCritical  CRITICAL   LevelError+4      21 (FATAL)
//
// The slog Handler maps the other way with [SeverityFromLevel], which rounds a
// level down to the nearest row of this table.
type Severity int8

// The severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

const numSeverities = 5

var severityNames = [numSeverities]string{"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// String returns the upper-case name of s, or "Severity(n)" when s is out of range.
func (s Severity) String() string {
	if s.valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int8(s))
}

func (s Severity) valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// MarshalText implements encoding.TextMarshaler; it fails for an out-of-range severity.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("ledger: invalid severity %d", int8(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts the names
// returned by String, in any case.
func (s *Severity) UnmarshalText(b []byte) error {
	v, ok := parseSeverity(b)
	if !ok {
		return fmt.Errorf("ledger: unknown severity")
	}
	*s = v
	return nil
}

func parseSeverity(b []byte) (Severity, bool) {
	for i, n := range severityNames {
		if len(b) == len(n) && equalFoldASCII(b, n) {
			return Severity(i), true
		}
	}
	return 0, false
}

func equalFoldASCII(b []byte, s string) bool {
	for i := range b {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// SlogLevel returns the slog level of s (see the table on [Severity]).
func (s Severity) SlogLevel() slog.Level {
	switch {
	case s <= SeverityInfo:
		return slog.LevelInfo
	case s == SeverityLow:
		return slog.LevelWarn
	case s == SeverityMedium:
		return slog.LevelError
	case s == SeverityHigh:
		return slog.LevelError + 2
	default:
		return slog.LevelError + 4
	}
}

// OTelSeverityNumber returns the OpenTelemetry SeverityNumber of s (see the
// table on [Severity]).
func (s Severity) OTelSeverityNumber() int {
	switch {
	case s <= SeverityInfo:
		return 9
	case s == SeverityLow:
		return 13
	case s == SeverityMedium:
		return 17
	case s == SeverityHigh:
		return 19
	default:
		return 21
	}
}

// SeverityFromLevel maps a slog level to a severity, rounding down to the
// nearest row of the table on [Severity]; levels below LevelWarn are SeverityInfo.
func SeverityFromLevel(l slog.Level) Severity {
	switch {
	case l >= slog.LevelError+4:
		return SeverityCritical
	case l >= slog.LevelError+2:
		return SeverityHigh
	case l >= slog.LevelError:
		return SeverityMedium
	case l >= slog.LevelWarn:
		return SeverityLow
	default:
		return SeverityInfo
	}
}
