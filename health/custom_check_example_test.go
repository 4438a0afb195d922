package health_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"

	"github.com/devskyy/devskyy/health"
)

// Queue is the application's own work queue. Its health check reads what
// the queue already tracks; it opens nothing and allocates little.
type Queue struct {
	depth atomic.Int64
}

// Push adds n items.
func (q *Queue) Push(n int64) { q.depth.Add(n) }

// HealthCheck returns a health.Func that warns when the backlog passes
// warnAt and fails when it passes failAt, reporting the depth as the
// observed value of the "backlog" measurement.
func (q *Queue) HealthCheck(warnAt, failAt int64) health.Func {
	return func(ctx context.Context) (health.Result, error) {
		if err := ctx.Err(); err != nil { // honour the timeout
			return health.Result{}, err
		}
		d := q.depth.Load()
		res := health.Result{Status: health.StatusPass, Measurement: "backlog", Value: d, Unit: "items"}
		switch {
		case d > failAt:
			res.Status, res.Output = health.StatusFail, "backlog of "+strconv.FormatInt(d, 10)+" items"
		case d > warnAt:
			res.Status, res.Output = health.StatusWarn, "backlog of "+strconv.FormatInt(d, 10)+" items"
		}
		return res, nil
	}
}

// A custom check is any function of a context returning a Result: here a
// method of the application's queue, wired as an on-demand readiness check
// with a one-second TTL (the default).
func Example_customCheck() {
	q := &Queue{}
	hc, err := health.New(health.Settings{
		Checks: []health.Check{{
			Name:     "queue",
			Func:     q.HealthCheck(100, 1000),
			Mode:     health.OnDemand,
			Optional: true, // a long queue degrades, it does not take us out
		}},
		Authorize: func(*http.Request) bool { return true },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hc.Close()
	q.Push(250)
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil)
	r.Header.Set("Accept", "text/plain")
	hc.Handler(health.GroupReady).ServeHTTP(w, r)
	fmt.Print(w.Code, "\n", w.Body.String())
	// Output:
	// 200
	// [+]queue warn: backlog of 250 items
	// ready check passed: warn
}
