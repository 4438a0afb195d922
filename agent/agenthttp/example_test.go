package agenthttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenthttp"
)

// Mount the agent routes on a mux, one pattern per route, so that a
// guarding mux (rbac) can give each its own role.
func ExampleHandler_Routes() {
	reg, _ := agent.New(agent.Settings{})
	_, _ = agent.Register(reg, agent.Func(agent.Info{Name: "echo"},
		func(_ context.Context, s string) (string, error) { return s + "!", nil }), agent.Options{})
	h, _ := agenthttp.New(reg, agenthttp.Settings{})

	mux := http.NewServeMux()
	for _, rt := range h.Routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, rt.Handler) // e.g. secure.Handle(pattern, role, handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/agents/echo/run", "application/json", strings.NewReader(`"hi"`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"output":"hi!"`))
	// Output:
	// 200 true
}
