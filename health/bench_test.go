package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a reusable http.ResponseWriter, so that the benchmark
// measures the handler and not the recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

func benchChecker(b *testing.B, mode Mode) http.Handler {
	b.Helper()
	var checks []Check
	for _, n := range []string{"a", "b", "c"} {
		checks = append(checks, Check{Name: n, Func: func(context.Context) (Result, error) { return Pass(), nil }, Mode: mode, TTL: 1 << 62})
	}
	c, err := New(Settings{Checks: checks})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	for _, cs := range c.checks {
		<-c.refresh(cs, true)
	}
	return c.Handler(GroupReady)
}

func BenchmarkHandler(b *testing.B) {
	for _, bm := range []struct {
		name string
		mode Mode
	}{{"background", Background}, {"on-demand-fresh", OnDemand}} {
		b.Run(bm.name, func(b *testing.B) {
			h := benchChecker(b, bm.mode)
			r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.code != 200 {
				b.Fatalf("code %d", w.code)
			}
		})
	}
}

func BenchmarkHandlerParallel(b *testing.B) {
	h := benchChecker(b, Background)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}
