package agenthttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenthttp"
)

// FuzzNoSecretInResponse checks that the text of an internal error, in
// whatever shape the agent returns it, never reaches the response body.
func FuzzNoSecretInResponse(f *testing.F) {
	for _, s := range []string{"hunter2", "password=abc", `"quoted"`, "<script>", "\x00\xff", "the agent failed", "a"} {
		f.Add(s, uint8(0), `{"height":1}`)
	}
	f.Add("x", uint8(3), `{"height":`)
	f.Fuzz(func(t *testing.T, text string, shape uint8, body string) {
		secret := "S3CR3T<" + text + ">"
		reg, _ := agent.New(agent.Settings{})
		_, err := agent.Register(reg, agent.Agent[sizeIn, sizeOut](agent.Func(agent.Info{Name: "leaky"}, func(context.Context, sizeIn) (sizeOut, error) {
			switch shape % 6 {
			case 0:
				return sizeOut{}, errors.New(secret)
			case 1:
				return sizeOut{}, fmt.Errorf("wrapped: %w", context.DeadlineExceeded) // no secret, but a timeout
			case 2:
				panic(secret)
			case 3:
				return sizeOut{}, agent.Permanent(errors.New(secret))
			case 4:
				return sizeOut{}, &agent.Error{Kind: agent.Kind(shape), Err: errors.New(secret)}
			default:
				return sizeOut{}, fmt.Errorf("%s: %w", secret, agent.Public(agent.KindUnavailable, "", errors.New(secret)))
			}
		})), agent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := agenthttp.New(reg, agenthttp.Settings{})
		for _, b := range []string{`{"height":1}`, body} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/agents/leaky/run", strings.NewReader(b)))
			esc, _ := json.Marshal(secret)
			got := rec.Body.String()
			if strings.Contains(got, secret) || strings.Contains(got, strings.Trim(string(esc), `"`)) || strings.Contains(got, "S3CR3T") {
				t.Fatalf("response leaks the secret: %s", got)
			}
			if rec.Code < 400 && b == `{"height":1}` {
				t.Fatalf("status %d for a failing agent", rec.Code)
			}
		}
	})
}
