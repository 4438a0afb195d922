package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const canary = "CANARY-7f3a9c-secret-value"

type nestedSecret struct {
	Name  string
	Key   Secret
	Keys  []Secret
	ByID  map[string]Secret
	Ptr   *Secret
	inner Secret
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret(canary)
	n := nestedSecret{Name: "n", Key: s, Keys: []Secret{s, s}, ByID: map[string]Secret{"a": s}, Ptr: &s, inner: s}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
		outputs["secret "+verb] = fmt.Sprintf(verb, s)
		outputs["nested "+verb] = fmt.Sprintf(verb, n)
		outputs["pointer "+verb] = fmt.Sprintf(verb, &n)
	}
	outputs["String"] = s.String()
	outputs["GoString"] = s.GoString()
	outputs["Sprint"] = fmt.Sprint(s, n)
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(b)
	txt, _ := s.MarshalText()
	outputs["text"] = string(txt)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("msg", "key", s, "nested", n, slog.Any("ptr", &n))
	}
	outputs["slog"] = buf.String()
	for name, out := range outputs {
		if strings.Contains(out, canary) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	for _, name := range []string{"secret %v", "secret %s", "String", "GoString", "text"} {
		if outputs[name] != Redacted {
			t.Errorf("%s = %q, want %q", name, outputs[name], Redacted)
		}
	}
	if got, want := outputs["secret %q"], `"[REDACTED]"`; got != want {
		t.Errorf("%%q = %s, want %s", got, want)
	}
	if !strings.Contains(outputs["json"], `"Key":"[REDACTED]"`) {
		t.Errorf("json = %s", outputs["json"])
	}
	if got := s.LogValue().String(); got != Redacted {
		t.Errorf("LogValue = %q", got)
	}
}

func TestSecretAccessors(t *testing.T) {
	var zero Secret
	if zero.IsSet() || zero.Reveal() != "" || zero.Bytes() != nil || zero.Len() != 0 {
		t.Error("zero Secret is not empty")
	}
	s := NewSecret("abc")
	b := s.Bytes()
	b[0] = 'x'
	if !s.IsSet() || s.Reveal() != "abc" || s.Len() != 3 {
		t.Errorf("Reveal = %q after mutating Bytes", s.Reveal())
	}
	empty := NewSecret("")
	if !empty.IsSet() {
		t.Error("NewSecret(\"\") is not set")
	}
}

func TestSecretStdoutUnused(t *testing.T) {
	// Printing to a real file goes through the same Formatter.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%v|%+v", NewSecret(canary), []Secret{NewSecret(canary)})
	f.Close()
	got, _ := os.ReadFile(f.Name())
	if want := "[REDACTED]|[[REDACTED]]"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
