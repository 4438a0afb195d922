package rbac_test

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// editPayload replaces the claims segment of a signed token, keeping the
// original signature.
func editPayload(t testing.TB, tok string, edit func(jwt.MapClaims)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	b, err := jsonMarshal(c)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// withHeader re-encodes the header segment, keeping payload and signature.
func withHeader(tok, header string) string {
	parts := strings.Split(tok, ".")
	parts[0] = base64.RawURLEncoding.EncodeToString([]byte(header))
	return strings.Join(parts, ".")
}

// hmacWith signs claims as HS256 under kid with arbitrary key bytes,
// bypassing the SDK's key checks (algorithm-confusion attacks).
func hmacWith(t testing.TB, kid string, key []byte, c jwt.MapClaims) string {
	t.Helper()
	return rawToken(t, jwt.SigningMethodHS256, kid, c, key)
}

func TestSecurity(t *testing.T) {
	{
		k := testKeys()
		rsaPub := k.rs.Material.(*rsa.PrivateKey).Public()
		rsaDER, err := x509.MarshalPKIXPublicKey(rsaPub)
		if err != nil {
			t.Fatal(err)
		}
		rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
		edPub := []byte(k.ed.Material.(ed25519.PrivateKey).Public().(ed25519.PublicKey))
		admin := func(t testing.TB) string { return mint(t, k.hs, claims(rbac.Admin)) }
		bearer := func(s string) []string { return []string{"Bearer " + s} }

		type tc struct {
			name       string
			method     string
			path       string
			auth       func(t testing.TB) []string
			wantStatus int
			wantReason rbac.Reason
			wantHit    bool
		}
		tok := func(f func(t testing.TB) string) func(t testing.TB) []string {
			return func(t testing.TB) []string { return bearer(f(t)) }
		}
		edited := func(f func(jwt.MapClaims)) func(t testing.TB) []string {
			return tok(func(t testing.TB) string {
				c := mapClaims()
				f(c)
				return rawToken(t, jwt.SigningMethodHS256, "hs", c, k.hs.Material)
			})
		}
		algVariant := func(alg string) func(t testing.TB) []string {
			return tok(func(t testing.TB) string {
				return withHeader(admin(t), `{"alg":"`+alg+`","kid":"hs","typ":"JWT"}`)
			})
		}
		cases := []tc{
			{name: "valid HS256 admin", path: "/admin", auth: tok(admin), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "valid EdDSA admin", path: "/admin", auth: tok(func(t testing.TB) string { return mint(t, k.ed, claims(rbac.Admin)) }), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "valid RS256 admin", path: "/admin", auth: tok(func(t testing.TB) string { return mint(t, k.rs, claims(rbac.Admin)) }), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "valid ES256 admin", path: "/admin", auth: tok(func(t testing.TB) string { return mint(t, k.es, claims(rbac.Admin)) }), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "public route without token", path: "/healthz", wantStatus: 200, wantReason: rbac.ReasonPublic, wantHit: true},
			{name: "missing token", path: "/admin", wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "other scheme", path: "/admin", auth: func(testing.TB) []string { return []string{"Basic dXNlcjpwYXNz"} }, wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "alg none without signature", path: "/admin", auth: tok(func(t testing.TB) string {
				return rawToken(t, jwt.SigningMethodNone, "hs", mapClaims(), jwt.UnsafeAllowNoneSignatureType)
			}), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg none with signature", path: "/admin", auth: tok(func(t testing.TB) string {
				return withHeader(admin(t), `{"alg":"none","kid":"hs","typ":"JWT"}`)
			}), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "HS256 signed with RSA public key PEM", path: "/admin", auth: tok(func(t testing.TB) string {
				return hmacWith(t, "rs", rsaPEM, mapClaims())
			}), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "HS256 signed with RSA public key DER", path: "/admin", auth: tok(func(t testing.TB) string {
				return hmacWith(t, "rs", rsaDER, mapClaims())
			}), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "HS256 signed with Ed25519 public key bytes", path: "/admin", auth: tok(func(t testing.TB) string {
				return hmacWith(t, "ed", edPub, mapClaims())
			}), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "HS256 with Ed25519 public key bytes under the HMAC kid", path: "/admin", auth: tok(func(t testing.TB) string {
				return hmacWith(t, "hs", edPub, mapClaims())
			}), wantStatus: 401, wantReason: rbac.ReasonBadSignature},
			{name: "alg variant lower case hs256", path: "/admin", auth: algVariant("hs256"), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg variant HS-256", path: "/admin", auth: algVariant("HS-256"), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg variant trailing space", path: "/admin", auth: algVariant("HS256 "), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg variant NONE", path: "/admin", auth: algVariant("NONE"), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg variant HS512 not allowed", path: "/admin", auth: algVariant("HS512"), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "alg RS256 header on HMAC kid", path: "/admin", auth: algVariant("RS256"), wantStatus: 401, wantReason: rbac.ReasonBadAlgorithm},
			{name: "critical header extension", path: "/admin", auth: tok(func(t testing.TB) string {
				tok := jwt.NewWithClaims(jwt.SigningMethodHS256, mapClaims())
				tok.Header["kid"], tok.Header["crit"], tok.Header["exp-ext"] = "hs", []string{"exp-ext"}, 1
				s, err := tok.SignedString(k.hs.Material)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}), wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "unknown kid", path: "/admin", auth: tok(func(t testing.TB) string {
				return rawToken(t, jwt.SigningMethodHS256, "nope", mapClaims(), k.hs.Material)
			}), wantStatus: 401, wantReason: rbac.ReasonUnknownKey},
			{name: "missing kid", path: "/admin", auth: tok(func(t testing.TB) string {
				return rawToken(t, jwt.SigningMethodHS256, "", mapClaims(), k.hs.Material)
			}), wantStatus: 401, wantReason: rbac.ReasonUnknownKey},
			{name: "expired token with bad signature", path: "/admin", auth: tok(func(t testing.TB) string {
				c := mapClaims()
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				return hmacWith(t, "hs", []byte(strings.Repeat("w", 32)), c)
			}), wantStatus: 401, wantReason: rbac.ReasonBadSignature},
			{name: "expired token", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() }), wantStatus: 401, wantReason: rbac.ReasonExpired},
			{name: "missing exp", path: "/admin", auth: edited(func(c jwt.MapClaims) { delete(c, "exp") }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "zero exp", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["exp"] = 0 }), wantStatus: 401, wantReason: rbac.ReasonExpired},
			{name: "far-future exp", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(10 * 365 * 24 * time.Hour).Unix() }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "exp as string", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["exp"] = "tomorrow" }), wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "nbf in the future", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() }), wantStatus: 401, wantReason: rbac.ReasonNotYetValid},
			{name: "iat in the future", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() }), wantStatus: 401, wantReason: rbac.ReasonNotYetValid},
			{name: "wrong iss", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "missing iss", path: "/admin", auth: edited(func(c jwt.MapClaims) { delete(c, "iss") }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "wrong aud", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["aud"] = "other-api" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "audience as an array containing ours", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["aud"] = []string{"other-api", testAudience} }), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "audience as an array without ours", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["aud"] = []string{"other-api", "third"} }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "missing sub", path: "/admin", auth: edited(func(c jwt.MapClaims) { delete(c, "sub") }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "role claim edited after signing", path: "/admin", auth: tok(func(t testing.TB) string {
				return editPayload(t, mint(t, k.hs, claims(rbac.ReadOnly)), func(c jwt.MapClaims) { c["role"] = "super_admin" })
			}), wantStatus: 401, wantReason: rbac.ReasonBadSignature},
			{name: "unknown role Admin", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = "Admin" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "unknown role superadmin", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = "superadmin" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "unknown role root", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = "root" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "role none", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = "none" }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "missing role", path: "/admin", auth: edited(func(c jwt.MapClaims) { delete(c, "role") }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "role as array", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = []string{"admin"} }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "numeric out-of-range role", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = 9 }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "numeric in-range role", path: "/admin", auth: edited(func(c jwt.MapClaims) { c["role"] = 5 }), wantStatus: 401, wantReason: rbac.ReasonInvalidClaims},
			{name: "oversized token", path: "/admin", auth: tok(func(t testing.TB) string {
				return editPayload(t, admin(t), func(c jwt.MapClaims) { c["pad"] = strings.Repeat("a", 5000) })
			}), wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "header full of dots", path: "/admin", auth: func(testing.TB) []string { return bearer(strings.Repeat(".", 4000)) }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "header over the cap full of dots", path: "/admin", auth: func(testing.TB) []string { return bearer(strings.Repeat(".", 100000)) }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "four segments", path: "/admin", auth: tok(func(t testing.TB) string { return admin(t) + ".x" }), wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "garbage token", path: "/admin", auth: func(testing.TB) []string { return bearer("a.b.c") }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "bearer lower case", path: "/admin", auth: func(t testing.TB) []string { return []string{"bearer " + admin(t)} }, wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "BEARER upper case", path: "/admin", auth: func(t testing.TB) []string { return []string{"BEARER " + admin(t)} }, wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "bearer extra spaces", path: "/admin", auth: func(t testing.TB) []string { return []string{"Bearer    " + admin(t)} }, wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "bearer tab separator", path: "/admin", auth: func(t testing.TB) []string { return []string{"Bearer\t" + admin(t)} }, wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "bearer no separator", path: "/admin", auth: func(t testing.TB) []string { return []string{"Bearer" + admin(t)} }, wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "bearer without token", path: "/admin", auth: func(testing.TB) []string { return []string{"Bearer"} }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "bearer only spaces", path: "/admin", auth: func(testing.TB) []string { return []string{"Bearer    "} }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "token with trailing garbage", path: "/admin", auth: func(t testing.TB) []string { return []string{"Bearer " + admin(t) + " x"} }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "padded segments", path: "/admin", auth: tok(func(t testing.TB) string { return admin(t) + "==" }), wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "two Authorization headers", path: "/admin", auth: func(t testing.TB) []string { return []string{"Bearer " + admin(t), "Bearer " + admin(t)} }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "empty Authorization header", path: "/admin", auth: func(testing.TB) []string { return []string{""} }, wantStatus: 401, wantReason: rbac.ReasonMalformedToken},
			{name: "insufficient role", path: "/admin", auth: tok(func(t testing.TB) string { return mint(t, k.hs, claims(rbac.Developer)) }), wantStatus: 403, wantReason: rbac.ReasonInsufficientRole},
			{name: "permission granted", method: "POST", path: "/api/v1/agents/a1/execute", auth: tok(func(t testing.TB) string { return mint(t, k.ed, claims(rbac.APIUser)) }), wantStatus: 200, wantReason: rbac.ReasonAllowed, wantHit: true},
			{name: "permission refused", method: "POST", path: "/api/v1/models/m1/activate", auth: tok(func(t testing.TB) string { return mint(t, k.ed, claims(rbac.APIUser)) }), wantStatus: 403, wantReason: rbac.ReasonInsufficientRole},
			{name: "HEAD is checked", method: "HEAD", path: "/admin", wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "OPTIONS is checked", method: "OPTIONS", path: "/admin/tools/x", wantStatus: 401, wantReason: rbac.ReasonMissingToken},
			{name: "unregistered method on a registered path", method: "DELETE", path: "/admin", auth: tok(admin), wantStatus: 405, wantReason: rbac.ReasonNoRoute},
			{name: "unregistered path", path: "/nope", auth: tok(admin), wantStatus: 404, wantReason: rbac.ReasonNoRoute},
			{name: "path variant double slash", path: "//admin", wantStatus: 307, wantReason: rbac.ReasonAllowed},
			{name: "path variant trailing slash", path: "/admin/", wantStatus: 404, wantReason: rbac.ReasonNoRoute},
			{name: "path variant encoded dot-dot", path: "/public/%2e%2e/admin", wantStatus: 200, wantReason: rbac.ReasonPublic},
			{name: "path variant encoded dot-dot at root", path: "/%2e%2e/admin", wantStatus: 404, wantReason: rbac.ReasonNoRoute},
			{name: "path variant dot-dot", path: "/public/../admin", wantStatus: 307, wantReason: rbac.ReasonAllowed},
			{name: "path variant dot segment", path: "/./admin", wantStatus: 307, wantReason: rbac.ReasonAllowed},
			{name: "path variant upper case", path: "/ADMIN", wantStatus: 404, wantReason: rbac.ReasonNoRoute},
			{name: "path variant encoded slash", path: "/admin%2Ftools/x", wantStatus: 404, wantReason: rbac.ReasonNoRoute},
			{name: "path variant dot-dot inside a subtree redirects", path: "/admin/tools/../tools/x", auth: tok(admin), wantStatus: 307, wantReason: rbac.ReasonAllowed},
			{name: "subtree below role", path: "/admin/tools/x", auth: tok(admin), wantStatus: 403, wantReason: rbac.ReasonInsufficientRole},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s := newServer(t, newJWT(t))
					method := c.method
					if method == "" {
						method = http.MethodGet
					}
					var auth []string
					if c.auth != nil {
						auth = c.auth(t)
					}
					w := s.do(method, c.path, auth...)
					if w.Code != c.wantStatus {
						t.Errorf("status = %d, want %d; body %s", w.Code, c.wantStatus, w.Body)
					}
					want := ""
					if c.wantHit || c.wantReason == rbac.ReasonPublic {
						want = s.routeOf(method, c.path)
					}
					for name, n := range s.allHits() {
						if name != want && n > 0 {
							t.Errorf("handler %q ran %d times", name, n)
						}
					}
					if want != "" && s.hits(want) != 1 {
						t.Errorf("handler %q ran %d times, want 1", want, s.hits(want))
					}
					if w.Code == 307 {
						if len(s.rec.decisions) > 0 && s.rec.last().Reason != rbac.ReasonNoRoute {
							t.Errorf("a redirect made a decision: %+v", s.rec.last())
						}
						return
					}
					if got := s.rec.last().Reason; got != c.wantReason {
						t.Errorf("reason = %q, want %q", got, c.wantReason)
					}
					switch w.Code {
					case 401:
						if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="api"` {
							t.Errorf("WWW-Authenticate = %q", got)
						}
						fallthrough
					case 403, 404, 405:
						if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
							t.Errorf("Content-Type = %q", ct)
						}
						checkGeneric(t, w.Body.String(), method)
					}
					canary(t, s, w, auth...)
				})
			})
		}
	}
}

// checkGeneric fails when a problem body names the failed check.
func checkGeneric(t *testing.T, body, method string) {
	t.Helper()
	if method == http.MethodHead {
		if body != "" {
			t.Errorf("HEAD response has a body")
		}
		return
	}
	for _, word := range []string{"expired", "signature", "role", "issuer", "audience", "alg", "kid", "claim", "token"} {
		if strings.Contains(strings.ToLower(body), word) {
			t.Errorf("problem body names a check (%q): %s", word, body)
		}
	}
}

func TestPrincipalInHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newServer(t, newJWT(t))
		c := claims(rbac.Admin)
		tok := mint(t, testKeys().ed, c)
		r := httptestRequest("GET", "/admin", "Bearer "+tok)
		r.Header.Set("X-User", "root")
		r.Header.Set("X-Role", "super_admin")
		w := newRecorder()
		s.mux.ServeHTTP(w, r)
		want := rbac.Principal{Subject: "user-1", Role: rbac.Admin, TokenID: "jti-1", Method: rbac.MethodJWT, Expires: c.Expires.Truncate(time.Second)}
		if diff := cmp.Diff(want, s.who); diff != "" {
			t.Errorf("principal (-want +got):\n%s", diff)
		}
		wantD := rbac.Decision{Method: "GET", Route: "GET /admin", Required: "role:admin", Subject: "user-1", Role: rbac.Admin,
			TokenID: "jti-1", AuthMethod: rbac.MethodJWT, Allowed: true, Reason: rbac.ReasonAllowed}
		if diff := cmp.Diff(wantD, s.rec.last()); diff != "" {
			t.Errorf("decision (-want +got):\n%s", diff)
		}
	})
}
