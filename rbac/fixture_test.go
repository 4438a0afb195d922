package rbac_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "devskyy-api"
)

// Keys are made once per test binary: RSA generation is slow under -race.
var testKeys = sync.OnceValue(func() keys {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return keys{
		hs: rbac.SigningKey{ID: "hs", Algorithm: "HS256", Material: bytes.Repeat([]byte("k"), 32)},
		ed: rbac.SigningKey{ID: "ed", Algorithm: "EdDSA", Material: ek},
		rs: rbac.SigningKey{ID: "rs", Algorithm: "RS256", Material: rk},
		es: rbac.SigningKey{ID: "es", Algorithm: "ES256", Material: ec},
	}
})

type keys struct{ hs, ed, rs, es rbac.SigningKey }

func (k keys) all() []rbac.SigningKey { return []rbac.SigningKey{k.hs, k.ed, k.rs, k.es} }

func mustVerificationKey(t testing.TB, k rbac.SigningKey) rbac.Key {
	t.Helper()
	v, err := k.VerificationKey()
	if err != nil {
		t.Fatalf("VerificationKey(%s): %v", k.ID, err)
	}
	return v
}

// newJWT returns an authenticator trusting every test key.
func newJWT(t testing.TB) *rbac.JWT {
	t.Helper()
	var vs []rbac.Key
	for _, k := range testKeys().all() {
		vs = append(vs, mustVerificationKey(t, k))
	}
	ks, err := rbac.NewKeySet(vs...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := rbac.NewJWT(rbac.JWTSettings{
		Algorithms: []string{"HS256", "EdDSA", "RS256", "ES256"},
		Keys:       ks, Issuer: testIssuer, Audience: testAudience,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// claims returns valid claims for role, expiring in an hour.
func claims(role rbac.Role) rbac.Claims {
	return rbac.Claims{Subject: "user-1", Role: role, Issuer: testIssuer, Audience: []string{testAudience},
		ID: "jti-1", Expires: time.Now().Add(time.Hour)}
}

func mint(t testing.TB, k rbac.SigningKey, c rbac.Claims) string {
	t.Helper()
	s, err := rbac.Mint(k, c)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return s
}

// rawToken signs arbitrary header and claims with the jwt library, for
// tokens that Mint refuses to make.
func rawToken(t testing.TB, m jwt.SigningMethod, kid string, c jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("SignedString: %v", err)
	}
	return s
}

// mapClaims returns valid claims as a map, to be edited.
func mapClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": "user-1", "role": "admin", "iss": testIssuer, "aud": testAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-1"}
}

// recorder collects decisions and log output.
type recorder struct {
	mu        sync.Mutex
	decisions []rbac.Decision
	logs      bytes.Buffer
}

func (r *recorder) hook(_ context.Context, d rbac.Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decisions = append(r.decisions, d)
}

func (r *recorder) last() rbac.Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.decisions) == 0 {
		return rbac.Decision{}
	}
	return r.decisions[len(r.decisions)-1]
}

func (r *recorder) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(lockedWriter{r}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct{ r *recorder }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.logs.Write(b)
}

// everything returns all decisions and logs as text, for the canary.
func (r *recorder) everything() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%+v\n%s", r.decisions, r.logs.String())
}

// server is a mux with a handler per access level that records whether it ran.
type server struct {
	mux *rbac.Mux
	ref *http.ServeMux // the same patterns on a plain mux, to find which one serves a path
	rec *recorder
	hit map[string]int
	mu  sync.Mutex
	who rbac.Principal
}

func (s *server) handler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := rbac.PrincipalFrom(r.Context())
		s.mu.Lock()
		s.hit[name]++
		s.who = p
		s.mu.Unlock()
		_, _ = io.WriteString(w, name)
	}
}

func (s *server) hits(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hit[name]
}

func (s *server) allHits() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.hit)
}

// routeOf returns the pattern serving method and path.
func (s *server) routeOf(method, path string) string {
	_, pat := s.ref.Handler(httptest.NewRequest(method, path, nil))
	return pat
}

func testPolicy(t testing.TB) *rbac.Policy {
	t.Helper()
	p, err := rbac.NewPolicy(map[rbac.Permission]rbac.Role{
		"agents:read":     rbac.ReadOnly,
		"agents:execute":  rbac.APIUser,
		"models:activate": rbac.Developer,
		"ledger:read":     rbac.Admin,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newServer(t testing.TB, auth rbac.Authenticator) *server {
	t.Helper()
	s := &server{rec: &recorder{}, hit: map[string]int{}, ref: http.NewServeMux()}
	m, err := rbac.NewMux(rbac.Settings{Authenticator: auth, Policy: testPolicy(t), OnDecision: s.rec.hook, Logger: s.rec.logger()})
	if err != nil {
		t.Fatal(err)
	}
	routes := []struct {
		pattern string
		access  rbac.Access
	}{
		{"GET /healthz", rbac.Public()},
		{"GET /api/v1/agents", rbac.Permission("agents:read")},
		{"POST /api/v1/agents/{id}/execute", rbac.Permission("agents:execute")},
		{"POST /api/v1/models/{id}/activate", rbac.Permission("models:activate")},
		{"GET /api/v1/ledger", rbac.Permission("ledger:read")},
		{"GET /admin", rbac.Admin},
		{"/admin/tools/", rbac.SuperAdmin},
		{"GET /public/", rbac.Public()},
	}
	for _, rt := range routes {
		if err := m.Handle(rt.pattern, rt.access, s.handler(rt.pattern)); err != nil {
			t.Fatalf("Handle(%q): %v", rt.pattern, err)
		}
		s.ref.Handle(rt.pattern, http.NotFoundHandler())
	}
	s.mux = m
	return s
}

// do sends a request with the given Authorization values through s.
func (s *server) do(method, target string, auth ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	return w
}

// canary fails t if any secret appears in the response, the decisions or the logs.
func canary(t *testing.T, s *server, w *httptest.ResponseRecorder, secrets ...string) {
	t.Helper()
	var resp strings.Builder
	_ = w.Result().Header.Write(&resp)
	resp.WriteString(w.Body.String())
	for _, sec := range secrets {
		if len(sec) < 8 {
			continue
		}
		for where, text := range map[string]string{"response": resp.String(), "decisions/logs": s.rec.everything()} {
			if strings.Contains(text, sec) {
				t.Errorf("canary: a credential appears in the %s", where)
			}
			if i := strings.LastIndexByte(sec, '.'); i > 0 && len(sec)-i > 8 && strings.Contains(text, sec[i+1:]) {
				t.Errorf("canary: a signature appears in the %s", where)
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func httptestRequest(method, target, auth string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
