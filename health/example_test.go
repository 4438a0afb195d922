package health_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/devskyy/devskyy/health"
)

// A background check runs on its interval between Start and Close; probes
// read its last result and never wait for it.
func ExampleNew() {
	ran := make(chan health.Event, 1)
	hc, err := health.New(health.Settings{
		Checks: []health.Check{{
			Name:   "goroutines",
			Func:   health.Goroutines(10_000, 100_000),
			Groups: []string{health.GroupLive},
			// Mode: health.Background (the default), Interval: 10s.
		}},
		Observe: func(e health.Event) {
			select {
			case ran <- e:
			default:
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hc.Close()
	if err := hc.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	e := <-ran // the first run, right after Start
	live, _ := hc.Status(health.GroupLive)
	fmt.Println(e.Check, e.Status, live)
	// Output: goroutines pass pass
}

// An on-demand check runs when a probe finds its result older than the
// TTL; probes arriving meanwhile share the run, and fresh results are
// served without running anything.
func ExampleCheck_onDemand() {
	runs := 0
	hc, err := health.New(health.Settings{
		Checks: []health.Check{{
			Name: "payments",
			Mode: health.OnDemand,
			TTL:  30_000_000_000, // 30s
			Func: func(ctx context.Context) (health.Result, error) {
				runs++ // single flight: never concurrent with itself
				return health.Warn("p99 latency 900ms"), nil
			},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hc.Close()
	h := hc.Handler(health.GroupReady)
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	fmt.Println("runs:", runs)
	// Output:
	// 200 {"status":"warn"}
	// 200 {"status":"warn"}
	// 200 {"status":"warn"}
	// runs: 1
}

// Mount registers /livez, /readyz, /startupz and per-check paths. Details
// need ?verbose and a caller the authorizer accepts (in the platform, the
// rbac Admin role).
func ExampleChecker_Mount() {
	hc, err := health.New(health.Settings{
		Checks: []health.Check{
			{Name: "heap", Func: health.Heap(0, 0), Groups: []string{health.GroupLive}, Mode: health.OnDemand},
			{Name: "db", Func: func(context.Context) (health.Result, error) {
				return health.Fail("connection refused"), nil
			}, Mode: health.OnDemand},
		},
		Authorize: func(r *http.Request) bool { return r.Header.Get("X-Role") == "admin" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hc.Close()
	mux := http.NewServeMux()
	hc.Mount(mux, "")
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, p := range []struct{ path, role, accept string }{
		{"/livez", "", ""},
		{"/readyz", "", ""},
		{"/readyz?verbose", "", "text/plain"},
		{"/readyz?verbose", "admin", "text/plain"},
		{"/readyz/db", "", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p.path, nil)
		req.Header.Set("X-Role", p.role)
		req.Header.Set("Accept", p.accept)
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		fmt.Printf("%s %d %s\n%s", p.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	srv.Client().CloseIdleConnections()
	// Output:
	// /livez 200 application/health+json
	// {"status":"pass"}
	// /readyz 503 application/health+json
	// {"status":"fail"}
	// /readyz?verbose 503 text/plain; charset=utf-8
	// fail
	// /readyz?verbose 503 text/plain; charset=utf-8
	// [-]db fail: connection refused
	// ready check failed: fail
	// /readyz/db 503 application/health+json
	// {"status":"fail"}
}
