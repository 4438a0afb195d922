package config

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type documented struct {
	Addr     string        `env:"ADDR" default:"a b#c" desc:"listen\n  address"`
	Quote    string        `default:"it's \"q\" $x"`
	Tick     string        "default:\"`tick`\""
	Wait     time.Duration `default:"3s"`
	Key      Secret        `env:"KEY,signing"`
	API      Secret
	Required int `env:",required"`
	Env      Environment
}

func TestEnvExampleRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEnvExample(&buf, &documented{}, Options{Prefix: "P_"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	entries, err := parseDotEnv(out, nil, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, e := range entries {
		got[e.key] = e.value
	}
	want := map[string]string{
		"P_ENV": "development", "P_ADDR": "a b#c", "P_QUOTE": `it's "q" $x`, "P_TICK": "`tick`", "P_WAIT": "3s",
		"P_KEY": "", "P_API": "", "P_REQUIRED": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, s := range []string{"# listen address\n", "# secret, signing key, at least 32 bytes\n", "# int, required\n", "# secret\nP_API=\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestUsageTable(t *testing.T) {
	var buf bytes.Buffer
	if err := Usage(&buf, documented{}, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var got [][]string
	for _, l := range lines {
		got = append(got, strings.Fields(l)[:2])
	}
	want := [][]string{{"KEY", "TYPE"}, {"ENV", "environment"}, {"ADDR", "string"}, {"QUOTE", "string"}, {"TICK", "string"}, {"WAIT", "duration"}, {"KEY", "secret"}, {"API", "secret"}, {"REQUIRED", "int"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, s := range []string{"signing key", "in staging, production", "listen address"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("usage lacks %q", s)
		}
	}
}

func TestQuoteEnv(t *testing.T) {
	for _, v := range []string{"", "plain", "a b", "it's", "multi\nline", "cr\rlf", "tab\tx", `back\slash`, "$HOME", "`x`", `"dq"`, "'sq' and \"dq\"", "#hash"} {
		entries, err := parseDotEnv("K="+quoteEnv(v)+"\n", nil, nil)
		if err != nil {
			t.Errorf("%q: %v (quoted %s)", v, err, quoteEnv(v))
			continue
		}
		if len(entries) != 1 || entries[0].value != v {
			t.Errorf("%q round-trips to %+v", v, entries)
		}
	}
}
