package config

import (
	"fmt"
	"log/slog"
)

// Redacted is the fixed marker that a [Secret] prints in place of its value.
const Redacted = "[REDACTED]"

// Secret holds a value that must not leak by accident: a password, an API
// key, a signing key. Every way of printing or encoding a Secret (every fmt
// verb, String, GoString, slog, JSON and text marshalling) produces
// [Redacted]; the value is reachable only through [Secret.Reveal] or
// [Secret.Bytes].
//
// The value is kept behind a pointer, so even a Secret stored in an
// unexported field of a struct printed with %+v shows an address, never the
// value.
//
// The zero Secret is unset: [Secret.IsSet] reports false and Reveal returns
// "". A Secret is immutable and safe for concurrent use.
type Secret struct {
	v *string
}

// NewSecret returns a Secret holding value. Loading fills Secret fields
// itself; NewSecret is for values that come from elsewhere and for tests.
func NewSecret(value string) Secret { return Secret{v: &value} }

// Reveal returns the secret value, or "" if the Secret is unset. Call it
// only where the value is used, never to log or print it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// Bytes returns a fresh copy of the secret value as a byte slice (for
// example an HMAC key), or nil if the Secret is unset.
func (s Secret) Bytes() []byte {
	if s.v == nil {
		return nil
	}
	return []byte(*s.v)
}

// IsSet reports whether the Secret holds a value (possibly one generated for
// development, see the package documentation).
func (s Secret) IsSet() bool { return s.v != nil }

// Len returns the length of the value in bytes, which is safe to log.
func (s Secret) Len() int { return len(s.Reveal()) }

// String returns [Redacted].
func (Secret) String() string { return Redacted }

// GoString returns [Redacted] for %#v.
func (Secret) GoString() string { return Redacted }

// Format implements [fmt.Formatter]: every verb and flag prints [Redacted]
// (%q prints it quoted).
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// LogValue implements [slog.LogValuer] and returns [Redacted].
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements [encoding/json.Marshaler] and returns [Redacted]
// as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements [encoding.TextMarshaler] and returns [Redacted].
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
