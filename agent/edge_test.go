package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenttest"
	"github.com/devskyy/devskyy/breaker"
	"github.com/google/go-cmp/cmp"
)

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestRunJSON(t *testing.T) {
	reg, _ := newReg(t, agent.Settings{})
	register(t, reg, agent.Func(agent.Info{Name: "greet"}, func(_ context.Context, i in) (out, error) {
		return out{"hello " + i.Name}, nil
	}), agent.Policy{})
	register(t, reg, agent.Func(agent.Info{Name: "bad-output"}, func(context.Context, in) (func(), error) {
		return func() {}, nil
	}), agent.Policy{})
	tests := []struct {
		name, agent, body string
		wantOut           string
		wantPublic        string
	}{
		{"ok", "greet", `{"name":"ann","n":1}`, `{"greeting":"hello ann"}`, ""},
		{"empty", "greet", `  `, "", "the request body is empty"},
		{"syntax", "greet", `{"name":`, "", "the request body is not valid JSON"},
		{"syntax2", "greet", `{"name" 1}`, "", "the request body is not valid JSON"},
		{"unknown field", "greet", `{"name":"a","secret":"x"}`, "", "the request body has an unknown field"},
		{"wrong type", "greet", `{"name":1}`, "", "field name has the wrong type"},
		{"wrong top type", "greet", `[1]`, "", "the request body has the wrong type"},
		{"trailing", "greet", `{"name":"a"} {}`, "", "the request body has data after the JSON value"},
		{"invalid", "greet", `{"n":1}`, "", "invalid input: name: required"},
		{"not found", "nope", `{}`, "", "no such agent"},
		{"bad output", "bad-output", `{"name":"a"}`, "", "the agent failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := reg.RunJSON(t.Context(), tt.agent, []byte(tt.body))
			var ae *agent.Error
			public := ""
			if errors.As(res.Err, &ae) {
				public = ae.PublicMessage()
			}
			if string(res.Output) != tt.wantOut || public != tt.wantPublic {
				t.Errorf("got %s %q, want %s %q", res.Output, public, tt.wantOut, tt.wantPublic)
			}
		})
	}
}

type checked struct {
	Size string `json:"size" validate:"oneof=s m l"`
}

func (c checked) Validate() error {
	if c.Size == "m" {
		return agent.Public(agent.KindInvalidInput, "size m is sold out", nil)
	}
	if c.Size == "l" {
		return errors.New("private reason")
	}
	return nil
}

type ptrChecked struct{ V int }

func (p *ptrChecked) Validate() error {
	if p.V < 0 {
		return errors.New("negative")
	}
	return nil
}

func TestValidateMethod(t *testing.T) {
	reg, _ := newReg(t, agent.Settings{})
	h := register(t, reg, agent.Func(agent.Info{Name: "v"}, func(context.Context, checked) (int, error) { return 1, nil }), agent.Policy{})
	tests := []struct{ size, want string }{
		{"s", ""}, {"m", "size m is sold out"}, {"l", "the input is invalid"}, {"x", "invalid input: size: oneof"},
	}
	for _, tt := range tests {
		_, err := h.Call(t.Context(), checked{tt.size})
		got := ""
		var ae *agent.Error
		if errors.As(err, &ae) {
			got = ae.PublicMessage()
		}
		if got != tt.want {
			t.Errorf("%s: got %q want %q", tt.size, got, tt.want)
		}
	}
	hp := register(t, reg, agent.Func(agent.Info{Name: "p"}, func(context.Context, ptrChecked) (int, error) { return 1, nil }), agent.Policy{})
	if _, err := hp.Call(t.Context(), ptrChecked{-1}); !errors.Is(err, agent.KindInvalidInput) {
		t.Errorf("ptr: %v", err)
	}
	if _, err := hp.Call(t.Context(), ptrChecked{1}); err != nil {
		t.Errorf("ptr: %v", err)
	}
	hpp := register(t, reg, agent.Func(agent.Info{Name: "pp"}, func(context.Context, *in) (int, error) { return 1, nil }), agent.Policy{})
	if _, err := hpp.Call(t.Context(), &in{}); !errors.Is(err, agent.KindInvalidInput) {
		t.Errorf("ptr struct: %v", err)
	}
	if _, err := hpp.Call(t.Context(), nil); err != nil {
		t.Errorf("nil ptr: %v", err)
	}
}

type node struct {
	Name     string    `json:"name" validate:"required"`
	Children []*node   `json:"children,omitempty"`
	Skip     string    `json:"-"`
	hidden   int       //nolint:unused
	When     time.Time `json:"when"`
	D        time.Duration
	Raw      json.RawMessage `json:"raw"`
	Tags     map[string]float64
	Data     []byte
	Arr      [2]bool
	Any      any
	U        uint8
	Level    slog.Level
	Embedded
}

type Embedded struct {
	Color string `json:"color" validate:"required,oneof=red blue"`
}

func TestSchemaOf(t *testing.T) {
	got := agent.SchemaOf(reflect.TypeFor[*node]())
	b, _ := json.Marshal(got)
	want := `{"type":"object","properties":{"Any":{},"Arr":{"type":"array","items":{"type":"boolean"}},"D":{"type":"integer","format":"duration-ns"},"Data":{"type":"string","format":"byte"},"Level":{},"Tags":{"type":"object","additionalProperties":{"type":"number"}},"U":{"type":"integer"},"children":{"type":"array","items":{"type":"object"}},"color":{"type":"string","enum":["red","blue"]},"name":{"type":"string"},"raw":{},"when":{"type":"string","format":"date-time"}},"required":["name","color"]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if s := agent.SchemaOf(nil); s.Type != "" {
		t.Errorf("nil = %+v", s)
	}
	var hidden node
	_ = hidden.hidden
}

func TestLogHooks(t *testing.T) {
	if h := agent.LogHooks(nil); h.OnStart != nil {
		t.Error("nil logger gave hooks")
	}
	var buf strings.Builder
	reg, _ := newReg(t, agent.Settings{Hooks: agent.LogHooks(slogTo(&buf)),
		Default: agent.Policy{Breaker: &breaker.Settings{ConsecutiveFailures: 1}}})
	h := register(t, reg, agenttest.New[in, out](agent.Info{Name: "logged"}, agenttest.Step[out]{Err: errBoom}), agent.Policy{MaxAttempts: 2,
		Backoff: agent.Backoff{Initial: time.Microsecond, Max: time.Microsecond}})
	h.Run(t.Context(), in{Name: "a"})
	h.Run(t.Context(), in{Name: "a"})
	for _, want := range []string{"agent start", "agent attempt", "agent complete", "agent breaker", "agent rejected", "outcome=rejected", "to=open"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}
