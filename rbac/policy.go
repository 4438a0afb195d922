package rbac

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"unsafe"
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
	// (nil when no perfect seed was found: then min is used). A name is
	// read as two little-endian words, its first and its last eight bytes
	// (four for shorter names), which together with its length identify a
	// name of up to 16 bytes exactly; the words are mixed, multiplied by
	// seed and the top bits pick the slot. Longer names also compare the
	// string.
	table []slot
	seed  uint64
	shift uint
}

// slot is one entry of Policy.table. An empty slot has n == 0, which no
// valid name has.
type slot struct {
	lo, hi uint64
	n      uint
	role   Role
	name   Permission
}

// words returns the words of a name of 3 to 128 bytes (see Policy.table):
// its first and last eight bytes, or four for a name of 4 to 7 bytes, or
// its three bytes. With the length they identify a name of up to 16 bytes
// exactly.
func words(p Permission) (lo, hi uint64) {
	n := uint(len(p))
	b := unsafe.Slice(unsafe.StringData(string(p)), n)
	switch {
	case n >= 8:
		return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	}
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16, 0
}

// mix folds the words and the length of a name into one hash input.
func mix(lo, hi uint64, n uint) uint64 { return lo ^ bits.RotateLeft64(hi, 29) ^ uint64(n) }

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
				lo, hi := words(name)
				i := mix(lo, hi, uint(len(name))) * seed >> (64 - bits)
				if table[i].n != 0 {
					ok = false
					break
				}
				table[i] = slot{lo: lo, hi: hi, n: uint(len(name)), role: p.min[name], name: name}
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
	if r := p.lookup(perm); r != None {
		return r, true
	}
	return None, false
}

// Allows reports whether a holder of r has perm. An undefined permission is
// held by nobody. It takes no lock and allocates nothing.
func (p *Policy) Allows(r Role, perm Permission) bool {
	req := p.lookup(perm)
	return req != None && r >= req && r <= SuperAdmin
}

// lookup returns the minimum role for perm, None when it is undefined.
// Names of a length no valid name has are cut first; a name of up to 16
// bytes is confirmed by its words alone, a longer one by comparing strings.
func (p *Policy) lookup(perm Permission) Role {
	n := uint(len(perm))
	if p == nil || n-3 > 128-3 {
		return None
	}
	if p.table == nil {
		return p.min[perm]
	}
	lo, hi := words(perm)
	s := &p.table[mix(lo, hi, n)*p.seed>>p.shift]
	if s.lo == lo && s.hi == hi && s.n == n && (n <= 16 || s.name == perm) {
		return s.role
	}
	return None
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
