package rbac

import (
	"fmt"
	"strings"
	"testing"
)

func TestPolicyTable(t *testing.T) {
	cases := []struct {
		name      string
		grants    map[Permission]Role
		wantTable bool
	}{
		{"five-role platform policy", map[Permission]Role{
			"agents:read": ReadOnly, "agents:execute": APIUser, "models:activate": Developer,
			"ledger:read": Admin, "roles:grant": SuperAdmin,
		}, true},
		{"names that differ in one middle byte", map[Permission]Role{
			"ab:cdefgh": ReadOnly, "ax:cdefgh": Admin, "a:b": APIUser, "a:c": Developer,
			"ab:cdefghijklmnop": Admin, "ab:cdefghxjklmnop": ReadOnly,
		}, true},
		{"long names with equal words collide and fall back to the map", map[Permission]Role{
			"aaaaaaaa:x:bbbbbbbb": ReadOnly, "aaaaaaaa:y:bbbbbbbb": SuperAdmin,
		}, false},
		{"empty", map[Permission]Role{}, false},
	}
	big := map[Permission]Role{}
	for i := range 300 {
		big[Permission(fmt.Sprintf("res%d:act%d", i, i%7))] = Role(i%5 + 1)
	}
	cases = append(cases, struct {
		name      string
		grants    map[Permission]Role
		wantTable bool
	}{"300 permissions", big, false})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPolicy(c.grants)
			if err != nil {
				t.Fatal(err)
			}
			if c.wantTable && p.table == nil {
				t.Error("no perfect table was found")
			}
			for name, want := range c.grants {
				if got, ok := p.MinRole(name); !ok || got != want {
					t.Errorf("MinRole(%q) = %v, %v; want %v", name, got, ok, want)
				}
				// Near misses share samples with a defined name but are not it.
				mid := []byte(name)
				mid[len(mid)/2] = 'q'
				for _, miss := range []Permission{name + "x", "x" + name, Permission(string(name[:len(name)-1]) + "_"), Permission(mid)} {
					if _, defined := c.grants[miss]; defined {
						continue
					}
					if r, ok := p.MinRole(miss); ok || r != None {
						t.Errorf("MinRole(%q) = %v, %v for an undefined permission", miss, r, ok)
					}
				}
			}
			for _, bad := range []Permission{"", "a", "a:", Permission(strings.Repeat("a", 129))} {
				if _, ok := p.MinRole(bad); ok {
					t.Errorf("MinRole(%q) found something", bad)
				}
			}
		})
	}
}
