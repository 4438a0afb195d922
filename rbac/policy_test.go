package rbac_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
)

func TestNewPolicyErrors(t *testing.T) {
	cases := []struct {
		name   string
		grants map[rbac.Permission]rbac.Role
		want   error
	}{
		{"grant to none", map[rbac.Permission]rbac.Role{"agents:read": rbac.None}, rbac.ErrInvalidRole},
		{"grant to out-of-range role", map[rbac.Permission]rbac.Role{"agents:read": rbac.Role(6)}, rbac.ErrInvalidRole},
		{"no colon", map[rbac.Permission]rbac.Role{"agents": rbac.Admin}, rbac.ErrInvalidPermission},
		{"empty", map[rbac.Permission]rbac.Role{"": rbac.Admin}, rbac.ErrInvalidPermission},
		{"empty segment", map[rbac.Permission]rbac.Role{"agents::read": rbac.Admin}, rbac.ErrInvalidPermission},
		{"trailing colon", map[rbac.Permission]rbac.Role{"agents:": rbac.Admin}, rbac.ErrInvalidPermission},
		{"leading colon", map[rbac.Permission]rbac.Role{":read": rbac.Admin}, rbac.ErrInvalidPermission},
		{"upper case", map[rbac.Permission]rbac.Role{"Agents:read": rbac.Admin}, rbac.ErrInvalidPermission},
		{"space", map[rbac.Permission]rbac.Role{"agents: read": rbac.Admin}, rbac.ErrInvalidPermission},
		{"too long", map[rbac.Permission]rbac.Role{rbac.Permission("a:" + strings.Repeat("b", 127)): rbac.Admin}, rbac.ErrInvalidPermission},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := rbac.NewPolicy(c.grants)
			if !errors.Is(err, c.want) || p != nil {
				t.Fatalf("NewPolicy = %v, %v; want nil, %v", p, err, c.want)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	p := testPolicy(t)
	want := []rbac.Permission{"agents:execute", "agents:read", "ledger:read", "models:activate"}
	if diff := cmp.Diff(want, p.Permissions()); diff != "" {
		t.Errorf("Permissions (-want +got):\n%s", diff)
	}
	cases := []struct {
		name string
		role rbac.Role
		perm rbac.Permission
		want bool
	}{
		{"api user executes agents", rbac.APIUser, "agents:execute", true},
		{"read only cannot execute", rbac.ReadOnly, "agents:execute", false},
		{"developer activates models", rbac.Developer, "models:activate", true},
		{"super admin reads ledger", rbac.SuperAdmin, "ledger:read", true},
		{"admin reads ledger", rbac.Admin, "ledger:read", true},
		{"developer cannot read ledger", rbac.Developer, "ledger:read", false},
		{"undefined permission", rbac.SuperAdmin, "ledger:write", false},
		{"none", rbac.None, "agents:read", false},
		{"out of range role", rbac.Role(9), "agents:read", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := p.Allows(c.role, c.perm); got != c.want {
				t.Errorf("Allows(%v, %q) = %v, want %v", c.role, c.perm, got, c.want)
			}
		})
	}
	if r, ok := p.MinRole("models:activate"); !ok || r != rbac.Developer {
		t.Errorf("MinRole = %v, %v", r, ok)
	}
	var nilPolicy *rbac.Policy
	if nilPolicy.Allows(rbac.SuperAdmin, "agents:read") || nilPolicy.Permissions() != nil {
		t.Error("nil policy grants something")
	}
	if _, ok := nilPolicy.MinRole("agents:read"); ok {
		t.Error("nil policy defines a permission")
	}
	var zero rbac.Policy
	if zero.Allows(rbac.SuperAdmin, "agents:read") {
		t.Error("zero policy grants something")
	}
	if _, err := rbac.NewPolicy(map[rbac.Permission]rbac.Role{"a.b:c-d_e:0": rbac.ReadOnly}); err != nil {
		t.Errorf("valid name rejected: %v", err)
	}
}
