// Package rbactest checks, in a host's tests, that every route of an
// [rbac.Mux] is really protected: not only declared (the mux already
// refuses undeclared routes) but refusing callers that must be refused.
//
// For each non-public route of the table it sends, through the mux:
//
//   - a request without credentials but with forged identity headers
//     (X-User, X-Role, ...): it must get 401;
//   - when a signer is given and the route's minimum role is above
//     ReadOnly, a request signed for the role just below it: it must get 403.
//
// Wildcards in patterns are filled with "x"; a pattern without a method is
// probed with GET. The probes only send requests that must be denied, so a
// handler runs only if its route is broken.
package rbactest

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/devskyy/devskyy/rbac"
)

// TB is the part of testing.TB that AssertCovered uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Signer adds credentials for role to r, for example an Authorization
// header with a token minted by [rbac.Mint].
type Signer func(r *http.Request, role rbac.Role)

// AssertCovered probes every route of m as described in the package
// documentation, reports each failure through t and returns whether all
// routes passed. sign may be nil to skip the role probes.
func AssertCovered(t TB, m *rbac.Mux, sign Signer) bool {
	t.Helper()
	ok := true
	for _, rt := range m.Routes() {
		if rt.Access == "public" {
			continue
		}
		if code := probe(m, rt, nil, rbac.None); code != http.StatusUnauthorized {
			t.Errorf("rbactest: %s %s (%s) without credentials: status %d, want 401", rt.Method, rt.Pattern, rt.Access, code)
			ok = false
		}
		if sign == nil || rt.MinRole <= rbac.ReadOnly {
			continue
		}
		below := rt.MinRole - 1
		if code := probe(m, rt, sign, below); code != http.StatusForbidden {
			t.Errorf("rbactest: %s %s (%s) as %v: status %d, want 403", rt.Method, rt.Pattern, rt.Access, below, code)
			ok = false
		}
	}
	return ok
}

// probe sends one request for rt and returns the status.
func probe(m *rbac.Mux, rt rbac.Route, sign Signer, role rbac.Role) int {
	method := rt.Method
	if method == "" {
		method = http.MethodGet
	}
	host, path := "example.com", rt.Pattern
	if i := strings.IndexByte(path, '/'); i > 0 {
		host, path = path[:i], path[i:]
	}
	r := httptest.NewRequest(method, "http://"+host+fill(path), nil)
	r.Header.Set("X-User", "root")
	r.Header.Set("X-Role", "super_admin")
	r.Header.Set("X-Forwarded-User", "root")
	if sign != nil {
		sign(r, role)
	}
	w := httptest.NewRecorder()
	m.ServeHTTP(w, r)
	return w.Code
}

// fill replaces each {wildcard} segment with "x" and drops {$}.
func fill(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			b.WriteString(path)
			return b.String()
		}
		b.WriteString(path[:i])
		if path[i:i+j+1] != "{$}" {
			b.WriteString("x")
		}
		path = path[i+j+1:]
	}
}
