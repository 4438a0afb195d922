package config

import (
	"errors"
	"strconv"
	"strings"
)

// Environment is the deployment environment, read from the variable
// <Prefix>ENV (for example DEVSKYY_ENV). An unset, empty or unknown value
// means [Production]: the loader fails closed.
//
// The zero value is Production. A settings field of type Environment with
// no env tag is filled with the resolved environment.
type Environment uint8

const (
	// Production: every required key and every secret must be set,
	// signing keys must be strong, env files need an explicit opt-in.
	Production Environment = iota
	// Staging: as strict as Production about secrets and signing keys,
	// but env files may be loaded.
	Staging
	// Test: a missing secret that is not required stays unset.
	Test
	// Development: a missing secret gets an ephemeral random value and
	// one warning.
	Development
)

// ParseEnvironment parses "development" (or "dev"), "test", "staging" or
// "production" (or "prod"), ignoring case and surrounding space. It reports
// false, with Production, for anything else.
func ParseEnvironment(s string) (Environment, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "development", "dev":
		return Development, true
	case "test":
		return Test, true
	case "staging":
		return Staging, true
	case "production", "prod":
		return Production, true
	}
	return Production, false
}

// String returns "production", "staging", "test" or "development".
func (e Environment) String() string {
	switch e {
	case Production:
		return "production"
	case Staging:
		return "staging"
	case Test:
		return "test"
	case Development:
		return "development"
	}
	return "environment(" + strconv.Itoa(int(e)) + ")"
}

// strict reports whether secrets must be present and strong.
func (e Environment) strict() bool { return e == Production || e == Staging }

// MarshalText implements [encoding.TextMarshaler] with String.
func (e Environment) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with
// ParseEnvironment; an unknown name is an error (the error does not quote
// it).
func (e *Environment) UnmarshalText(b []byte) error {
	v, ok := ParseEnvironment(string(b))
	if !ok {
		return errUnknownEnvironment
	}
	*e = v
	return nil
}

var errUnknownEnvironment = errors.New("config: unknown environment name")
