// Package healthbench compares the health package's probe handler with
// alexliesenfeld/health and hellofresh/health-go, each with the same three
// trivial checks, in the same run.
package healthbench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	alex "github.com/alexliesenfeld/health"
	"github.com/devskyy/devskyy/health"
	hf "github.com/hellofresh/health-go/v5"
)

var names = []string{"a", "b", "c"}

// discardWriter is a reusable http.ResponseWriter shared by every
// contender, so that the benchmark measures handlers, not recorders.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

func devskyy(b *testing.B) http.Handler {
	b.Helper()
	var checks []health.Check
	for _, n := range names {
		checks = append(checks, health.Check{Name: n, Mode: health.OnDemand, TTL: time.Hour,
			Func: func(context.Context) (health.Result, error) { return health.Pass(), nil }})
	}
	hc, err := health.New(health.Settings{Checks: checks})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = hc.Close() })
	h := hc.Handler(health.GroupReady)
	// Warm: the first probe runs the checks, as for the peers' caches.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return h
}

func alexliesenfeld(b *testing.B) http.Handler {
	b.Helper()
	opts := []alex.CheckerOption{alex.WithCacheDuration(time.Hour)}
	for _, n := range names {
		opts = append(opts, alex.WithCheck(alex.Check{Name: n, Check: func(context.Context) error { return nil }}))
	}
	c := alex.NewChecker(opts...)
	b.Cleanup(c.Stop)
	h := alex.NewHandler(c)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return h
}

func hellofresh(b *testing.B) http.Handler {
	b.Helper()
	var cfgs []hf.Config
	for _, n := range names {
		cfgs = append(cfgs, hf.Config{Name: n, Check: func(context.Context) error { return nil }})
	}
	h, err := hf.New(hf.WithChecks(cfgs...))
	if err != nil {
		b.Fatal(err)
	}
	return h.Handler()
}

// cpuTime returns the process's user+system CPU time. On a shared machine
// the CPU time per operation is a steadier figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric measured from start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

var contenders = []struct {
	name string
	make func(*testing.B) http.Handler
}{
	{"devskyy", devskyy},
	{"alexliesenfeld", alexliesenfeld},
	{"hellofresh", hellofresh},
}

// BenchmarkProbe is one probe of a passing group of three cached checks.
func BenchmarkProbe(b *testing.B) {
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			h := c.make(b)
			r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			reportCPU(b, start)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}

// BenchmarkProbeParallel is the same probe from every P at once.
func BenchmarkProbeParallel(b *testing.B) {
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			h := c.make(b)
			b.ReportAllocs()
			start := cpuTime()
			defer reportCPU(b, start)
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					h.ServeHTTP(w, r)
				}
				if w.code != 0 && w.code != http.StatusOK { // 0: no iteration here
					b.Errorf("status %d", w.code)
				}
			})
		})
	}
}
