package rbac_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/devskyy/devskyy/rbac"
)

// reportCPU adds a cpu-ns/op metric measured from start.
func reportCPU(b *testing.B, start time.Duration, ok bool) {
	b.Helper()
	if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkRoleSatisfies(b *testing.B) {
	roles := []rbac.Role{rbac.ReadOnly, rbac.Developer, rbac.SuperAdmin, rbac.Role(9)}
	b.ReportAllocs()
	n := 0
	start, ok := cpuTime()
	for i := 0; b.Loop(); i++ {
		if roles[i&3].Satisfies(rbac.Developer) {
			n++
		}
	}
	reportCPU(b, start, ok)
	if n == 0 {
		b.Fatal("no role satisfied")
	}
}

func BenchmarkPolicyAllows(b *testing.B) {
	p := testPolicy(b)
	perms := []rbac.Permission{"agents:read", "agents:execute", "models:activate", "ledger:read"}
	b.ReportAllocs()
	n := 0
	start, ok := cpuTime()
	for i := 0; b.Loop(); i++ {
		if p.Allows(rbac.Developer, perms[i&3]) {
			n++
		}
	}
	reportCPU(b, start, ok)
	if n == 0 {
		b.Fatal("nothing allowed")
	}
}

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the middleware, not a recorder.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// BenchmarkMiddleware is the whole path through a Mux: route match,
// credential parsing and verification, role check, principal in context,
// handler. Denied cases include the problem response.
func BenchmarkMiddleware(b *testing.B) {
	k := testKeys()
	key, digest, err := rbac.NewAPIKey("bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	apiKeys, err := rbac.NewAPIKeys(rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "bench", Digest: digest, Subject: "svc", Role: rbac.Admin}}})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		auth string
		want int
	}{
		{"HS256", "Bearer " + mint(b, k.hs, claims(rbac.Admin)), 200},
		{"EdDSA", "Bearer " + mint(b, k.ed, claims(rbac.Admin)), 200},
		{"ES256", "Bearer " + mint(b, k.es, claims(rbac.Admin)), 200},
		{"RS256", "Bearer " + mint(b, k.rs, claims(rbac.Admin)), 200},
		{"APIKey", "ApiKey " + key, 200},
		{"HS256-insufficient-role", "Bearer " + mint(b, k.hs, claims(rbac.ReadOnly)), 403},
		{"missing-token", "", 401},
		{"bad-signature", "Bearer " + mint(b, k.hs, claims(rbac.Admin))[:100] + "AAAA", 401},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m, err := rbac.NewMux(rbac.Settings{Authenticator: rbac.Chain(newJWT(b), apiKeys), Policy: testPolicy(b)})
			if err != nil {
				b.Fatal(err)
			}
			if err := m.HandleFunc("GET /api/v1/ledger", rbac.Permission("ledger:read"), func(w http.ResponseWriter, r *http.Request) {
				if _, ok := rbac.PrincipalFrom(r.Context()); !ok {
					b.Error("no principal")
				}
				w.WriteHeader(200)
			}); err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/api/v1/ledger", nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			start, ok := cpuTime()
			for b.Loop() {
				clear(w.h)
				m.ServeHTTP(w, r)
				if w.code != c.want {
					b.Fatalf("status %d, want %d", w.code, c.want)
				}
			}
			reportCPU(b, start, ok)
		})
	}
}
