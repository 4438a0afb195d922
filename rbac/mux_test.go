package rbac_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }

func TestMuxHandleErrors(t *testing.T) {
	m, err := rbac.NewMux(rbac.Settings{Authenticator: newJWT(t), Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.HandleFunc("GET /taken", rbac.Admin, ok); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		pattern string
		access  rbac.Access
		h       http.Handler
		want    error
	}{
		{"no access", "GET /a", nil, http.HandlerFunc(ok), rbac.ErrNoAccess},
		{"unknown permission", "GET /a", rbac.Permission("ledger:write"), http.HandlerFunc(ok), rbac.ErrUnknownPermission},
		{"role none", "GET /a", rbac.None, http.HandlerFunc(ok), rbac.ErrInvalidRole},
		{"out of range role", "GET /a", rbac.Role(7), http.HandlerFunc(ok), rbac.ErrInvalidRole},
		{"nil handler", "GET /a", rbac.Admin, nil, rbac.ErrInvalidRoute},
		{"bad pattern", "GET a", rbac.Admin, http.HandlerFunc(ok), rbac.ErrInvalidRoute},
		{"conflicting pattern", "GET /taken", rbac.Public(), http.HandlerFunc(ok), rbac.ErrInvalidRoute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := m.Handle(c.pattern, c.access, c.h); !errors.Is(err, c.want) {
				t.Fatalf("Handle: %v, want %v", err, c.want)
			}
		})
	}
	if err := m.HandleFunc("GET /b", rbac.Admin, nil); !errors.Is(err, rbac.ErrInvalidRoute) {
		t.Errorf("HandleFunc(nil): %v", err)
	}
	if diff := cmp.Diff([]rbac.Route{{Method: "GET", Pattern: "/taken", Access: "role:admin", MinRole: rbac.Admin}}, m.Routes()); diff != "" {
		t.Errorf("failed registrations changed the table (-want +got):\n%s", diff)
	}
	// A policy-less mux refuses every permission.
	bare, err := rbac.NewMux(rbac.Settings{Authenticator: newJWT(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.HandleFunc("GET /x", rbac.Permission("agents:read"), ok); !errors.Is(err, rbac.ErrUnknownPermission) {
		t.Errorf("permission without policy: %v", err)
	}
	if _, err := rbac.NewMux(rbac.Settings{}); !errors.Is(err, rbac.ErrInvalidSettings) {
		t.Errorf("NewMux without authenticator: %v", err)
	}
	if _, err := rbac.NewGuard(rbac.Settings{Authenticator: rbac.Chain()}); !errors.Is(err, rbac.ErrInvalidSettings) {
		t.Errorf("NewGuard with an empty chain: %v", err)
	}
}

func TestMuxRoutes(t *testing.T) {
	s := newServer(t, newJWT(t))
	want := []rbac.Route{
		{Method: "GET", Pattern: "/admin", Access: "role:admin", MinRole: rbac.Admin},
		{Method: "", Pattern: "/admin/tools/", Access: "role:super_admin", MinRole: rbac.SuperAdmin},
		{Method: "GET", Pattern: "/api/v1/agents", Access: "permission:agents:read", MinRole: rbac.ReadOnly},
		{Method: "POST", Pattern: "/api/v1/agents/{id}/execute", Access: "permission:agents:execute", MinRole: rbac.APIUser},
		{Method: "GET", Pattern: "/api/v1/ledger", Access: "permission:ledger:read", MinRole: rbac.Admin},
		{Method: "POST", Pattern: "/api/v1/models/{id}/activate", Access: "permission:models:activate", MinRole: rbac.Developer},
		{Method: "GET", Pattern: "/healthz", Access: "public", MinRole: rbac.None},
		{Method: "GET", Pattern: "/public/", Access: "public", MinRole: rbac.None},
	}
	if diff := cmp.Diff(want, s.mux.Routes()); diff != "" {
		t.Errorf("Routes (-want +got):\n%s", diff)
	}
}

func TestMuxProblems(t *testing.T) {
	s := newServer(t, newJWT(t))
	w := s.do("DELETE", "/admin")
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("405: %d %v", w.Code, w.Header())
	}
	if !strings.Contains(w.Body.String(), `"status":405`) {
		t.Errorf("405 body %s", w.Body)
	}
	w = s.do("GET", "/public/../healthz?q=1")
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "/healthz?q=1" {
		t.Errorf("redirect: %d %v", w.Code, w.Header())
	}
	w = s.do("GET", "/nothing/../else")
	if w.Code != http.StatusTemporaryRedirect {
		t.Errorf("unmatched redirect: %d", w.Code)
	}
}

// failing is an authenticator whose store is down.
type failing struct{}

func (failing) Authenticate(*http.Request) (rbac.Principal, error) {
	return rbac.Principal{}, errors.New("store unavailable")
}
func (failing) Challenge() string { return `Custom realm="x"` }

func TestGuardRequire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		key, digest, err := rbac.NewAPIKey("bot", nil)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := rbac.NewAPIKeys(rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "bot", Digest: digest, Subject: "svc:bot", Role: rbac.Developer}}})
		if err != nil {
			t.Fatal(err)
		}
		g, err := rbac.NewGuard(rbac.Settings{Authenticator: rbac.Chain(newJWT(t), keys), Policy: testPolicy(t), OnDecision: rec.hook})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := g.Require(rbac.Permission("models:activate"))
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("POST /models/{id}/activate", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := rbac.PrincipalFrom(r.Context())
			_, _ = w.Write([]byte(p.Subject))
		})))
		cases := []struct {
			name   string
			auth   string
			status int
			reason rbac.Reason
		}{
			{"api key developer", "ApiKey " + key, 200, rbac.ReasonAllowed},
			{"jwt developer", "Bearer " + mint(t, testKeys().hs, claims(rbac.Developer)), 200, rbac.ReasonAllowed},
			{"jwt api user", "Bearer " + mint(t, testKeys().hs, claims(rbac.APIUser)), 403, rbac.ReasonInsufficientRole},
			{"no credentials", "", 401, rbac.ReasonMissingToken},
			{"other scheme", "Basic Zm9vOmJhcg==", 401, rbac.ReasonMissingToken},
		}
		for _, c := range cases {
			r := httptest.NewRequest("POST", "/models/m1/activate", nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			d := rec.last()
			if w.Code != c.status || d.Reason != c.reason || d.Route != "POST /models/{id}/activate" || d.Required != "permission:models:activate" {
				t.Errorf("%s: %d %+v", c.name, w.Code, d)
			}
			if c.status == 401 && w.Header().Get("WWW-Authenticate") != `Bearer realm="api", ApiKey realm="api"` {
				t.Errorf("%s: challenge %q", c.name, w.Header().Get("WWW-Authenticate"))
			}
		}
		if _, err := g.Require(nil); !errors.Is(err, rbac.ErrNoAccess) {
			t.Errorf("Require(nil): %v", err)
		}
		if _, err := g.Require(rbac.Permission("nope:nope")); !errors.Is(err, rbac.ErrUnknownPermission) {
			t.Errorf("Require(unknown): %v", err)
		}
	})
}

