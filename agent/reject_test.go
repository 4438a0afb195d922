package agent_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/google/go-cmp/cmp"
)

// suppressedOf returns the "suppressed" attribute of each entry, 0 when
// absent, in order.
func suppressedOf(t *testing.T, led *agenttest.Ledger) []int64 {
	t.Helper()
	var got []int64
	for _, e := range led.Entries() {
		n := int64(0)
		for _, a := range e.Attrs {
			if a.Key == "suppressed" {
				n = a.Value.Int64()
			}
		}
		got = append(got, n)
	}
	return got
}

func TestRejectionEntriesLimited(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		// rejections in the first second, then one more a second later
		first int
		want  []int64 // "suppressed" of each entry
	}{
		{"default limit is 10", 0, 12, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},
		{"limit 3", 3, 10, []int64{0, 0, 0, 7}},
		{"under the limit nothing is suppressed", 3, 2, []int64{0, 0, 0}},
		{"negative: no limit", -1, 12, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rejected atomic.Int64
				reg, led := newReg(t, agent.Settings{RejectionEntries: tt.limit, Hooks: agent.Hooks{
					OnReject: func(context.Context, agent.Event) { rejected.Add(1) },
				}})
				h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "v"}, agenttest.Step[out]{Output: out{"hi"}}), agent.Policy{})
				ids := map[string]bool{}
				for range tt.first {
					r := h.Run(t.Context(), in{}) // Name is required
					if !errors.Is(r.Err, agent.KindInvalidInput) || r.Attempts != 0 {
						t.Fatalf("result = %+v", r)
					}
					ids[r.ID.String()] = true
				}
				time.Sleep(time.Second) // the next second of the registry's clock
				if r := h.Run(t.Context(), in{}); !errors.Is(r.Err, agent.KindInvalidInput) {
					t.Fatalf("result = %+v", r)
				}
				if diff := cmp.Diff(tt.want, suppressedOf(t, led)); diff != "" {
					t.Errorf("suppressed per entry (-want +got):\n%s", diff)
				}
				if got := rejected.Load(); got != int64(tt.first+1) {
					t.Errorf("OnReject saw %d rejections, want %d", got, tt.first+1)
				}
				if len(ids) != tt.first {
					t.Errorf("%d distinct execution ids for %d rejections", len(ids), tt.first)
				}
			})
		})
	}
}

// Executions that called the agent are never limited, whatever the
// rejections of the same second did.
func TestRejectionLimitSparesFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, led := newReg(t, agent.Settings{RejectionEntries: 1})
		steps := make([]agenttest.Step[out], 5)
		for i := range steps {
			steps[i] = agenttest.Step[out]{Err: errBoom}
		}
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "f"}, steps...), agent.Policy{})
		for range 3 {
			h.Run(t.Context(), in{}) // rejected: one entry, two suppressed
		}
		for range 5 {
			if r := h.Run(t.Context(), in{Name: "a"}); r.Attempts != 1 || !errors.Is(r.Err, agent.KindInternal) {
				t.Fatalf("result = %+v", r)
			}
		}
		var kinds []string
		for _, e := range led.Entries() {
			kinds = append(kinds, e.Type)
		}
		want := []string{"agent.invalid_input", "agent.internal", "agent.internal", "agent.internal", "agent.internal", "agent.internal"}
		if diff := cmp.Diff(want, kinds); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
	})
}

// Concurrent rejections in one second write exactly the limit's entries,
// and every other one is counted once.
func TestRejectionLimitConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit, goroutines, each = 7, 8, 50
		reg, led := newReg(t, agent.Settings{RejectionEntries: limit})
		h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "c"}, agenttest.Step[out]{Output: out{"hi"}}), agent.Policy{})
		done := make(chan struct{})
		for range goroutines {
			go func() {
				defer func() { done <- struct{}{} }()
				for range each {
					h.Run(context.Background(), in{})
				}
			}()
		}
		for range goroutines {
			<-done
		}
		if n := len(led.Entries()); n != limit {
			t.Fatalf("%d entries in one second, want %d", n, limit)
		}
		time.Sleep(time.Second)
		h.Run(context.Background(), in{})
		got := suppressedOf(t, led)
		var sum int64
		for _, n := range got {
			sum += n
		}
		if sum != goroutines*each-limit {
			t.Errorf("suppressed counts %v sum to %d, want %d", got, sum, goroutines*each-limit)
		}
	})
}
