package rbacbench

import (
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/devskyy/devskyy/rbac"
)

// casbinModel is RBAC with a role hierarchy: g(sub, role) follows the
// grouping rules transitively.
const casbinModel = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`

// grants is the shared policy: permission -> minimum role.
var grants = []struct {
	obj, act string
	perm     rbac.Permission
	role     rbac.Role
}{
	{"agents", "read", "agents:read", rbac.ReadOnly},
	{"agents", "execute", "agents:execute", rbac.APIUser},
	{"models", "activate", "models:activate", rbac.Developer},
	{"ledger", "read", "ledger:read", rbac.Admin},
}

// reportCPU adds a cpu-ns/op metric measured from start: CPU time per
// operation, which a loaded machine inflates less than wall time.
func reportCPU(b *testing.B, start time.Duration, ok bool) {
	b.Helper()
	if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

func newCasbin(b *testing.B) *casbin.Enforcer {
	b.Helper()
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		b.Fatal(err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range grants {
		if _, err := e.AddPolicy(g.role.String(), g.obj, g.act); err != nil {
			b.Fatal(err)
		}
	}
	// The hierarchy: each role inherits the one below it.
	for r := rbac.APIUser; r <= rbac.SuperAdmin; r++ {
		if _, err := e.AddGroupingPolicy(r.String(), (r - 1).String()); err != nil {
			b.Fatal(err)
		}
	}
	return e
}

func newPolicy(b *testing.B) *rbac.Policy {
	b.Helper()
	m := map[rbac.Permission]rbac.Role{}
	for _, g := range grants {
		m[g.perm] = g.role
	}
	p, err := rbac.NewPolicy(m)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// checkCase is one question asked of both libraries.
type checkCase struct {
	name string
	role rbac.Role
	g    int // index into grants
	want bool
}

var checkCases = []checkCase{
	// developer reading agents: allowed through three hierarchy steps.
	{"Allowed", rbac.Developer, 0, true},
	// api_user activating models: denied.
	{"Denied", rbac.APIUser, 2, false},
}

// BenchmarkCheck asks "may this role do this?" of both libraries.
// devskyy/permission looks the permission up by name; devskyy/role is the
// check a Mux route performs (the permission resolved at registration).
func BenchmarkCheck(b *testing.B) {
	for _, c := range checkCases {
		g := grants[c.g]
		b.Run(c.name+"/devskyy-permission", func(b *testing.B) {
			p := newPolicy(b)
			if p.Allows(c.role, g.perm) != c.want {
				b.Fatal("wrong answer")
			}
			b.ReportAllocs()
			start, ok := cpuTime()
			for b.Loop() {
				if p.Allows(c.role, g.perm) != c.want {
					b.Fatal("wrong answer")
				}
			}
			reportCPU(b, start, ok)
		})
		b.Run(c.name+"/devskyy-role", func(b *testing.B) {
			min, _ := newPolicy(b).MinRole(g.perm)
			b.ReportAllocs()
			start, ok := cpuTime()
			for b.Loop() {
				if c.role.Satisfies(min) != c.want {
					b.Fatal("wrong answer")
				}
			}
			reportCPU(b, start, ok)
		})
		b.Run(c.name+"/casbin", func(b *testing.B) {
			e := newCasbin(b)
			sub := c.role.String()
			b.ReportAllocs()
			start, ok := cpuTime()
			for b.Loop() {
				ok, err := e.Enforce(sub, g.obj, g.act)
				if err != nil || ok != c.want {
					b.Fatal("wrong answer", err)
				}
			}
			reportCPU(b, start, ok)
		})
	}
}
