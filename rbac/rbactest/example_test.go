package rbactest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/devskyy/devskyy/rbac/rbactest"
)

// printTB stands in for the *testing.T of a real test.
type printTB struct{}

func (printTB) Helper()                           {}
func (printTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// In a host's test, AssertCovered(t, mux, signer) probes every route.
func ExampleAssertCovered() {
	key := rbac.SigningKey{ID: "dev", Algorithm: "HS256", Material: bytes.Repeat([]byte("x"), 32)}
	vk, _ := key.VerificationKey()
	keys, _ := rbac.NewKeySet(vk)
	auth, _ := rbac.NewJWT(rbac.JWTSettings{Algorithms: []string{"HS256"}, Keys: keys, Issuer: "dev", Audience: "api"})
	mux, _ := rbac.NewMux(rbac.Settings{Authenticator: auth})
	noop := func(http.ResponseWriter, *http.Request) {}
	_ = mux.HandleFunc("GET /healthz", rbac.Public(), noop)
	_ = mux.HandleFunc("GET /api/v1/agents/{id}", rbac.ReadOnly, noop)
	_ = mux.HandleFunc("POST /api/v1/models/{id}/activate", rbac.Admin, noop)

	sign := func(r *http.Request, role rbac.Role) {
		tok, _ := rbac.Mint(key, rbac.Claims{Subject: "probe", Role: role, Issuer: "dev",
			Audience: []string{"api"}, Expires: time.Now().Add(time.Minute)})
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	fmt.Println("covered:", rbactest.AssertCovered(printTB{}, mux, sign))
	// Output:
	// covered: true
}
