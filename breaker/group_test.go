package breaker_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/breaker"
	"github.com/google/go-cmp/cmp"
)

func TestGroupGetAndSweep(t *testing.T) {
	var names []string
	g, err := breaker.NewGroup(breaker.Settings{ConsecutiveFailures: 1, OnStateChange: func(e breaker.Event) { names = append(names, e.Name) }})
	if err != nil {
		t.Fatal(err)
	}
	a := g.Get("a")
	if g.Get("a") != a || a.Name() != "a" {
		t.Fatal("Get does not return the same named breaker")
	}
	_ = g.Get("b").Do(context.Background(), failing) // b opens
	g.Get("c").SetMode(breaker.ModeDisabled)
	g.Get("d")
	if g.Len() != 4 {
		t.Fatalf("len %d", g.Len())
	}
	if n := g.Sweep(); n != 0 {
		t.Fatalf("first sweep evicted %d recently used", n)
	}
	g.Get("d")
	if n := g.Sweep(); n != 1 { // a: idle and closed
		t.Fatalf("second sweep evicted %d, want 1", n)
	}
	got := slices.Sorted(maps.Keys(maps.Collect(g.All())))
	if diff := cmp.Diff([]string{"b", "c", "d"}, got); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
	for range g.All() {
		break // early stop
	}
	if g.Get("a") == a {
		t.Fatal("evicted breaker returned")
	}
	if diff := cmp.Diff([]string{"b", "c"}, names); diff != "" {
		t.Fatalf("event names (-want +got):\n%s", diff)
	}
}

func TestGroupRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, err := breaker.NewGroup(breaker.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		g.Get("idle")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- g.Run(ctx, time.Minute) }()
		advance(time.Minute)
		if g.Len() != 1 {
			t.Fatal("evicted after one interval")
		}
		advance(time.Minute)
		if g.Len() != 0 {
			t.Fatal("not evicted after two intervals")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
	})
}
