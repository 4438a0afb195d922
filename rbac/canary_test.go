package rbac_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/golang-jwt/jwt/v5"
)

// TestCanary sends credentials that succeed, fail in every way and are
// refused for their role, through a mux with a debug logger and a
// decision hook, and through the authenticators directly: no token, key or
// Authorization value may appear in a response, a decision, a log line or
// an error.
func TestCanary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := testKeys()
		key, digest, err := rbac.NewAPIKey("canary", nil)
		if err != nil {
			t.Fatal(err)
		}
		apiKeys, err := rbac.NewAPIKeys(rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "canary", Digest: digest, Subject: "svc", Role: rbac.ReadOnly}}})
		if err != nil {
			t.Fatal(err)
		}
		jwtAuth := newJWT(t)
		auth := rbac.Chain(jwtAuth, apiKeys)
		s := newServer(t, auth)
		expired := mapClaims()
		expired["exp"] = time.Now().Add(-time.Hour).Unix()
		creds := []string{
			"Bearer " + mint(t, k.ed, claims(rbac.SuperAdmin)),
			"Bearer " + mint(t, k.hs, claims(rbac.ReadOnly)),
			"Bearer " + rawToken(t, jwt.SigningMethodHS256, "hs", expired, k.hs.Material),
			"Bearer " + mint(t, k.hs, claims(rbac.Admin))[:120] + "Zm9vYmFy",
			"Bearer " + strings.Repeat("c2VjcmV0", 700),
			"ApiKey " + key,
			"ApiKey canary." + strings.Repeat("Q", 43),
			"Basic c2VjcmV0OnBhc3N3b3Jk",
		}
		for _, c := range creds {
			for _, path := range []string{"/admin", "/api/v1/agents", "/healthz", "/nope", "//admin"} {
				for _, method := range []string{"GET", "HEAD", "OPTIONS", "DELETE"} {
					w := s.do(method, path, c)
					canary(t, s, w, c, strings.TrimPrefix(strings.TrimPrefix(c, "Bearer "), "ApiKey "))
				}
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", c)
			if _, err := auth.Authenticate(r); err != nil && strings.Contains(err.Error(), c[7:20]) {
				t.Errorf("authenticator error contains the credential")
			}
		}
		if len(s.rec.decisions) == 0 || !strings.Contains(s.rec.everything(), "access denied") {
			t.Fatal("the canary saw no decisions or logs")
		}
	})
}
