package rbac

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Permission names an action, "resource:action" such as "agents:execute",
// "models:activate" or "ledger:read": one or more segments of lower-case
// letters, digits, '_', '-' or '.', separated by ':', at least two segments,
// at most 128 bytes. A Permission is also an [Access] for [Mux.Handle]; it
// is resolved against the mux's [Policy] when the route is registered.
type Permission string

// ErrUnknownPermission reports a permission that the policy does not define.
var ErrUnknownPermission = errors.New("rbac: unknown permission")

// ErrInvalidPermission reports a permission name that breaks the naming rule.
var ErrInvalidPermission = errors.New("rbac: invalid permission name")

// valid reports whether p follows the naming rule of [Permission].
func (p Permission) valid() bool {
	if len(p) == 0 || len(p) > 128 {
		return false
	}
	segs, segLen := 1, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
			segLen++
		case c == ':':
			if segLen == 0 {
				return false
			}
			segs, segLen = segs+1, 0
		default:
			return false
		}
	}
	return segs >= 2 && segLen > 0
}

// Policy maps each permission to the minimum role that holds it. It is
// built and validated once by [NewPolicy] and never changes afterwards, so
// a *Policy is safe for concurrent use. The zero value is an empty policy
// that grants nothing; a nil *Policy behaves the same.
type Policy struct {
	min   map[Permission]Role // immutable after NewPolicy
	names []Permission        // sorted keys of min

	// table is a collision-free hash table over min, built by NewPolicy
	// (nil when no perfect seed was found: then min is used). A lookup
	// samples a few bytes of the name, multiplies by seed and keeps the
	// top bits, then one string comparison confirms the match.
	table []slot
	seed  uint64
	shift uint
}

// slot is one entry of Policy.table.
type slot struct {
	name Permission
	role Role
}

// sample mixes the length and five bytes of a non-empty name.
func sample(p Permission) uint64 {
	n := uint(len(p))
	return uint64(n) | uint64(p[0])<<8 | uint64(p[n>>2])<<16 | uint64(p[n>>1])<<24 |
		uint64(p[n-1-n>>2])<<32 | uint64(p[n-1])<<40
}

// buildTable searches for a seed that places every permission in its own
// slot, trying tables of 2, 4 and 8 times the next power of two.
func (p *Policy) buildTable() {
	n := len(p.names)
	if n == 0 {
		return
	}
	size := 1
	for size < n {
		size <<= 1
	}
	seed := uint64(0x9e3779b97f4a7c15)
	for grow := 1; grow <= 3; grow++ {
		bits := uint(0)
		for 1<<bits < size<<grow {
			bits++
		}
		table := make([]slot, 1<<bits)
		for try := 0; try < 256; try++ {
			seed = seed*6364136223846793005 + 1442695040888963407 | 1 // odd multipliers from an LCG
			clear(table)
			ok := true
			for _, name := range p.names {
				i := sample(name) * seed >> (64 - bits)
				if table[i].name != "" {
					ok = false
					break
				}
				table[i] = slot{name: name, role: p.min[name]}
			}
			if ok {
				p.table, p.seed, p.shift = table, seed, 64-bits
				return
			}
		}
	}
}

// NewPolicy validates grants (permission -> minimum role) and returns the
// policy. Every name must follow the [Permission] naming rule
// ([ErrInvalidPermission]) and every role must be a real role, ReadOnly
// through SuperAdmin ([ErrInvalidRole]): None or an out-of-range number is
// an error, never a silent deny. The map is copied.
func NewPolicy(grants map[Permission]Role) (*Policy, error) {
	p := &Policy{min: make(map[Permission]Role, len(grants))}
	for _, name := range slices.Sorted(maps.Keys(grants)) {
		if !name.valid() {
			return nil, fmt.Errorf("%w: a name of length %d", ErrInvalidPermission, len(name))
		}
		r := grants[name]
		if !r.Satisfies(ReadOnly) {
			return nil, fmt.Errorf("%w: permission %q is granted to %v", ErrInvalidRole, name, r)
		}
		p.min[name] = r
		p.names = append(p.names, name)
	}
	p.buildTable()
	return p, nil
}

// MinRole returns the minimum role holding perm, and false when the policy
// does not define perm.
func (p *Policy) MinRole(perm Permission) (Role, bool) {
	if p == nil || perm == "" {
		return None, false
	}
	if p.table != nil {
		if s := &p.table[sample(perm)*p.seed>>p.shift]; s.name == perm {
			return s.role, true
		}
		return None, false
	}
	r, ok := p.min[perm]
	return r, ok
}

// Allows reports whether a holder of r has perm. An undefined permission is
// held by nobody. It takes no lock and allocates nothing.
func (p *Policy) Allows(r Role, perm Permission) bool {
	req, _ := p.MinRole(perm) // None when undefined; MinRole never returns an out-of-range role
	return req != None && r >= req && r <= SuperAdmin
}

// Permissions returns the defined permissions in sorted order.
func (p *Policy) Permissions() []Permission {
	if p == nil {
		return nil
	}
	return slices.Clone(p.names)
}

// Access is what a route requires: a [Role] (that role or above), a
// [Permission] (the policy's minimum role for it, or above), or [Public]
// (no authentication). It is closed: only this package implements it.
type Access interface {
	// resolve returns the minimum role for the access, with public true
	// for Public, or an error when it cannot be met.
	resolve(p *Policy) (req Role, public bool, err error)
	// describe names the access for route tables and decisions:
	// "role:admin", "permission:agents:execute" or "public".
	describe() string
}

func (r Role) describe() string { return "role:" + r.String() }

func (r Role) resolve(*Policy) (Role, bool, error) {
	if !r.Satisfies(ReadOnly) {
		return None, false, fmt.Errorf("%w: a route requires %v", ErrInvalidRole, r)
	}
	return r, false, nil
}

func (p Permission) resolve(pol *Policy) (Role, bool, error) {
	r, ok := pol.MinRole(p)
	if !ok {
		return None, false, fmt.Errorf("%w: %q", ErrUnknownPermission, string(p))
	}
	return r, false, nil
}

func (p Permission) describe() string { return "permission:" + string(p) }

type public struct{}

func (public) resolve(*Policy) (Role, bool, error) { return None, true, nil }
func (public) describe() string                    { return "public" }

// Public returns the [Access] of a route that anyone may call without
// credentials. It must be stated explicitly: a route never becomes public
// by omission.
func Public() Access { return public{} }
