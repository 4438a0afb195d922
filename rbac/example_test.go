package rbac_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/devskyy/devskyy/rbac"
)

// A policy grants each permission to a minimum role; higher roles inherit it.
func ExampleNewPolicy() {
	policy, err := rbac.NewPolicy(map[rbac.Permission]rbac.Role{
		"agents:read":     rbac.ReadOnly,
		"agents:execute":  rbac.APIUser,
		"models:activate": rbac.Developer,
		"ledger:read":     rbac.Admin,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, role := range []rbac.Role{rbac.None, rbac.APIUser, rbac.Developer, rbac.SuperAdmin} {
		fmt.Printf("%-11s execute=%v activate=%v ledger=%v\n", role,
			policy.Allows(role, "agents:execute"), policy.Allows(role, "models:activate"), policy.Allows(role, "ledger:read"))
	}
	_, err = rbac.NewPolicy(map[rbac.Permission]rbac.Role{"ledger:read": rbac.None})
	fmt.Println(err)
	fmt.Println(rbac.Admin.CanGrant(rbac.Developer), rbac.Admin.CanGrant(rbac.Admin))
	// Output:
	// none        execute=false activate=false ledger=false
	// api_user    execute=true activate=false ledger=false
	// developer   execute=true activate=true ledger=false
	// super_admin execute=true activate=true ledger=true
	// rbac: invalid role: permission "ledger:read" is granted to none
	// true false
}

// A mux where every route states its access, authenticating EdDSA JWTs.
func ExampleNewMux() {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	signing := rbac.SigningKey{ID: "2026-01", Algorithm: "EdDSA", Material: priv}
	verify, err := signing.VerificationKey()
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, err := rbac.NewKeySet(verify)
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := rbac.NewJWT(rbac.JWTSettings{
		Algorithms: []string{"EdDSA"},
		Keys:       keys,
		Issuer:     "https://id.example.com",
		Audience:   "devskyy-api",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux, err := rbac.NewMux(rbac.Settings{
		Authenticator: auth,
		OnDecision: func(_ context.Context, d rbac.Decision) {
			fmt.Printf("  decision: %s %s allowed=%v reason=%s\n", d.Route, d.Subject, d.Allowed, d.Reason)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	hello := func(w http.ResponseWriter, r *http.Request) {
		p, _ := rbac.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "hello %s", p.Subject)
	}
	for _, err := range []error{
		mux.HandleFunc("GET /api/v1/agents", rbac.ReadOnly, hello),
		mux.HandleFunc("POST /api/v1/models/{id}/activate", rbac.Admin, hello),
	} {
		if err != nil {
			fmt.Println(err)
			return
		}
	}

	token, err := rbac.Mint(signing, rbac.Claims{
		Subject: "ada", Role: rbac.Developer,
		Issuer: "https://id.example.com", Audience: []string{"devskyy-api"},
		Expires: time.Now().Add(time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	send := func(method, path, authorization string) {
		r := httptest.NewRequest(method, path, nil)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(method, path, w.Code, strings.TrimSpace(w.Body.String()))
	}
	send("GET", "/api/v1/agents", "Bearer "+token)
	send("GET", "/api/v1/agents", "")
	send("POST", "/api/v1/models/m1/activate", "Bearer "+token)
	// Output:
	//   decision: GET /api/v1/agents ada allowed=true reason=allowed
	// GET /api/v1/agents 200 hello ada
	//   decision: GET /api/v1/agents  allowed=false reason=missing_token
	// GET /api/v1/agents 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"valid credentials are required"}
	//   decision: POST /api/v1/models/{id}/activate ada allowed=false reason=insufficient_role
	// POST /api/v1/models/m1/activate 403 {"type":"about:blank","title":"Forbidden","status":403,"detail":"access denied"}
}

// The route table documents every endpoint with its access, for audits.
func ExampleMux_Routes() {
	keys, _ := rbac.NewAPIKeys(rbac.APIKeySettings{})
	policy, _ := rbac.NewPolicy(map[rbac.Permission]rbac.Role{"agents:execute": rbac.APIUser})
	mux, _ := rbac.NewMux(rbac.Settings{Authenticator: keys, Policy: policy})
	noop := func(http.ResponseWriter, *http.Request) {}
	_ = mux.HandleFunc("GET /healthz", rbac.Public(), noop)
	_ = mux.HandleFunc("POST /api/v1/agents/{name}/execute", rbac.Permission("agents:execute"), noop)
	_ = mux.HandleFunc("GET /api/v1/ledger", rbac.Admin, noop)
	err := mux.HandleFunc("DELETE /api/v1/ledger", nil, noop)
	fmt.Println(err)
	for _, r := range mux.Routes() {
		fmt.Printf("%-5s %-30s %-26s min=%v\n", r.Method, r.Pattern, r.Access, r.MinRole)
	}
	// Output:
	// rbac: route has no access requirement (route "DELETE /api/v1/ledger")
	// POST  /api/v1/agents/{name}/execute  permission:agents:execute  min=api_user
	// GET   /api/v1/ledger                 role:admin                 min=admin
	// GET   /healthz                       public                     min=none
}
