package rbac_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
)

func TestParseRole(t *testing.T) {
	valid := map[string]rbac.Role{
		"none": rbac.None, "read_only": rbac.ReadOnly, "api_user": rbac.APIUser,
		"developer": rbac.Developer, "admin": rbac.Admin, "super_admin": rbac.SuperAdmin,
	}
	for s, want := range valid {
		t.Run(s, func(t *testing.T) {
			got, err := rbac.ParseRole(s)
			if err != nil || got != want {
				t.Fatalf("ParseRole(%q) = %v, %v; want %v", s, got, err, want)
			}
			if got.String() != s {
				t.Errorf("String() = %q, want %q", got.String(), s)
			}
		})
	}
	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"title case", "Admin"},
		{"upper case", "ADMIN"},
		{"go constant name", "SuperAdmin"},
		{"no underscore", "superadmin"},
		{"hyphen", "super-admin"},
		{"leading space", " admin"},
		{"trailing space", "admin "},
		{"trailing NUL", "admin\x00"},
		{"cyrillic a", "аdmin"},
		{"accented", "ádmin"},
		{"fullwidth", "ａｄｍｉｎ"},
		{"number", "4"},
		{"root", "root"},
		{"prefix", "adm"},
		{"suffix", "admins"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			got, err := rbac.ParseRole(c.in)
			if !errors.Is(err, rbac.ErrInvalidRole) || got != rbac.None {
				t.Fatalf("ParseRole(%q) = %v, %v; want None, ErrInvalidRole", c.in, got, err)
			}
		})
	}
}

func TestRoleSatisfies(t *testing.T) {
	cases := []struct {
		name      string
		have, req rbac.Role
		want      bool
	}{
		{"equal", rbac.Admin, rbac.Admin, true},
		{"above", rbac.SuperAdmin, rbac.ReadOnly, true},
		{"below", rbac.Developer, rbac.Admin, false},
		{"none has nothing", rbac.None, rbac.ReadOnly, false},
		{"none required is never met", rbac.SuperAdmin, rbac.None, false},
		{"none meets none", rbac.None, rbac.None, false},
		{"out of range holder", rbac.Role(9), rbac.ReadOnly, false},
		{"max byte holder", rbac.Role(255), rbac.SuperAdmin, false},
		{"out of range requirement", rbac.SuperAdmin, rbac.Role(6), false},
		{"out of range both", rbac.Role(7), rbac.Role(6), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.have.Satisfies(c.req); got != c.want {
				t.Errorf("%v.Satisfies(%v) = %v, want %v", c.have, c.req, got, c.want)
			}
		})
	}
}

func TestRoleCanGrant(t *testing.T) {
	cases := []struct {
		name         string
		have, target rbac.Role
		want         bool
	}{
		{"admin grants developer", rbac.Admin, rbac.Developer, true},
		{"admin grants read only", rbac.Admin, rbac.ReadOnly, true},
		{"admin cannot grant admin", rbac.Admin, rbac.Admin, false},
		{"admin cannot grant super admin", rbac.Admin, rbac.SuperAdmin, false},
		{"super admin grants super admin", rbac.SuperAdmin, rbac.SuperAdmin, true},
		{"read only grants nothing", rbac.ReadOnly, rbac.ReadOnly, false},
		{"none grants nothing", rbac.None, rbac.None, false},
		{"none is not a grant", rbac.SuperAdmin, rbac.None, false},
		{"out of range target", rbac.SuperAdmin, rbac.Role(6), false},
		{"out of range granter", rbac.Role(200), rbac.ReadOnly, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.have.CanGrant(c.target); got != c.want {
				t.Errorf("%v.CanGrant(%v) = %v, want %v", c.have, c.target, got, c.want)
			}
		})
	}
}

func TestRoleJSON(t *testing.T) {
	type doc struct {
		Role rbac.Role `json:"role"`
	}
	b, err := json.Marshal(doc{rbac.APIUser})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"role":"api_user"}`, string(b)); diff != "" {
		t.Errorf("marshal (-want +got):\n%s", diff)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"role":"developer"}`), &d); err != nil || d.Role != rbac.Developer {
		t.Errorf("unmarshal = %v, %v", d.Role, err)
	}
	for _, in := range []string{`{"role":3}`, `{"role":"Developer"}`, `{"role":null, "x":1}`, `{"role":""}`} {
		var d doc
		err := json.Unmarshal([]byte(in), &d)
		if in == `{"role":null, "x":1}` { // null leaves the zero value, which satisfies nothing
			if err != nil || d.Role != rbac.None {
				t.Errorf("unmarshal %s = %v, %v", in, d.Role, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("unmarshal %s succeeded: %v", in, d.Role)
		}
	}
	if _, err := json.Marshal(doc{rbac.Role(9)}); !errors.Is(err, rbac.ErrInvalidRole) {
		t.Errorf("marshal Role(9): %v, want ErrInvalidRole", err)
	}
	if got := rbac.Role(9).String(); got != "Role(9)" {
		t.Errorf("String = %q", got)
	}
	if rbac.Role(6).Valid() || !rbac.None.Valid() {
		t.Error("Valid is wrong")
	}
}

func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"admin", "super_admin", "Admin", "", "read_only\x00", "аdmin", "none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := rbac.ParseRole(s)
		if err != nil {
			if r != rbac.None {
				t.Fatalf("failed parse returned %v", r)
			}
			if !errors.Is(err, rbac.ErrInvalidRole) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !r.Valid() || r.String() != s {
			t.Fatalf("ParseRole(%q) = %v: not an exact round trip", s, r)
		}
		var back rbac.Role
		if err := back.UnmarshalText([]byte(s)); err != nil || back != r {
			t.Fatalf("UnmarshalText(%q) = %v, %v", s, back, err)
		}
	})
}
