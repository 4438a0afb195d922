package config

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// Source says where a key's value came from. The zero value is
// [SourceUnset]. Sources are plain values, safe for concurrent use.
type Source uint8

const (
	// SourceUnset: no source had a value; the field keeps its zero value.
	SourceUnset Source = iota
	// SourceDefault: the field's default tag.
	SourceDefault
	// SourceEnvFile: one of Options.EnvFiles.
	SourceEnvFile
	// SourceFile: the file named by KEY_FILE.
	SourceFile
	// SourceEnv: the environment.
	SourceEnv
	// SourceOverride: Options.Overrides.
	SourceOverride
	// SourceGenerated: an ephemeral random secret (development only).
	SourceGenerated
)

// MarshalText implements [encoding.TextMarshaler] with String.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String returns a lowercase name such as "env" or "default".
func (s Source) String() string {
	switch s {
	case SourceUnset:
		return "unset"
	case SourceDefault:
		return "default"
	case SourceEnvFile:
		return "env file"
	case SourceFile:
		return "file"
	case SourceEnv:
		return "env"
	case SourceOverride:
		return "override"
	case SourceGenerated:
		return "generated"
	}
	return "source(" + strconv.Itoa(int(s)) + ")"
}

// Origin is the provenance of one key, as listed in [Result.Origins]. The
// zero Origin describes no key. It is a plain value, safe to share.
type Origin struct {
	Key    string // full variable name
	Field  string // Go field path
	Source Source
	// Value is the value as read, [Redacted] for a set secret, "" when
	// unset.
	Value string
}

// Result describes a Load: the resolved environment, the provenance of
// every key and the unknown keys. After a failed Load only Environment and
// the provenance gathered so far are meaningful. The zero Result is empty.
// It is a plain value, safe to share once returned; log it with
// slog.Any("config", res) for a provenance line with secrets redacted.
type Result struct {
	// Environment is the resolved environment.
	Environment Environment
	// Origins has one entry per key, sorted by key.
	Origins []Origin
	// UnknownKeys lists unknown keys under the prefix when the policy is
	// warn or ignore, sorted.
	UnknownKeys []string
}

// Origin returns the provenance of key.
func (r Result) Origin(key string) (Origin, bool) {
	i, ok := slices.BinarySearchFunc(r.Origins, key, func(o Origin, k string) int { return strings.Compare(o.Key, k) })
	if !ok {
		return Origin{}, false
	}
	return r.Origins[i], true
}

// LogValue implements [slog.LogValuer]: the environment and, per key, its
// source and value (secrets redacted).
func (r Result) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(r.Origins)+1)
	attrs = append(attrs, slog.String("environment", r.Environment.String()))
	for _, o := range r.Origins {
		attrs = append(attrs, slog.Group(o.Key, slog.String("source", o.Source.String()), slog.String("value", o.Value)))
	}
	return slog.GroupValue(attrs...)
}
