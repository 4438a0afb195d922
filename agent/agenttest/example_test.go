package agenttest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
)

// A scripted agent fails once, then answers; the runner retries it and the
// recording ledger shows that the execution as a whole succeeded.
func ExampleNew() {
	fake := agenttest.New[string, int](agent.Info{Name: "counter"},
		agenttest.Step[int]{Err: errors.New("flaky")},
		agenttest.Step[int]{Output: 42},
	)
	led := agenttest.NewLedger()
	reg, _ := agent.New(agent.Settings{Ledger: led})
	h, _ := agent.Register(reg, fake, agent.Options{Policy: agent.Policy{MaxAttempts: 2}})

	res := h.Run(context.Background(), "go")
	fmt.Println(res.Output, res.Attempts, fake.Calls(), len(led.Entries()))
	// Output:
	// 42 2 2 0
}
