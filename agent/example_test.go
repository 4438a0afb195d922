package agent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
)

type ScanInput struct {
	Path string `json:"path" validate:"required"`
}

type ScanReport struct {
	Findings int `json:"findings"`
}

// A plain typed function becomes an agent; its schemas come from its types.
func ExampleFunc() {
	scanner := agent.Func(agent.Info{Name: "scanner", Kind: "code", Capabilities: []string{"scan"}},
		func(ctx context.Context, in ScanInput) (ScanReport, error) {
			return ScanReport{Findings: len(in.Path)}, nil
		})
	reg, _ := agent.New(agent.Settings{})
	h, _ := agent.Register(reg, scanner, agent.Options{})

	out, err := h.Call(context.Background(), ScanInput{Path: "./cmd"})
	fmt.Println(out.Findings, err)

	_, err = h.Call(context.Background(), ScanInput{})
	var ae *agent.Error
	errors.As(err, &ae)
	fmt.Println(ae.Kind.HTTPStatus(), ae.PublicMessage())
	fmt.Println(h.Info().Input.Required)
	// Output:
	// 5 <nil>
	// 400 invalid input: path: required
	// [path]
}

// A registry with per-kind timeouts and a per-agent breaker; a failing
// agent trips its breaker and every failure leaves one ledger entry.
func ExampleRegistry() {
	led := agenttest.NewLedger() // a *ledger.Ledger in production
	reg, _ := agent.New(agent.Settings{
		Ledger:  led,
		Default: agent.Policy{Timeout: 30 * time.Second, Breaker: &breaker.Settings{ConsecutiveFailures: 2}},
		Kinds:   map[string]agent.Policy{"ml": {Timeout: 120 * time.Second, MaxInFlight: 4}},
	})
	flaky := agent.Func(agent.Info{Name: "sizer", Kind: "ml"}, func(context.Context, ScanInput) (ScanReport, error) {
		return ScanReport{}, errors.New("model server refused")
	})
	h, _ := agent.Register(reg, flaky, agent.Options{})
	ctx := context.Background()
	if err := reg.Start(ctx); err != nil {
		fmt.Println(err)
	}
	defer reg.Close(ctx)

	for range 3 {
		res := h.Run(ctx, ScanInput{Path: "."})
		var ae *agent.Error
		errors.As(res.Err, &ae)
		fmt.Println(res.Outcome, ae.Kind.String(), ae.Kind.HTTPStatus())
	}
	d, _ := reg.Describe("sizer")
	fmt.Println(d.Status, d.Breaker, len(led.Entries()), "ledger entries")
	// Output:
	// failed internal 500
	// failed internal 500
	// rejected breaker open 503
	// degraded open 3 ledger entries
}
