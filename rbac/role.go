package rbac

import (
	"errors"
	"strconv"
)

// Role is a position in the platform's total order of roles:
//
//	None < ReadOnly < APIUser < Developer < Admin < SuperAdmin
//
// The zero value is [None], "no role": it satisfies no requirement, so an
// uninitialised principal is refused everywhere. A numeric value outside
// the defined set (for example Role(9)) is invalid and never satisfies a
// check, nor can it be required. Role is a small integer and safe for
// concurrent use.
//
// The text form (used by [Role.MarshalText], JSON, tokens and
// configuration) is the snake_case name: "none", "read_only", "api_user",
// "developer", "admin", "super_admin". Parsing accepts exactly those names.
type Role uint8

// The defined roles, in ascending order.
const (
	None       Role = iota // no role; satisfies nothing
	ReadOnly               // read access to non-sensitive resources
	APIUser                // programmatic use of the public API
	Developer              // agent and model development
	Admin                  // platform administration
	SuperAdmin             // everything, including granting SuperAdmin
)

// ErrInvalidRole reports a role name or number outside the defined set.
var ErrInvalidRole = errors.New("rbac: invalid role")

// name returns the text form of a valid role and "" otherwise.
func (r Role) name() string {
	switch r {
	case None:
		return "none"
	case ReadOnly:
		return "read_only"
	case APIUser:
		return "api_user"
	case Developer:
		return "developer"
	case Admin:
		return "admin"
	case SuperAdmin:
		return "super_admin"
	}
	return ""
}

// ParseRole returns the role whose text form is exactly s. Unknown,
// misspelled, differently cased, padded or look-alike names fail with
// [ErrInvalidRole]; the error never repeats s.
func ParseRole(s string) (Role, error) {
	// Compare against each canonical name: exact bytes only.
	for r := None; r <= SuperAdmin; r++ {
		if s == r.name() {
			return r, nil
		}
	}
	return None, ErrInvalidRole
}

// Valid reports whether r is one of the defined roles, None included.
func (r Role) Valid() bool { return r <= SuperAdmin }

// Satisfies reports whether a holder of r meets the requirement required:
// both must be real roles (ReadOnly through SuperAdmin) and r must be at
// least required. None and out-of-range values never satisfy anything, and a
// requirement of None or of an out-of-range value is never met.
//
// It is a pair of integer comparisons: no lock, no allocation.
func (r Role) Satisfies(required Role) bool {
	return required-1 < SuperAdmin && r >= required && r <= SuperAdmin
}

// CanGrant reports whether a holder of r may give target to someone else:
// only a real role strictly below r, so that no principal can create a peer
// or a superior. SuperAdmin is the documented exception: it may also grant
// SuperAdmin, otherwise the top role could never be handed over. Granting
// None (revocation) is not covered by this rule.
func (r Role) CanGrant(target Role) bool {
	if !target.Satisfies(ReadOnly) || !r.Satisfies(ReadOnly) {
		return false
	}
	return target < r || r == SuperAdmin
}

// String returns the text form of r, or "Role(n)" for an invalid value.
func (r Role) String() string {
	if r.Valid() {
		return r.name()
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText implements [encoding.TextMarshaler]. An invalid role is an
// error rather than a number that a reader might accept.
func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, ErrInvalidRole
	}
	return []byte(r.name()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with the strict
// rules of [ParseRole]. JSON uses it too, so a role in JSON is a string;
// a JSON number is rejected.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
