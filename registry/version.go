package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// semver is a parsed semantic version (https://semver.org, 2.0.0). Build
// metadata is dropped because it takes no part in precedence.
type semver struct {
	major, minor, patch uint64
	pre                 string // dot-separated pre-release identifiers; "" for a release
	hasPre              bool
}

// parseSemver parses s as a semantic version, accepting an optional leading
// "v". It reports false when s is not a valid semantic version. It does not
// allocate.
func parseSemver(s string) (semver, bool) {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdents(s[i+1:], false) {
			return semver{}, false
		}
		s = s[:i]
	}
	var v semver
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if !validIdents(s[i+1:], true) {
			return semver{}, false
		}
		v.pre, v.hasPre = s[i+1:], true
		s = s[:i]
	}
	nums := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i := range nums {
		p := s
		if i < 2 {
			j := strings.IndexByte(s, '.')
			if j < 0 {
				return semver{}, false
			}
			p, s = s[:j], s[j+1:]
		}
		n, ok := parseNumeric(p)
		if !ok {
			return semver{}, false
		}
		*nums[i] = n
	}
	return v, true
}

// parseNumeric parses a numeric identifier: digits, no leading zero.
func parseNumeric(p string) (uint64, bool) {
	if p == "" || (len(p) > 1 && p[0] == '0') || !allDigits(p) {
		return 0, false
	}
	n, err := strconv.ParseUint(p, 10, 64)
	return n, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validIdents reports whether s is a non-empty dot-separated list of
// non-empty [0-9A-Za-z-] identifiers; numeric pre-release identifiers must
// not have leading zeros.
func validIdents(s string, pre bool) bool {
	for {
		id, rest, more := strings.Cut(s, ".")
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
		if pre && allDigits(id) && len(id) > 1 && id[0] == '0' {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare orders a and b by semantic-version precedence.
func (a semver) compare(b semver) int {
	if c := cmpUint(a.major, b.major); c != 0 {
		return c
	}
	if c := cmpUint(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmpUint(a.patch, b.patch); c != 0 {
		return c
	}
	switch {
	case !a.hasPre && !b.hasPre:
		return 0
	case !a.hasPre:
		return 1
	case !b.hasPre:
		return -1
	}
	x, y := a.pre, b.pre
	for {
		xi, xr, xmore := strings.Cut(x, ".")
		yi, yr, ymore := strings.Cut(y, ".")
		xn, yn := allDigits(xi), allDigits(yi)
		switch {
		case xn && yn:
			if c := compareDigits(xi, yi); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := strings.Compare(xi, yi); c != 0 {
				return c
			}
		}
		switch {
		case !xmore && !ymore:
			return 0
		case !xmore:
			return -1
		case !ymore:
			return 1
		}
		x, y = xr, yr
	}
}

func cmpInt(a, b int) int { return cmpUint(uint64(a), uint64(b)) }

// compareDigits compares two digit strings numerically, of any length.
func compareDigits(x, y string) int {
	x = strings.TrimLeft(x, "0")
	y = strings.TrimLeft(y, "0")
	if c := cmpInt(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(x, y)
}

// naturalCompare compares strings piecewise: runs of digits numerically,
// everything else bytewise.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			if c := compareDigits(a[:da], b[:db]); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// CompareVersions orders two version strings, returning -1, 0 or +1.
//
// Semantic versions (with or without a leading "v"; MAJOR, MINOR and PATCH
// must fit in 64 bits) are ordered by semver 2.0.0 precedence: pre-releases sort below the release, build metadata is
// ignored. Strings that are not semantic versions sort below every semantic
// version and, among themselves, in natural order (runs of digits compare
// numerically, so "build-9" < "build-10"). Versions of equal precedence (such
// as "1.0.0+a" and "1.0.0+b") are then ordered bytewise, so the result is 0
// only for identical strings and every sort is deterministic.
func CompareVersions(a, b string) int {
	if c := comparePrecedence(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// comparePrecedence is CompareVersions without the final bytewise tie-break.
func comparePrecedence(a, b string) int {
	sa, oka := parseSemver(a)
	sb, okb := parseSemver(b)
	switch {
	case oka && okb:
		return sa.compare(sb)
	case oka:
		return 1
	case okb:
		return -1
	}
	return naturalCompare(a, b)
}

// A Constraint selects semantic versions, such as ">=1.2.0 <2.0.0" or "^1.4".
// Build it with [ParseConstraint]. The zero Constraint matches every version,
// semantic or not. A Constraint is immutable and safe for concurrent use.
type Constraint struct {
	text  string
	terms []term
}

type term struct {
	op string
	v  semver
	// bound marks the synthetic upper bound of ^ and ~, whose "-0"
	// pre-release does not admit pre-releases.
	bound bool
}

// ParseConstraint parses a constraint: comparators separated by spaces or
// commas, all of which must hold. A comparator is an operator (=, !=, >, >=,
// <, <=, ^ or ~; none means =) followed by a version whose minor and patch may
// be omitted ("1.4" means "1.4.0"). "^1.4.2" means >=1.4.2 <2.0.0 (for 0.x,
// <0.(x+1).0); "~1.4.2" means >=1.4.2 <1.5.0. Comparisons use semver
// precedence. As in npm, a pre-release matches only when some comparator
// names a pre-release of the same MAJOR.MINOR.PATCH: "^1.0" excludes
// "1.1.0-beta", ">=1.1.0-alpha" admits it. A non-empty constraint never
// matches a version that is not semver. The empty string yields the zero
// Constraint.
func ParseConstraint(s string) (Constraint, error) {
	if len(s) > maxTextLen {
		return Constraint{}, fmt.Errorf("%w: constraint longer than %d bytes", ErrInvalid, maxTextLen)
	}
	c := Constraint{text: s}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		op := ""
		for _, o := range [...]string{">=", "<=", "!=", ">", "<", "=", "^", "~"} {
			if strings.HasPrefix(f, o) {
				op = o
				break
			}
		}
		v, ok := parsePartial(f[len(op):])
		if !ok {
			return Constraint{}, fmt.Errorf("%w: constraint version", ErrInvalid)
		}
		switch op {
		case "", "=":
			c.terms = append(c.terms, term{"=", v, false})
		case "^":
			hi := semver{major: v.major + 1, pre: "0", hasPre: true}
			if v.major == 0 {
				hi = semver{minor: v.minor + 1, pre: "0", hasPre: true}
			}
			c.terms = append(c.terms, term{">=", v, false}, term{"<", hi, true})
		case "~":
			c.terms = append(c.terms, term{">=", v, false}, term{"<", semver{major: v.major, minor: v.minor + 1, pre: "0", hasPre: true}, true})
		default:
			c.terms = append(c.terms, term{op, v, false})
		}
	}
	return c, nil
}

// parsePartial parses a full semantic version or MAJOR[.MINOR].
func parsePartial(s string) (semver, bool) {
	if v, ok := parseSemver(s); ok {
		return v, true
	}
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) > 2 {
		return semver{}, false
	}
	var n [2]uint64
	for i, p := range parts {
		x, ok := parseNumeric(p)
		if !ok {
			return semver{}, false
		}
		n[i] = x
	}
	return semver{major: n[0], minor: n[1]}, true
}

// admitsPre reports whether a comparator names a pre-release of v's
// MAJOR.MINOR.PATCH, which is what lets pre-releases match.
func (c Constraint) admitsPre(v semver) bool {
	for _, t := range c.terms {
		if !t.bound && t.v.hasPre && t.v.major == v.major && t.v.minor == v.minor && t.v.patch == v.patch {
			return true
		}
	}
	return false
}

// String returns the constraint's source text.
func (c Constraint) String() string { return c.text }

// Match reports whether version satisfies every comparator of c.
func (c Constraint) Match(version string) bool {
	if len(c.terms) == 0 {
		return true
	}
	v, ok := parseSemver(version)
	if !ok {
		return false
	}
	if v.hasPre && !c.admitsPre(v) {
		return false
	}
	for _, t := range c.terms {
		r := v.compare(t.v)
		var ok bool
		switch t.op {
		case "=":
			ok = r == 0
		case "!=":
			ok = r != 0
		case ">":
			ok = r > 0
		case ">=":
			ok = r >= 0
		case "<":
			ok = r < 0
		default: // "<="
			ok = r <= 0
		}
		if !ok {
			return false
		}
	}
	return true
}
