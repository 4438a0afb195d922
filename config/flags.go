package config

import (
	"slices"
	"strconv"
	"strings"
)

// FlagState is the state of one feature flag. The zero value is
// [FlagDisabled].
type FlagState uint8

const (
	// FlagDisabled: the component is off and must report itself disabled.
	FlagDisabled FlagState = iota
	// FlagEnabled: the component is on; if it cannot start, the host
	// may degrade (and report so).
	FlagEnabled
	// FlagRequired: the component is on and the host must fail at
	// startup if it cannot start.
	FlagRequired
)

// String returns "disabled", "enabled" or "required".
func (s FlagState) String() string {
	switch s {
	case FlagEnabled:
		return "enabled"
	case FlagRequired:
		return "required"
	case FlagDisabled:
		return "disabled"
	}
	return "flagstate(" + strconv.Itoa(int(s)) + ")"
}

// Flags is a set of feature flags read from one comma-separated variable.
// The field declares its known flags in a flags tag; naming any other flag
// is an error:
//
//	Features config.Flags `env:"FEATURES" flags:"search,pricing,recs" default:"search"`
//
// Each item is "name" (enabled), "name=enabled", "name=disabled" or
// "name=required" (on/off are accepted for enabled/disabled). Names are
// case-insensitive; a flag not listed is disabled; a flag listed twice is an
// error.
//
// The zero Flags has every flag disabled. A Flags is immutable and safe for
// concurrent use.
type Flags struct {
	known  []string
	states map[string]FlagState
}

// ParseFlags parses list against the known flag names, as Load does.
func ParseFlags(known []string, list string) (Flags, error) {
	k := make([]string, 0, len(known))
	for _, n := range known {
		k = append(k, strings.ToLower(strings.TrimSpace(n)))
	}
	f, reason := parseFlags(k, list)
	if reason != "" {
		return Flags{}, &FieldError{Reason: reason, Err: ErrInvalid}
	}
	return f, nil
}

func parseFlags(known []string, list string) (Flags, string) {
	f := Flags{known: slices.Clone(known), states: map[string]FlagState{}}
	slices.Sort(f.known)
	if strings.TrimSpace(list) == "" {
		return f, ""
	}
	for i, item := range strings.Split(list, ",") {
		n := "flag " + strconv.Itoa(i+1)
		name, state, hasState := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		st := FlagEnabled
		if hasState {
			switch strings.ToLower(strings.TrimSpace(state)) {
			case "enabled", "on", "true":
			case "disabled", "off", "false":
				st = FlagDisabled
			case "required":
				st = FlagRequired
			default:
				return Flags{}, n + ": state must be enabled, disabled or required"
			}
		}
		if name == "" {
			return Flags{}, n + " is empty"
		}
		if _, ok := slices.BinarySearch(f.known, name); !ok {
			return Flags{}, n + " is not a known flag (known: " + strings.Join(f.known, ", ") + ")"
		}
		if _, dup := f.states[name]; dup {
			return Flags{}, n + " repeats an earlier flag"
		}
		f.states[name] = st
	}
	return f, ""
}

// State returns the state of the named flag; unknown names are disabled.
func (f Flags) State(name string) FlagState {
	return f.states[strings.ToLower(name)]
}

// Enabled reports whether the named flag is enabled or required.
func (f Flags) Enabled(name string) bool { return f.State(name) != FlagDisabled }

// Required reports whether the named flag is required.
func (f Flags) Required(name string) bool { return f.State(name) == FlagRequired }

// Known returns the declared flag names, sorted.
func (f Flags) Known() []string { return slices.Clone(f.known) }

// String returns every known flag with its state, such as
// "pricing=disabled,search=required", in the syntax ParseFlags reads.
func (f Flags) String() string {
	var b strings.Builder
	for i, n := range f.known {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(f.State(n).String())
	}
	return b.String()
}