func TestGuardAuthenticatorFailure(t *testing.T) {
	rec := &recorder{}
	m, err := rbac.NewMux(rbac.Settings{Authenticator: failing{}, OnDecision: rec.hook, Logger: rec.logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.HandleFunc("GET /x", rbac.ReadOnly, ok); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	m.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != 503 || rec.last().Reason != rbac.ReasonError || strings.Contains(w.Body.String(), "store") {
		t.Errorf("%d %+v %s", w.Code, rec.last(), w.Body)
	}
	if !strings.Contains(rec.everything(), `"reason":"error"`) {
		t.Errorf("denial not logged: %s", rec.everything())
	}
}

func TestDecisionMethodSanitised(t *testing.T) {
	s := newServer(t, newJWT(t))
	r := httptest.NewRequest("GET", "/admin", nil)
	r.Method = "SECRETTOKENVALUE"
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	if got := s.rec.last().Method; got != "OTHER" {
		t.Errorf("Method = %q", got)
	}
}

// A policy can come from configuration: permission names to role names.
func TestPolicyFromJSON(t *testing.T) {
	var grants map[rbac.Permission]rbac.Role
	if err := json.Unmarshal([]byte(`{"agents:execute":"api_user","ledger:read":"admin"}`), &grants); err != nil {
		t.Fatal(err)
	}
	p, err := rbac.NewPolicy(grants)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allows(rbac.Admin, "ledger:read") || p.Allows(rbac.Developer, "ledger:read") {
		t.Error("policy from JSON is wrong")
	}
	if err := json.Unmarshal([]byte(`{"ledger:read":"Admin"}`), &grants); !errors.Is(err, rbac.ErrInvalidRole) {
		t.Errorf("a misspelled role in configuration: %v", err)
	}
}

func TestContextPrincipal(t *testing.T) {
	if _, ok := rbac.PrincipalFrom(context.Background()); ok {
		t.Error("principal in an empty context")
	}
	p := rbac.Principal{Subject: "s", Role: rbac.Admin}
	got, ok := rbac.PrincipalFrom(rbac.ContextWithPrincipal(context.Background(), p))
	if !ok || got != p {
		t.Errorf("PrincipalFrom = %v, %v", got, ok)
	}
	// A context value under another key of the same shape is not a principal.
	type principalKey struct{}
	ctx := context.WithValue(context.Background(), principalKey{}, p)
	if _, ok := rbac.PrincipalFrom(ctx); ok {
		t.Error("a foreign key was read as the principal")
	}
}

func TestMuxConcurrent(t *testing.T) {
	s := newServer(t, newJWT(t))
	tok := "Bearer " + mint(t, testKeys().hs, claims(rbac.Admin))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i == 0 {
				if err := s.mux.HandleFunc("GET /late", rbac.ReadOnly, ok); err != nil {
					t.Error(err)
				}
			}
			for range 20 {
				if w := s.do("GET", "/admin", tok); w.Code != 200 {
					t.Errorf("status %d", w.Code)
				}
			}
		})
	}
	wg.Wait()
	if n := len(s.mux.Routes()); n != 9 {
		t.Errorf("%d routes", n)
	}
}
