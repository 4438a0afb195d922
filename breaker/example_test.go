package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/devskyy/devskyy/breaker"
)

// A plain call: Do runs the function while the breaker admits it.
func ExampleBreaker_Do() {
	b, err := breaker.New("inventory", breaker.Settings{ConsecutiveFailures: 2, OpenJitter: -1})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	down := errors.New("inventory: unavailable")
	for i := range 4 {
		err := b.Do(ctx, func(context.Context) error { return down })
		fmt.Println(i, err, errors.Is(err, breaker.ErrOpen))
	}
	fmt.Println(b.State())
	// Output:
	// 0 inventory: unavailable false
	// 1 inventory: unavailable false
	// 2 breaker "inventory": open (retry after 1m0s) true
	// 3 breaker "inventory": open (retry after 1m0s) true
	// open
}

// A call that returns a value uses the generic Call.
func ExampleCall() {
	b, err := breaker.New("pricing", breaker.Settings{})
	if err != nil {
		panic(err)
	}
	price, err := breaker.Call(context.Background(), b, func(context.Context) (int, error) {
		return 42, nil
	})
	fmt.Println(price, err)
	// Output: 42 <nil>
}

// Where the guarded work cannot be a closure (middleware, streams), take a
// permit and report its outcome with Done.
func ExampleBreaker_Allow() {
	b, err := breaker.New("upstream", breaker.Settings{ConsecutiveFailures: 1, OpenJitter: -1})
	if err != nil {
		panic(err)
	}
	h := func(w http.ResponseWriter, r *http.Request) {
		p, err := b.Allow(r.Context())
		if oe := (*breaker.OpenError)(nil); errors.As(err, &oe) {
			w.Header().Set("Retry-After", strconv.Itoa(int(oe.RetryAfter.Seconds())))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		// ... call the upstream ...
		p.Done(errors.New("upstream: 502"))
		w.WriteHeader(http.StatusBadGateway)
	}
	for range 2 {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		fmt.Printf("%d retry-after=%q\n", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Output:
	// 502 retry-after=""
	// 503 retry-after="60"
}

// A listener sees every change, in order, and may call back into the
// breaker.
func ExampleSettings_onStateChange() {
	var b *breaker.Breaker
	b, err := breaker.New("search", breaker.Settings{
		ConsecutiveFailures: 3,
		OpenJitter:          -1,
		OnStateChange: func(e breaker.Event) {
			fmt.Printf("%s: %s -> %s (generation %d, %d consecutive failures, now %s)\n",
				e.Name, e.From, e.To, e.Generation, e.Snapshot.ConsecutiveFailures, b.State())
		},
	})
	if err != nil {
		panic(err)
	}
	for range 3 {
		_ = b.Do(context.Background(), func(context.Context) error { return errors.New("boom") })
	}
	b.SetMode(breaker.ModeForcedOpen)
	b.SetMode(breaker.ModeNormal)
	// Output:
	// search: closed -> open (generation 2, 3 consecutive failures, now open)
	// search: open -> open (generation 3, 0 consecutive failures, now open)
	// search: open -> closed (generation 4, 0 consecutive failures, now closed)
}

// A Group keeps one breaker per key, here per upstream host, and evicts the
// idle closed ones on each Sweep (or periodically with Run).
func ExampleGroup() {
	g, err := breaker.NewGroup(breaker.Settings{ConsecutiveFailures: 1})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_ = g.Get("a.example").Do(ctx, func(context.Context) error { return nil })
	_ = g.Get("b.example").Do(ctx, func(context.Context) error { return errors.New("down") })
	fmt.Println(g.Len(), g.Get("a.example").State(), g.Get("b.example").State())
	g.Sweep() // marks: both were used since the last sweep
	g.Sweep() // evicts a.example (idle, closed); keeps b.example (open)
	for host, b := range g.All() {
		fmt.Println(host, b.State())
	}
	// Output:
	// 2 closed open
	// b.example open
}
