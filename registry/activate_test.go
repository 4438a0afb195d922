package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
)

func kinds(sub *registry.Subscription) []string {
	var out []string
	for {
		select {
		case ev := <-sub.C():
			s := string(ev.Kind) + " " + ev.Version
			if ev.Step != "" {
				s += " " + ev.Step
			}
			out = append(out, s)
		default:
			return out
		}
	}
}

func TestActivateLifecycle(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	sub := reg.Subscribe(0)
	defer sub.Close()
	e.register(reg, "m", "1.0.0", "one")
	e.register(reg, "m", "1.1.0", "unhealthy")
	e.register(reg, "m", "1.2.0", "load-error")
	e.register(reg, "m", "2.0.0-rc.1", "rc")

	if got := serving(t, reg, "m"); got != registry.ErrNotActive.Error() {
		t.Errorf("before activation: %s", got)
	}
	if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{Who: "ana"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{Who: "ana"}); err != nil {
		t.Fatalf("re-activating the active version: %v", err)
	}
	err := reg.Activate(t.Context(), "m", "1.1.0", registry.Change{})
	var ae *registry.ActivationError
	if !errors.Is(err, registry.ErrUnhealthy) || !errors.As(err, &ae) || ae.Step != "check" {
		t.Errorf("unhealthy activation: %v", err)
	}
	if err := reg.Activate(t.Context(), "m", "1.2.0", registry.Change{}); !errors.As(err, &ae) || ae.Step != "load" || ae.Error() == "" {
		t.Errorf("failing load: %v", err)
	}
	if err := reg.Activate(t.Context(), "m", "2.0.0-rc.1", registry.Change{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Activate(t.Context(), "m", "9.9.9", registry.Change{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown version: %v", err)
	}
	if err := reg.Activate(t.Context(), "zz", "1.0.0", registry.Change{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown model: %v", err)
	}
	want := []string{
		"registered 1.0.0", "registered 1.1.0", "registered 1.2.0", "registered 2.0.0-rc.1",
		"verified 1.0.0", "checked 1.0.0", "activated 1.0.0",
		"verified 1.1.0", "failed 1.1.0 check",
		"verified 1.2.0", "failed 1.2.0 load",
		"verified 2.0.0-rc.1", "checked 2.0.0-rc.1", "activated 2.0.0-rc.1",
	}
	if diff := cmp.Diff(want, kinds(sub)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := serving(t, reg, "m"); got != "2.0.0-rc.1" {
		t.Errorf("serving %s", got)
	}
	m, _ := reg.Model("m")
	var states []string
	for _, v := range m.Versions {
		states = append(states, v.Version+"="+string(v.State))
	}
	if diff := cmp.Diff([]string{"1.0.0=healthy", "1.1.0=failed", "1.2.0=failed", "2.0.0-rc.1=active"}, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if lh, err := reg.LatestHealthy("m"); err != nil || lh.Version != "2.0.0-rc.1" {
		t.Errorf("LatestHealthy: %v %v", lh.Version, err)
	}
	if c := m.Versions[1].LastCheck; c == nil || c.Passed || c.Step != "check" || c.Error == "" {
		t.Errorf("recorded failure: %+v", c)
	}
}

func TestLatestHealthyNone(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.register(reg, "m", "1.0.0", "unhealthy")
	_ = reg.Activate(t.Context(), "m", "1.0.0", registry.Change{})
	if _, err := reg.LatestHealthy("m"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("got %v", err)
	}
	if _, err := reg.LatestHealthy("zz"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("got %v", err)
	}
}

// TestFlippedByte flips every byte of an artifact in turn: each activation
// fails verification and the active version keeps serving.
func TestFlippedByte(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.register(reg, "m", "1.0.0", "one")
	e.write("dir/weights.bin", "0123456789abcdefghijklmnopqrstuvwxyz")
	e.write("dir/config.json", `{"layers":3}`)
	for _, v := range []registry.Registration{
		{Model: "m", Version: "2.0.0", Artifact: "m-2.0.0.txt"},
		{Model: "m", Version: "3.0.0", Artifact: "dir"},
	} {
		if v.Artifact == "m-2.0.0.txt" {
			e.write(v.Artifact, "the second version of the model")
		}
		if _, err := reg.Register(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ version, file string }{
		{"2.0.0", "m-2.0.0.txt"}, {"3.0.0", "dir/weights.bin"}, {"3.0.0", "dir/config.json"},
	} {
		p := filepath.Join(e.dir, filepath.FromSlash(tc.file))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			for _, bit := range []byte{0x01, 0x80} {
				b := append([]byte(nil), orig...)
				b[i] ^= bit
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				err := reg.Activate(t.Context(), "m", tc.version, registry.Change{})
				if !errors.Is(err, registry.ErrDigestMismatch) {
					t.Fatalf("%s byte %d: got %v, want ErrDigestMismatch", tc.file, i, err)
				}
				if got := serving(t, reg, "m"); got != "1.0.0" {
					t.Fatalf("%s byte %d: serving %s", tc.file, i, got)
				}
			}
		}
		if err := os.WriteFile(p, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(e.dir, "m-2.0.0.txt")); err != nil {
		t.Fatal(err)
	}
	if err := reg.Activate(t.Context(), "m", "2.0.0", registry.Change{}); !errors.Is(err, registry.ErrInvalidArtifact) {
		t.Errorf("missing artifact: %v", err)
	}
	if err := reg.Activate(t.Context(), "m", "3.0.0", registry.Change{}); err != nil {
		t.Errorf("restored artifact: %v", err)
	}
	if e.loads.Load() != 2 {
		t.Errorf("loader called %d times, want 2: a corrupt artifact reached the loader", e.loads.Load())
	}
}

func TestCheckTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		release := make(chan struct{})
		var abandoned atomic.Pointer[testModel]
		s := e.settings()
		s.CheckTimeout = time.Second
		s.Check = func(ctx context.Context, m *testModel) error {
			switch m.text {
			case "slow-but-polite":
				<-ctx.Done()
				return ctx.Err()
			case "ignores-context":
				abandoned.Store(m)
				<-release
				return nil
			case "just-in-time":
				time.Sleep(999 * time.Millisecond) // fake time inside the bubble
				return nil
			}
			return nil
		}
		reg, err := registry.New(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		e.register(reg, "m", "1.0.0", "ok")
		e.register(reg, "m", "2.0.0", "slow-but-polite")
		e.register(reg, "m", "3.0.0", "ignores-context")
		e.register(reg, "m", "4.0.0", "just-in-time")
		if err := reg.Activate(t.Context(), "m", "1.0.0", registry.Change{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for _, v := range []string{"2.0.0", "3.0.0"} {
			err := reg.Activate(t.Context(), "m", v, registry.Change{})
			if !errors.Is(err, registry.ErrUnhealthy) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: got %v", v, err)
			}
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("two timed-out checks took %v, want 2s", d)
		}
		if got := serving(t, reg, "m"); got != "1.0.0" {
			t.Errorf("serving %s", got)
		}
		if m := abandoned.Load(); m.closed.Load() != 0 {
			t.Error("abandoned model closed while its check still runs")
		}
		close(release)
		synctest.Wait()
		if m := abandoned.Load(); m.closed.Load() != 1 {
			t.Error("abandoned model not closed after its check returned")
		}
		if err := reg.Activate(t.Context(), "m", "4.0.0", registry.Change{}); err != nil {
			t.Errorf("check finishing before the timeout: %v", err)
		}
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	})
}

func TestActivateContextCancelled(t *testing.T) {
	e := newEnv(t)
	reg := e.registry(e.settings())
	e.register(reg, "m", "1.0.0", "one")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// The gate is free, so the select may still take it; hold it by racing
	// nothing: a cancelled context must fail either at the gate or at the
	// store, and nothing may be served.
	if err := reg.Activate(ctx, "m", "1.0.0", registry.Change{}); err == nil {
		t.Fatal("activation with a cancelled context succeeded")
	}
	if got := serving(t, reg, "m"); got != registry.ErrNotActive.Error() {
		t.Errorf("serving %s", got)
	}
}
