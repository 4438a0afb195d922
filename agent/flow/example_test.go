package flow_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/flow"
)

// A graph of three agents: a scanner and a theme builder run in parallel,
// a reporter waits for both. Each node goes through its agent's runner.
func ExampleGraph() {
	reg, _ := agent.New(agent.Settings{})
	scanner, _ := agent.Register(reg, agent.Func(agent.Info{Name: "scanner"},
		func(_ context.Context, path string) (int, error) { return strings.Count(path, "/"), nil }), agent.Options{})
	themer, _ := agent.Register(reg, agent.Func(agent.Info{Name: "themer"},
		func(_ context.Context, brand string) (string, error) { return strings.ToUpper(brand), nil }), agent.Options{})
	reporter, _ := agent.Register(reg, agent.Func(agent.Info{Name: "reporter"},
		func(_ context.Context, in map[string]any) (string, error) {
			return fmt.Sprintf("%v issues, theme %v", in["issues"], in["theme"]), nil
		}), agent.Options{})

	g := flow.NewGraph(flow.Options{Limit: 2})
	scan := flow.Add(g, "scan", scanner, func(context.Context, flow.Values) (string, error) { return "a/b/c", nil })
	theme := flow.Add(g, "theme", themer, func(context.Context, flow.Values) (string, error) { return "skyy", nil })
	report := flow.Add(g, "report", reporter, func(_ context.Context, v flow.Values) (map[string]any, error) {
		n, _ := flow.Get(v, scan)
		t, _ := flow.Get(v, theme)
		return map[string]any{"issues": n, "theme": t}, nil
	}, scan, theme)

	plan, err := g.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	vals, err := plan.Run(context.Background())
	out, _ := flow.Get(vals, report)
	fmt.Println(out, err)
	// Output:
	// 2 issues, theme SKYY <nil>
}
