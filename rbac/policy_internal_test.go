package rbac

import (
	"fmt"
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
		{"indistinguishable samples fall back to the map", map[Permission]Role{
			"ab:cdefgh": ReadOnly, "ax:cdefgh": Admin,
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
				for _, miss := range []Permission{name + "x", "x" + name, Permission(string(name[:len(name)-1]) + "_")} {
					if _, defined := c.grants[miss]; defined {
						continue
					}
					if r, ok := p.MinRole(miss); ok || r != None {
						t.Errorf("MinRole(%q) = %v, %v for an undefined permission", miss, r, ok)
					}
				}
			}
			if _, ok := p.MinRole(""); ok {
				t.Error(`MinRole("") found something`)
			}
		})
	}
}
