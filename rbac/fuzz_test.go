package rbac_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devskyy/devskyy/rbac"
)

// fuzzServer is shared by the fuzz targets: building a server per input
// would dominate the run.
func fuzzServer(f *testing.F) (*server, string) {
	f.Helper()
	s := newServer(f, newJWT(f))
	return s, stableToken(f)
}

// stableToken mints the same admin token in every process of a fuzz run
// (the coordinator and its workers): iat is today's midnight and exp the
// next one, both UTC.
func stableToken(f *testing.F) string {
	c := claims(rbac.Admin)
	c.IssuedAt = time.Now().UTC().Truncate(24 * time.Hour)
	c.Expires = c.IssuedAt.Add(24 * time.Hour)
	return mint(f, testKeys().hs, c)
}

// FuzzBearer feeds arbitrary Authorization values to the JWT authenticator:
// it must never panic, must accept only verified tokens, and its error must
// never echo the input.
func FuzzBearer(f *testing.F) {
	a := newJWT(f)
	good := stableToken(f)
	for _, s := range []string{"Bearer " + good, "bearer  " + good, "Bearer", "Bearer ....", "Basic abc", "",
		"Bearer " + good + "=", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30.", "ApiKey x.y", "Bearer \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{auth}
		p, err := a.Authenticate(r)
		if err != nil {
			if len(auth) >= 8 && strings.Contains(err.Error(), auth) {
				t.Fatalf("error echoes the input")
			}
			if p != (rbac.Principal{}) {
				t.Fatalf("principal returned with an error: %+v", p)
			}
			return
		}
		if !p.Role.Satisfies(rbac.ReadOnly) || p.Subject == "" || p.Method != rbac.MethodJWT {
			t.Fatalf("accepted a principal that is not real: %+v", p)
		}
	})
}

// FuzzMiddleware sends requests with arbitrary headers, method and path
// through a protected mux: nothing panics, a protected handler runs only
// with the valid admin token, and no Authorization value leaks into the
// response, a decision or a log line.
func FuzzMiddleware(f *testing.F) {
	s, good := fuzzServer(f)
	f.Add("GET", "/admin", "Authorization", "Bearer "+good, "X-Role", "super_admin")
	f.Add("HEAD", "/admin", "Authorization", "Bearer x.y.z", "X-User", "root")
	f.Add("OPTIONS", "//admin/", "Authorization", "bearer  "+good+"  ", "Authorization", "Bearer "+good)
	f.Add("POST", "/api/v1/agents/%2e%2e/execute", "authorization", "Basic Zm9v", "Cookie", "a=b")
	f.Add("GET", "/ADMIN", "X-Forwarded-For", "1.2.3.4", "Authorization", strings.Repeat(".", 5000))
	f.Fuzz(func(t *testing.T, method, path, k1, v1, k2, v2 string) {
		if !validMethod(method) || path == "" || path[0] != '/' || strings.ContainsAny(path, " \t\r\n#?") {
			return
		}
		r, err := http.NewRequest(method, "http://example.com"+path, nil)
		if err != nil {
			return
		}
		r.Header[http.CanonicalHeaderKey(k1)] = append(r.Header[http.CanonicalHeaderKey(k1)], v1)
		r.Header[http.CanonicalHeaderKey(k2)] = append(r.Header[http.CanonicalHeaderKey(k2)], v2)
		before := s.allHits()
		s.rec.mu.Lock()
		s.rec.decisions = s.rec.decisions[:0]
		s.rec.logs.Reset()
		s.rec.mu.Unlock()
		w := httptest.NewRecorder()
		s.mux.ServeHTTP(w, r)
		after := s.allHits()
		for name, n := range after {
			if n == before[name] || strings.Contains(name, "healthz") || strings.Contains(name, "public") {
				continue
			}
			if vals := r.Header.Values("Authorization"); len(vals) != 1 || !strings.Contains(vals[0], good) {
				t.Fatalf("protected handler %q ran without the valid token", name)
			}
		}
		// The canary is the real token: arbitrary header values may
		// legitimately coincide with response text ("json"), a token cannot.
		canary(t, s, w, good)
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}
