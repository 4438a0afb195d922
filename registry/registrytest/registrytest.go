// Package registrytest is the conformance kit for implementations of
// registry.Store. A store that passes Run behaves as the registry expects:
// compare-and-set on the model generation, all-or-nothing writes, records
// returned by value, sorted loads, and (when the harness can reopen it)
// durability of exactly the state written, also after Close when the store
// is an io.Closer.
//
// Use it from a test of the store's package:
//
//	func TestConformance(t *testing.T) {
//		registrytest.Run(t, registrytest.Harness{
//			New: func(t testing.TB) registry.Store { return mystore.New(t.TempDir()) },
//		})
//	}
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
)

// Harness creates the stores under test. The zero Harness is not usable: New
// is required.
type Harness struct {
	// New returns a new, empty store; required.
	New func(t testing.TB) registry.Store
	// Reopen, if set, returns a store reopened from the durable state of s
	// (for example the same file). Run then checks that a reopened store
	// holds exactly what was written before, while s is still open and, if
	// s is an io.Closer, again after closing it.
	Reopen func(t testing.TB, s registry.Store) registry.Store
}

// Run runs every conformance check as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	requireNew(t, h)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, h) })
	}
}

func requireNew(t testing.TB, h Harness) {
	if h.New == nil {
		t.Fatalf("registrytest: Harness.New is required")
	}
}

// checks are the conformance checks; each takes testing.TB so that the kit's
// own tests can run them against deliberately broken stores.
var checks = []struct {
	name string
	fn   func(t testing.TB, h Harness)
}{
	{"Empty", checkEmpty},
	{"PutGet", checkPutGet},
	{"CompareAndSet", checkCompareAndSet},
	{"Isolation", checkIsolation},
	{"SortedLoad", checkSortedLoad},
	{"RejectsInvalid", checkRejectsInvalid},
	{"ConcurrentPuts", checkConcurrentPuts},
	{"Reopen", checkReopen},
}

// Record returns a valid record named name at generation gen with one
// version, an alias and its history. Its content varies with gen.
func Record(name string, gen uint64) registry.Model {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := fmt.Sprintf("1.0.%d", gen)
	return registry.Model{
		Name:       name,
		Generation: gen,
		Versions: []registry.Version{{
			Model: name, Version: v, Artifact: "models/" + name + ".json",
			Digest:       "sha256:" + fmt.Sprintf("%064x", gen),
			Size:         int64(gen),
			Metadata:     map[string]string{"owner": "kit"},
			Tags:         []string{"kit"},
			RegisteredAt: at,
			LastCheck:    &registry.Check{At: at, Passed: true, Duration: time.Millisecond},
		}},
		Aliases: map[string]string{"production": v},
		History: []registry.AliasMove{{Alias: "production", To: v, Who: "kit", Why: "test", At: at, Generation: gen}},
	}
}

func newStore(t testing.TB, h Harness) registry.Store {
	return h.New(t)
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func equal(t testing.TB, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func isErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func checkEmpty(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	got, err := s.Load(ctx)
	must(t, "Load", err)
	equal(t, "Load of an empty store", 0, len(got))
	_, err = s.Get(ctx, "missing")
	isErr(t, "Get of a missing record", err, registry.ErrNotFound)
}

func checkPutGet(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	want := Record("m", 1)
	must(t, "Put", s.Put(ctx, want, 0))
	got, err := s.Get(ctx, "m")
	must(t, "Get", err)
	equal(t, "Get after Put", want, got)
	want2 := Record("m", 2)
	want2.History = append(Record("m", 1).History, registry.AliasMove{Alias: "production", From: "1.0.1", To: "1.0.2", At: want2.History[0].At, Generation: 2})
	want2.Versions = append(Record("m", 1).Versions, want2.Versions...)
	must(t, "Put of the next generation", s.Put(ctx, want2, 1))
	got, err = s.Get(ctx, "m")
	must(t, "Get", err)
	equal(t, "Get after the second Put", want2, got)
}

func checkCompareAndSet(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	isErr(t, "Put with prev 1 of a missing record", s.Put(ctx, Record("m", 2), 1), registry.ErrConflict)
	must(t, "Put", s.Put(ctx, Record("m", 1), 0))
	isErr(t, "second create", s.Put(ctx, Record("m", 2), 0), registry.ErrConflict)
	isErr(t, "Put with a stale prev", s.Put(ctx, Record("m", 3), 2), registry.ErrConflict)
	isErr(t, "Put that does not raise the generation", s.Put(ctx, Record("m", 1), 1), registry.ErrConflict)
	got, err := s.Get(ctx, "m")
	must(t, "Get", err)
	equal(t, "record after refused Puts", Record("m", 1), got)
}

func checkIsolation(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	rec := Record("m", 1)
	must(t, "Put", s.Put(ctx, rec, 0))
	rec.Versions[0].Tags[0] = "changed"
	rec.Versions[0].Metadata["owner"] = "changed"
	rec.Versions[0].LastCheck.Passed = false
	rec.Aliases["production"] = "changed"
	rec.History[0].Who = "changed"
	got, err := s.Get(ctx, "m")
	must(t, "Get", err)
	equal(t, "record after the caller modified what it Put", Record("m", 1), got)
	got.Versions[0].Tags[0] = "changed"
	got.Aliases["production"] = "changed"
	all, err := s.Load(ctx)
	must(t, "Load", err)
	all[0].Versions[0].Metadata["owner"] = "changed"
	again, err := s.Get(ctx, "m")
	must(t, "Get", err)
	equal(t, "record after the caller modified what it got", Record("m", 1), again)
}

func checkSortedLoad(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	for _, n := range []string{"c", "a", "b"} {
		must(t, "Put", s.Put(ctx, Record(n, 1), 0))
	}
	got, err := s.Load(ctx)
	must(t, "Load", err)
	equal(t, "Load", []registry.Model{Record("a", 1), Record("b", 1), Record("c", 1)}, got)
}

func checkRejectsInvalid(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	bad := Record("m", 1)
	bad.Versions[0].Digest = "md5:x"
	if err := s.Put(ctx, bad, 0); err == nil {
		t.Errorf("Put of an invalid record: got nil error")
	}
	_, err := s.Get(ctx, "m")
	isErr(t, "Get after a refused Put", err, registry.ErrNotFound)
}

func checkConcurrentPuts(t testing.TB, h Harness) {
	ctx := context.Background()
	s := newStore(t, h)
	must(t, "Put", s.Put(ctx, Record("m", 1), 0))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.Put(ctx, Record("m", 2), 1) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			isErr(t, "losing concurrent Put", err, registry.ErrConflict)
		}
	}
	equal(t, "concurrent Puts on one generation that succeeded", 1, wins)
}

func checkReopen(t testing.TB, h Harness) {
	if h.Reopen == nil {
		return
	}
	ctx := context.Background()
	s := newStore(t, h)
	must(t, "Put", s.Put(ctx, Record("a", 1), 0))
	must(t, "Put", s.Put(ctx, Record("b", 1), 0))
	must(t, "Put", s.Put(ctx, Record("b", 2), 1))
	want, err := s.Load(ctx)
	must(t, "Load", err)
	got, err := h.Reopen(t, s).Load(ctx)
	must(t, "Load after reopening", err)
	equal(t, "reopened state", want, got)
	// A store with a Close method is also reopened after it was closed.
	if c, ok := s.(io.Closer); ok {
		must(t, "Close", c.Close())
		got, err := h.Reopen(t, s).Load(ctx)
		must(t, "Load after closing and reopening", err)
		equal(t, "state reopened after Close", want, got)
	}
}
