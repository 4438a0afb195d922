package rbactest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/devskyy/devskyy/rbac/rbactest"
	"github.com/google/go-cmp/cmp"
)

// fakeTB records failures instead of failing the test.
type fakeTB struct{ errs []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

var hsKey = rbac.SigningKey{ID: "k", Algorithm: "HS256", Material: bytes.Repeat([]byte("s"), 32)}

func newMux(t *testing.T) *rbac.Mux {
	t.Helper()
	vk, err := hsKey.VerificationKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := rbac.NewKeySet(vk)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := rbac.NewJWT(rbac.JWTSettings{Algorithms: []string{"HS256"}, Keys: ks, Issuer: "i", Audience: "a"})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := rbac.NewPolicy(map[rbac.Permission]rbac.Role{"models:activate": rbac.Developer})
	if err != nil {
		t.Fatal(err)
	}
	m, err := rbac.NewMux(rbac.Settings{Authenticator: auth, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	noop := func(http.ResponseWriter, *http.Request) {}
	for _, r := range []struct {
		p string
		a rbac.Access
	}{
		{"GET /healthz", rbac.Public()},
		{"GET /api/v1/agents/{id}", rbac.ReadOnly},
		{"POST /api/v1/models/{id}/activate/{$}", rbac.Permission("models:activate")},
		{"/api/v1/admin/{rest...}", rbac.Admin},
		{"api.example.com/v2/ledger", rbac.SuperAdmin},
	} {
		if err := m.HandleFunc(r.p, r.a, noop); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func sign(t *testing.T) rbactest.Signer {
	return func(r *http.Request, role rbac.Role) {
		tok, err := rbac.Mint(hsKey, rbac.Claims{Subject: "probe", Role: role, Issuer: "i", Audience: []string{"a"}, Expires: time.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
	}
}

func TestAssertCoveredPasses(t *testing.T) {
	m := newMux(t)
	if !rbactest.AssertCovered(t, m, sign(t)) {
		t.Error("AssertCovered reported a protected mux as uncovered")
	}
	if !rbactest.AssertCovered(t, m, nil) {
		t.Error("AssertCovered without a signer failed")
	}
}

func TestAssertCoveredFindsGaps(t *testing.T) {
	m := newMux(t)
	// A signer that signs everything as SuperAdmin makes every role probe
	// pass the check, which AssertCovered must report.
	tooStrong := func(r *http.Request, _ rbac.Role) { sign(t)(r, rbac.SuperAdmin) }
	f := &fakeTB{}
	if rbactest.AssertCovered(f, m, tooStrong) {
		t.Fatal("AssertCovered passed with a signer that escalates")
	}
	want := []string{
		"rbactest:  /api/v1/admin/{rest...} (role:admin) as developer: status 200, want 403",
		"rbactest: POST /api/v1/models/{id}/activate/{$} (permission:models:activate) as api_user: status 200, want 403",
		"rbactest:  api.example.com/v2/ledger (role:super_admin) as admin: status 200, want 403",
	}
	if diff := cmp.Diff(want, f.errs); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	// A mux whose authenticator lets everyone in fails every 401 probe.
	f = &fakeTB{}
	if rbactest.AssertCovered(f, everyoneMux(t, m), nil) {
		t.Fatal("AssertCovered passed a mux that admits unauthenticated requests")
	}
	want = []string{
		"rbactest:  /api/v1/admin/{rest...} (role:read_only) without credentials: status 200, want 401",
		"rbactest: GET /api/v1/agents/{id} (role:read_only) without credentials: status 200, want 401",
		"rbactest: POST /api/v1/models/{id}/activate/{$} (role:read_only) without credentials: status 200, want 401",
		"rbactest: GET /healthz (role:read_only) without credentials: status 200, want 401",
		"rbactest:  api.example.com/v2/ledger (role:read_only) without credentials: status 200, want 401",
	}
	if diff := cmp.Diff(want, f.errs); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

// everyoneMux copies src's patterns onto a mux whose authenticator admits
// everyone as SuperAdmin: a host whose authentication is broken.
func everyoneMux(t *testing.T, src *rbac.Mux) *rbac.Mux {
	t.Helper()
	m, err := rbac.NewMux(rbac.Settings{Authenticator: everyone{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range src.Routes() {
		p := r.Pattern
		if r.Method != "" {
			p = r.Method + " " + p
		}
		if err := m.HandleFunc(p, rbac.ReadOnly, func(http.ResponseWriter, *http.Request) {}); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

type everyone struct{}

func (everyone) Authenticate(*http.Request) (rbac.Principal, error) {
	return rbac.Principal{Subject: "x", Role: rbac.SuperAdmin}, nil
}
func (everyone) Challenge() string { return "None" }
