package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/devskyy/devskyy/agent"
)

// FuzzRunJSON feeds arbitrary bodies to the JSON edge: it never panics,
// answers either success or a client error, and a client error's public
// message never echoes the body.
func FuzzRunJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","n":1}`, `{}`, ``, `{"name":`, `{"name":"a"} x`, `{"zzz":1}`, `[]`, `null`, `{"n":"x"}`, `{"name":"a","n":99}`} {
		f.Add(s)
	}
	reg, err := agent.New(agent.Settings{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := agent.Register(reg, agent.Func(agent.Info{Name: "greet"}, func(_ context.Context, i in) (out, error) { return out{i.Name}, nil }), agent.Options{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res := reg.RunJSON(t.Context(), "greet", []byte(body))
		if res.Err == nil {
			if res.Outcome != agent.OutcomeSuccess || len(res.Output) == 0 {
				t.Fatalf("res = %+v", res)
			}
			return
		}
		var ae *agent.Error
		if !errors.As(res.Err, &ae) || ae.Kind != agent.KindInvalidInput {
			t.Fatalf("err = %v", res.Err)
		}
		if len(body) > 8 && strings.Contains(ae.PublicMessage(), body) {
			t.Fatalf("public message echoes the body: %q", ae.PublicMessage())
		}
	})
}
