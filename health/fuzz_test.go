package health

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzProbe feeds arbitrary queries, Accept headers and check paths to the
// handlers. Whatever the input, a probe answers 200, 503 or 404 with
// no-store, and an anonymous caller never sees a check's name or output.
func FuzzProbe(f *testing.F) {
	for _, seed := range []struct{ q, accept, check string }{
		{"", "", ""},
		{"verbose", "text/plain", "secretdb"},
		{"exclude=secretdb&exclude=other&verbose=1", "application/json", "other"},
		{"exclude=%zz&verbose;x", "text/plain;q=0.1", "../x"},
		{strings.Repeat("exclude=a&", 50), "*/*", ""},
	} {
		f.Add(seed.q, seed.accept, seed.check)
	}
	c, err := New(Settings{
		Authorize: func(r *http.Request) bool { return r.Header.Get("X-Admin") == "1" },
		Checks: []Check{
			{Name: "secretdb", Func: script(StatusFail)},
			{Name: "other", Func: script(StatusWarn), Optional: true},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	for _, cs := range c.checks {
		<-c.refresh(cs, true)
	}
	mux := http.NewServeMux()
	c.Mount(mux, "")
	f.Fuzz(func(t *testing.T, query, accept, check string) {
		for _, admin := range []bool{false, true} {
			r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			r.URL.RawQuery = query
			r.URL.Path = "/readyz"
			if check != "" {
				r.URL.Path = "/readyz/" + check
			}
			r.Header.Set("Accept", accept)
			if admin {
				r.Header.Set("X-Admin", "1")
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			switch w.Code {
			case 200, 503, 404, 301, 307, 308:
			default:
				t.Fatalf("code %d for %q %q %q", w.Code, query, accept, check)
			}
			body := w.Body.String()
			if !admin && (strings.Contains(body, "secretdb") || strings.Contains(body, "boom")) {
				t.Fatalf("anonymous caller saw details: %q", body)
			}
			if w.Code != 200 && w.Code != 503 {
				continue // the mux's redirects and 404s for paths it does not route to us
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control %q", cc)
			}
		}
	})
}
