package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/go-cmp/cmp"
)

// problemsOf returns "KEY: reason" for every problem of err.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *Error", err)
	}
	var out []string
	for _, p := range ce.Problems {
		if p.subject() == "" {
			out = append(out, p.Reason)
			continue
		}
		out = append(out, p.subject()+": "+p.Reason)
	}
	return out
}

type simple struct {
	Name  string `default:"def"`
	Port  int    `env:"PORT" default:"8080"`
	Token Secret `env:"TOKEN"`
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "name", "from-file\n")
	dot := writeFile(t, ".env", "APP_NAME=from-dotenv\n")
	dot2 := writeFile(t, ".env2", "APP_NAME=from-dotenv2\n")
	tests := []struct {
		name      string
		env       map[string]string
		overrides map[string]string
		files     []string
		want      string
		src       Source
	}{
		{"default", nil, nil, nil, "def", SourceDefault},
		{"dotenv beats default", nil, nil, []string{dot}, "from-dotenv", SourceEnvFile},
		{"later dotenv beats earlier", nil, nil, []string{dot, dot2}, "from-dotenv2", SourceEnvFile},
		{"file beats default", map[string]string{"APP_NAME_FILE": file}, nil, nil, "from-file", SourceFile},
		{"env beats dotenv", map[string]string{"APP_NAME": "from-env"}, nil, []string{dot}, "from-env", SourceEnv},
		{"override beats env", map[string]string{"APP_NAME": "from-env"}, map[string]string{"APP_NAME": "over"}, []string{dot}, "over", SourceOverride},
		{"empty override ignored", map[string]string{"APP_NAME": "from-env"}, map[string]string{"APP_NAME": ""}, nil, "from-env", SourceEnv},
		{"empty env falls to dotenv", map[string]string{"APP_NAME": ""}, nil, []string{dot}, "from-dotenv", SourceEnvFile},
		{"override beats conflict", map[string]string{"APP_NAME": "x", "APP_NAME_FILE": file}, map[string]string{"APP_NAME": "over"}, nil, "over", SourceOverride},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"APP_ENV": "test"}
			for k, v := range tt.env {
				env[k] = v
			}
			var s simple
			res, err := Load(&s, Options{Prefix: "APP_", Env: env, Overrides: tt.overrides, EnvFiles: tt.files})
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.want {
				t.Errorf("Name = %q, want %q", s.Name, tt.want)
			}
			o, ok := res.Origin("APP_NAME")
			if diff := cmp.Diff(Origin{Key: "APP_NAME", Field: "Name", Source: tt.src, Value: tt.want}, o); !ok || diff != "" {
				t.Errorf("origin (-want +got):\n%s", diff)
			}
		})
	}
}

type allTypes struct {
	S      string
	B      bool
	I      int
	I8     int8
	U16    uint16
	F      float64
	D      time.Duration
	U      url.URL
	UP     *url.URL
	Addr   netip.Addr
	Level  slog.Level
	Raw    []byte
	List   []int
	Durs   []time.Duration `sep:";"`
	M      map[string]time.Duration
	PI     *int
	PB     *bool
	When   time.Time
	Nested struct {
		Inner string
	}
	Embedded
	Skipped string `env:"-"`
	//lint:ignore U1000 present to show that unexported fields are skipped
	hidden string
}

type Embedded struct {
	Emb string
}

func TestDecodeTypes(t *testing.T) {
	env := map[string]string{
		"X_ENV": "test", "X_S": " spaced ", "X_B": "true", "X_I": "-42", "X_I8": "127", "X_U16": "65535",
		"X_F": "1.5", "X_D": "1m30s", "X_U": "https://example.com/a?b=c", "X_UP": "http://h:1",
		"X_ADDR": "10.0.0.1", "X_LEVEL": "warn", "X_RAW": "bytes", "X_LIST": "1, 2,3", "X_DURS": "1s;2s",
		"X_M": "a=1s, b = 2m", "X_PI": "0", "X_PB": "false", "X_WHEN": "2025-01-02T03:04:05Z",
		"X_NESTED_INNER": "in", "X_EMB": "emb",
	}
	var got allTypes
	if _, err := Load(&got, Options{Prefix: "X_", Env: env}); err != nil {
		t.Fatal(err)
	}
	zero, f := 0, false
	want := allTypes{
		S: " spaced ", B: true, I: -42, I8: 127, U16: 65535, F: 1.5, D: 90 * time.Second,
		U: url.URL{Scheme: "https", Host: "example.com", Path: "/a", RawQuery: "b=c"}, UP: &url.URL{Scheme: "http", Host: "h:1"},
		Addr: netip.MustParseAddr("10.0.0.1"), Level: slog.LevelWarn, Raw: []byte("bytes"), List: []int{1, 2, 3},
		Durs: []time.Duration{time.Second, 2 * time.Second}, M: map[string]time.Duration{"a": time.Second, "b": 2 * time.Minute},
		PI: &zero, PB: &f, When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	want.Nested.Inner = "in"
	want.Emb = "emb"
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(allTypes{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var unset allTypes
	if _, err := Load(&unset, Options{Prefix: "X_", Env: map[string]string{"X_ENV": "test"}}); err != nil {
		t.Fatal(err)
	}
	if unset.PI != nil || unset.PB != nil || unset.UP != nil {
		t.Error("unset pointers are not nil")
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		key, value, reason string
	}{
		{"X_B", "yes please", "not a valid boolean (true or false)"},
		{"X_I", "4x2", "not a valid integer"},
		{"X_I8", "300", "out of range for int8"},
		{"X_U16", "-1", "not a valid unsigned integer"},
		{"X_U16", "70000", "out of range for uint16"},
		{"X_F", "one", "not a valid number"},
		{"X_D", "10", "not a valid duration (such as 1m30s)"},
		{"X_U", "no-scheme", "not a valid absolute URL"},
		{"X_U", "http://[::1", "not a valid absolute URL"},
		{"X_UP", "::", "not a valid absolute URL"},
		{"X_ADDR", "10.0.0.300", "not a valid netip.Addr"},
		{"X_LIST", "1,,2", "item 2 is empty"},
		{"X_LIST", "1,b", "item 2: not a valid integer"},
		{"X_M", "a", "item 1: not of the form key=value"},
		{"X_M", "a=1s,a=2s", "item 2: key repeated"},
		{"X_M", "a=forever", "item 1: not a valid duration (such as 1m30s)"},
		{"X_PI", "zero", "not a valid integer"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var s allTypes
			_, err := Load(&s, Options{Prefix: "X_", Env: map[string]string{"X_ENV": "test", tt.key: tt.value}})
			if diff := cmp.Diff([]string{tt.key + ": " + tt.reason}, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("not ErrInvalid")
			}
			if strings.Contains(err.Error(), tt.value) && len(tt.value) > 2 {
				t.Errorf("error %q contains the input", err)
			}
		})
	}
}

type mapKeyInts struct {
	M map[int]string
	F map[string]float32
}

func TestDecodeMapKeys(t *testing.T) {
	var s mapKeyInts
	_, err := Load(&s, Options{Env: map[string]string{"ENV": "test", "M": "1=a,x=b", "F": "a=1e99"}})
	want := []string{"F: item 1: out of range for float32", "M: item 2: key not a valid integer"}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDefinitionErrors(t *testing.T) {
	tests := []struct {
		name string
		dst  any
		want []string
	}{
		{"secret default", &struct {
			K Secret `default:"x"`
		}{}, []string{"K: a secret cannot have a default"}},
		{"secret slice default", &struct {
			K []Secret `default:"x"`
		}{}, []string{"K: a secret cannot have a default"}},
		{"required default", &struct {
			K string `env:",required" default:"x"`
		}{}, []string{"K: required and default are exclusive"}},
		{"bad default", &struct {
			K time.Duration `default:"soon"`
		}{}, []string{"K: default: not a valid duration (such as 1m30s)"}},
		{"unsupported", &struct {
			C chan int
			P **int
			M map[string][]int
			F map[string]Flags
		}{}, []string{"C: unsupported type chan int", "F: unsupported type map[string]config.Flags", "M: unsupported type map[string][]int", "P: unsupported type **int"}},
		{"duplicate", &struct {
			A string `env:"K"`
			B string `env:"K"`
		}{}, []string{"K: key also used by field A"}},
		{"unknown option", &struct {
			A string `env:"A,requird"`
		}{}, []string{"A: unknown env tag option"}},
		{"signing not secret", &struct {
			A string `env:"A,signing"`
		}{}, []string{"A: the signing option needs a Secret field"}},
		{"flags without tag", &struct {
			A Flags
		}{}, []string{"A: a Flags field needs a flags tag listing its flags, and only a Flags field may have one"}},
		{"flags tag elsewhere", &struct {
			A string `flags:"a"`
		}{}, []string{"A: a Flags field needs a flags tag listing its flags, and only a Flags field may have one"}},
		{"bad flags default", &struct {
			A Flags `flags:"a" default:"b"`
		}{}, []string{"A: default: flag 1 is not a known flag (known: a)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.dst, Options{Env: map[string]string{}})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrDefinition) {
				t.Error("not ErrDefinition")
			}
			if err := Usage(&bytes.Buffer{}, tt.dst, Options{}); !errors.Is(err, ErrDefinition) {
				t.Errorf("Usage error = %v", err)
			}
			if err := WriteEnvExample(&bytes.Buffer{}, tt.dst, Options{}); !errors.Is(err, ErrDefinition) {
				t.Errorf("WriteEnvExample error = %v", err)
			}
		})
	}
}

type deep struct {
	A struct {
		B struct {
			C struct {
				D struct {
					E struct {
						F struct {
							G struct {
								H struct {
									I struct {
										J struct {
											K struct {
												L struct {
													M struct {
														N struct {
															O struct {
																P struct {
																	Q struct{ R struct{ S string } }
																}
															}
														}
													}
												}
											}
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestBadCalls(t *testing.T) {
	var s simple
	var nilPtr *simple
	tests := []struct {
		name string
		dst  any
		opts Options
	}{
		{"nil", nil, Options{}},
		{"not pointer", s, Options{}},
		{"nil pointer", nilPtr, Options{}},
		{"pointer to int", new(int), Options{}},
		{"bad prefix", &s, Options{Prefix: "APP-"}},
		{"bad policy", &s, Options{UnknownKeys: 7}},
		{"negative size", &s, Options{MaxFileSize: -1}},
		{"too deep", &deep{}, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(tt.dst, tt.opts); !errors.Is(err, ErrDefinition) {
				t.Errorf("err = %v, want ErrDefinition", err)
			}
		})
	}
	if err := Usage(&bytes.Buffer{}, 3, Options{}); !errors.Is(err, ErrDefinition) {
		t.Errorf("Usage(int) = %v", err)
	}
	if err := WriteEnvExample(&bytes.Buffer{}, s, Options{Prefix: "-"}); !errors.Is(err, ErrDefinition) {
		t.Errorf("WriteEnvExample(bad prefix) = %v", err)
	}
}

type secrets struct {
	Required string `env:"REQ,required"`
	Opt      string
	Key      Secret `env:"KEY,signing"`
	API      Secret `env:"API"`
	List     []Secret
	Env      Environment
}

func TestEnvironments(t *testing.T) {
	strong := "k9V2m7Qx4Rt8Yp1Zs6Wn3Lb5Hc0Jd2Fg"
	tests := []struct {
		name    string
		env     map[string]string
		want    []string
		environ Environment
	}{
		{"production by default", map[string]string{"REQ": "r"}, []string{"API: secret not set (required in production)", "KEY: secret not set (required in production)", "LIST: secret not set (required in production)"}, Production},
		{"unknown means production", map[string]string{"ENV": "qa", "REQ": "r", "KEY": strong, "API": "a", "LIST": "a,b"}, nil, Production},
		{"staging strict", map[string]string{"ENV": "staging", "REQ": "r"}, []string{"API: secret not set (required in staging)", "KEY: secret not set (required in staging)", "LIST: secret not set (required in staging)"}, Staging},
		{"test leaves unset", map[string]string{"ENV": "test", "REQ": "r"}, nil, Test},
		{"development generates", map[string]string{"ENV": " Dev ", "REQ": "r"}, nil, Development},
		{"required everywhere", map[string]string{"ENV": "development"}, []string{"REQ: required but not set"}, Development},
		{"empty is missing", map[string]string{"ENV": "development", "REQ": ""}, []string{"REQ: required but not set"}, Development},
		{"short key", map[string]string{"ENV": "prod", "REQ": "r", "KEY": "short-but-random-9x", "API": "a", "LIST": "a"}, []string{"KEY: signing key shorter than 32 bytes"}, Production},
		{"placeholder", map[string]string{"REQ": "r", "KEY": "dev-secret-key-change-in-production", "API": "a", "LIST": "a"}, []string{"KEY: signing key is a well-known placeholder"}, Production},
		{"placeholder case", map[string]string{"REQ": "r", "KEY": " CHANGEME ", "API": "a", "LIST": "a"}, []string{"KEY: signing key is a well-known placeholder"}, Production},
		{"placeholder substring", map[string]string{"REQ": "r", "KEY": "please-changeme-before-going-live-ok", "API": "a", "LIST": "a"}, []string{"KEY: signing key is a well-known placeholder"}, Production},
		{"docs example", map[string]string{"REQ": "r", "KEY": ExampleSigningKey, "API": "a", "LIST": "a"}, []string{"KEY: signing key is a well-known placeholder"}, Production},
		{"repeated char", map[string]string{"ENV": "staging", "REQ": "r", "KEY": strings.Repeat("a", 40), "API": "a", "LIST": "a"}, []string{"KEY: signing key repeats one character"}, Staging},
		{"weak key fine in dev", map[string]string{"ENV": "development", "REQ": "r", "KEY": "changeme"}, nil, Development},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			lg := slog.New(slog.NewJSONHandler(&buf, nil))
			var s secrets
			res, err := Load(&s, Options{Env: tt.env, Logger: lg})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if res.Environment != tt.environ {
				t.Errorf("environment = %v, want %v", res.Environment, tt.environ)
			}
			if err != nil {
				return
			}
			if s.Env != tt.environ {
				t.Errorf("field Env = %v", s.Env)
			}
			if tt.environ != Development || tt.env["KEY"] != "" {
				return
			}
			// Development: ephemeral secrets and exactly one warning per key.
			if s.Key.Len() != 43 || s.API.Len() != 43 || s.Key.Reveal() == s.API.Reveal() {
				t.Errorf("ephemeral secrets: %d %d bytes", s.Key.Len(), s.API.Len())
			}
			var warns []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				if rec["level"] == "WARN" {
					warns = append(warns, fmt.Sprint(rec["key"]))
					if !strings.Contains(fmt.Sprint(rec["msg"]), "restart") {
						t.Errorf("warning does not mention restarts: %v", rec["msg"])
					}
				}
			}
			if diff := cmp.Diff([]string{"KEY", "API"}, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			for _, o := range res.Origins {
				if (o.Key == "KEY" || o.Key == "API") && (o.Source != SourceGenerated || o.Value != Redacted) {
					t.Errorf("origin %+v", o)
				}
			}
			if strings.Contains(buf.String(), s.Key.Reveal()) {
				t.Error("log contains the generated secret")
			}
		})
	}
}

func TestParseEnvironment(t *testing.T) {
	for _, e := range []Environment{Production, Staging, Test, Development} {
		got, ok := ParseEnvironment(strings.ToUpper(e.String()))
		if !ok || got != e {
			t.Errorf("ParseEnvironment(%v) = %v, %v", e, got, ok)
		}
	}
	if got, ok := ParseEnvironment("qa"); ok || got != Production {
		t.Errorf("ParseEnvironment(qa) = %v, %v", got, ok)
	}
	if got := Environment(9).String(); got != "environment(9)" {
		t.Errorf("String = %q", got)
	}
	var buf bytes.Buffer
	var s struct{}
	_, err := Load(&s, Options{Env: map[string]string{"ENV": "qa"}, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil || !strings.Contains(buf.String(), "unknown environment") || strings.Contains(buf.String(), "qa") {
		t.Errorf("err %v, log %q", err, buf.String())
	}
}

type presence struct {
	Count   *int  `env:"COUNT,required"`
	Enabled *bool `env:"ENABLED,required"`
	Zero    int   `env:"ZERO,required"`
}

func TestPresence(t *testing.T) {
	var p presence
	if _, err := Load(&p, Options{Env: map[string]string{"ENV": "test", "COUNT": "0", "ENABLED": "false", "ZERO": "0"}}); err != nil {
		t.Fatal(err)
	}
	if p.Count == nil || *p.Count != 0 || p.Enabled == nil || *p.Enabled {
		t.Errorf("got %+v", p)
	}
	_, err := Load(&p, Options{Env: map[string]string{"ENV": "test", "COUNT": "", "ENABLED": "  "}})
	want := []string{"COUNT: required but not set", "ENABLED: not a valid boolean (true or false)", "ZERO: required but not set"}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadLeavesDstOnError(t *testing.T) {
	s := simple{Name: "keep"}
	if _, err := Load(&s, Options{Prefix: "APP_", Env: map[string]string{"APP_ENV": "test", "APP_PORT": "x"}}); err == nil {
		t.Fatal("no error")
	}
	if s.Name != "keep" || s.Port != 0 {
		t.Errorf("dst changed: %+v", s)
	}
}

func TestUnknownKeys(t *testing.T) {
	env := map[string]string{"APP_ENV": "test", "APP_PROT": "1", "APP_TOKEN_FILE": "", "APP_NAME_FILE": "", "OTHER": "x", "APP_COMPLETELY_ELSE": "1"}
	dot := writeFile(t, ".env", "APP_FROM_FILE=1\n")
	tests := []struct {
		policy  UnknownKeys
		want    []string
		unknown []string
		warns   int
	}{
		{UnknownKeysError, []string{
			"APP_COMPLETELY_ELSE: unknown key",
			"APP_FROM_FILE: unknown key",
			"APP_PROT: unknown key (did you mean APP_PORT?)",
		}, nil, 0},
		{UnknownKeysWarn, nil, []string{"APP_COMPLETELY_ELSE", "APP_FROM_FILE", "APP_PROT"}, 3},
		{UnknownKeysIgnore, nil, []string{"APP_COMPLETELY_ELSE", "APP_FROM_FILE", "APP_PROT"}, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.policy), func(t *testing.T) {
			var buf bytes.Buffer
			var s simple
			res, err := Load(&s, Options{Prefix: "APP_", Env: env, EnvFiles: []string{dot}, UnknownKeys: tt.policy, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.want != nil && !errors.Is(err, ErrUnknownKey) {
				t.Error("not ErrUnknownKey")
			}
			if diff := cmp.Diff(tt.unknown, res.UnknownKeys); diff != "" {
				t.Errorf("UnknownKeys (-want +got):\n%s", diff)
			}
			if got := strings.Count(buf.String(), "unknown key"); got != tt.warns {
				t.Errorf("%d warnings, want %d", got, tt.warns)
			}
		})
	}
	// Overrides must match a field even without a prefix.
	var s simple
	_, err := Load(&s, Options{Env: map[string]string{"ENV": "test"}, Overrides: map[string]string{"PROT": "1", "ENV": "test", "TOKEN_FILE": "/x"}})
	want := []string{"PROT: override matches no field (did you mean PORT?)", "TOKEN_FILE: overrides take values, not files: set TOKEN"}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type validated struct {
	Port  int    `env:"PORT" default:"80" validate:"min=1024"`
	Host  string `env:"HOST" validate:"required,hostname"`
	Key   Secret `env:"KEY" validate:"min=8"`
	Inner struct {
		Low  int `validate:"ltfield=High"`
		High int
	}
	Env Environment
}

func (v validated) Validate() error {
	if v.Port == 2000 {
		return &FieldError{Key: "PORT", Field: "Port", Reason: "port 2000 is reserved", Err: ErrValidation}
	}
	if v.Port == 3000 {
		return &Error{Problems: []*FieldError{{Key: "PORT", Field: "Port", Reason: "port 3000 is reserved", Err: ErrValidation}}}
	}
	if v.Port == 4000 {
		return fmt.Errorf("key %s does not go with port 4000", v.Key.Reveal())
	}
	return nil
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"ok", map[string]string{"PORT": "2048", "HOST": "example.com", "KEY": "12345678"}, nil},
		{"tags", map[string]string{"PORT": "80", "KEY": "short", "INNER_LOW": "3", "INNER_HIGH": "2"}, []string{
			"HOST: fails rule required", "INNER_LOW: fails rule ltfield=High", "KEY: fails rule min=8", "PORT: fails rule min=1024",
		}},
		{"decode failure not repeated", map[string]string{"PORT": "x", "HOST": "h", "KEY": "12345678"}, []string{"PORT: not a valid integer"}},
		{"field error", map[string]string{"PORT": "2000", "HOST": "h", "KEY": "12345678"}, []string{"PORT: port 2000 is reserved"}},
		{"error", map[string]string{"PORT": "3000", "HOST": "h", "KEY": "12345678"}, []string{"PORT: port 3000 is reserved"}},
		{"plain error scrubbed", map[string]string{"PORT": "4000", "HOST": "h", "KEY": canary}, []string{"Validate: key [REDACTED] does not go with port 4000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ENV": "test", "INNER_LOW": "1", "INNER_HIGH": "2"}
			for k, v := range tt.env {
				env[k] = v
			}
			var s validated
			_, err := Load(&s, Options{Env: env})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil && !errors.Is(err, ErrValidation) && tt.name != "decode failure not repeated" {
				t.Error("not ErrValidation")
			}
		})
	}
}

type ruled struct {
	Min int
	Max int
}

func TestStructLevelRules(t *testing.T) {
	opts := Options{Env: map[string]string{"ENV": "test", "MIN": "5", "MAX": "1"}, Validation: func(v *validator.Validate) {
		v.RegisterStructValidation(func(sl validator.StructLevel) {
			r := sl.Current().Interface().(ruled)
			if r.Min > r.Max {
				sl.ReportError(r.Max, "Max", "Max", "gtefield", "Min")
			}
		}, ruled{})
	}}
	var r ruled
	_, err := Load(&r, opts)
	if diff := cmp.Diff([]string{"MAX: fails rule gtefield=Min"}, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Problems: []*FieldError{
		{Reason: "env file x: line 2: bad", Err: ErrSource},
		{Key: "A", Field: "A", Reason: "r1", Err: ErrInvalid},
		{Key: "A", Field: "A", Reason: "r1", Err: ErrInvalid},
		{Key: "A", Field: "A", Reason: "r2", Err: ErrValidation},
		{Field: "B", Reason: "r3", Err: ErrValidation},
	}}
	p := &problems{list: e.Problems}
	err := p.err()
	want := "config: 4 problems\n  env file x: line 2: bad\n  A: r1; r2\n  B: r3"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Err != ErrSource {
		t.Errorf("errors.As = %v", fe)
	}
	for _, s := range []error{ErrSource, ErrInvalid, ErrValidation} {
		if !errors.Is(err, s) {
			t.Errorf("not %v", s)
		}
	}
	if errors.Is(err, ErrMissing) {
		t.Error("is ErrMissing")
	}
	one := (&problems{list: []*FieldError{{Key: "K", Reason: "r", Err: ErrMissing}}}).err()
	if got := one.Error(); got != "config: 1 problem\n  K: r" {
		t.Errorf("got %q", got)
	}
	if got := (&FieldError{Key: "K", Reason: "r"}).Error(); got != "config: K: r" {
		t.Errorf("got %q", got)
	}
	if got := (&FieldError{Reason: "r"}).Error(); got != "config: r" {
		t.Errorf("got %q", got)
	}
	if (&problems{}).err() != nil {
		t.Error("empty problems is an error")
	}
}

func TestProvenanceLog(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var s simple
	res, err := Load(&s, Options{Prefix: "APP_", Env: map[string]string{"APP_ENV": "test", "APP_TOKEN": canary, "APP_PORT": "9"}, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	want := []Origin{
		{Key: "APP_NAME", Field: "Name", Source: SourceDefault, Value: "def"},
		{Key: "APP_PORT", Field: "Port", Source: SourceEnv, Value: "9"},
		{Key: "APP_TOKEN", Field: "Token", Source: SourceEnv, Value: Redacted},
	}
	if diff := cmp.Diff(want, res.Origins); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := res.Origin("APP_NOPE"); ok {
		t.Error("Origin of an unknown key")
	}
	var rec struct {
		Msg    string
		Config map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err, buf.String())
	}
	wantLog := map[string]any{
		"environment": "test",
		"APP_NAME":    map[string]any{"source": "default", "value": "def"},
		"APP_PORT":    map[string]any{"source": "env", "value": "9"},
		"APP_TOKEN":   map[string]any{"source": "env", "value": Redacted},
	}
	if diff := cmp.Diff(wantLog, rec.Config); diff != "" || rec.Msg != "config: loaded" {
		t.Errorf("%s (-want +got):\n%s", rec.Msg, diff)
	}
	names := map[Source]string{SourceUnset: "unset", SourceDefault: "default", SourceEnvFile: "env file", SourceFile: "file", SourceEnv: "env", SourceOverride: "override", SourceGenerated: "generated", 99: "source(99)"}
	for s, want := range names {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

func TestProcessEnvironment(t *testing.T) {
	t.Setenv("CFGTEST_NAME", "from-process")
	t.Setenv("CFGTEST_ENV", "test")
	var s simple
	if _, err := Load(&s, Options{Prefix: "CFGTEST_"}); err != nil {
		t.Fatal(err)
	}
	if s.Name != "from-process" {
		t.Errorf("Name = %q", s.Name)
	}
	if diff := cmp.Diff(map[string]string{"A": "1=2", "B": ""}, environMap([]string{"A=1=2", "B=", "=C", "D"})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"ListenAddr": "LISTEN_ADDR", "HTTPPort": "HTTP_PORT", "DB": "DB", "TokenTTL": "TOKEN_TTL", "V2Key": "V2_KEY", "a": "A"} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"PORT", "PORT", 0}, {"PROT", "PORT", 2}, {"PORTS", "PORT", 1}, {"X", "LONGER", 3}, {"", "", 0}}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, 3); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTypeNames(t *testing.T) {
	tests := map[reflect.Type]string{
		reflect.TypeFor[[]byte]():                   "bytes",
		reflect.TypeFor[*int]():                     "int",
		reflect.TypeFor[*url.URL]():                 "url",
		reflect.TypeFor[[]time.Duration]():          "list of duration",
		reflect.TypeFor[map[string]Secret]():        "map of string=secret",
		reflect.TypeFor[netip.Addr]():               "netip.Addr",
		reflect.TypeFor[Flags]():                    "flags",
		reflect.TypeFor[map[netip.Addr]float32]():   "map of netip.Addr=float32",
		reflect.TypeFor[[]map[string]string]():      "list of map[string]string",
		reflect.TypeFor[struct{ A int }]():          "struct { A int }",
		reflect.TypeFor[map[string]struct{}]():      "map of string=struct {}",
		reflect.TypeFor[[]*int]():                   "list of *int",
		reflect.TypeFor[map[string]time.Duration](): "map of string=duration",
	}
	for typ, want := range tests {
		if got, _ := typeName(typ); got != want {
			t.Errorf("typeName(%v) = %q, want %q", typ, got, want)
		}
	}
	v, reason := decodeScalar(reflect.TypeFor[chan int](), &field{}, "x")
	if reason != "unsupported type chan int" || v.IsValid() && !v.IsZero() {
		t.Errorf("decodeScalar(chan) = %v, %q", v, reason)
	}
}

type badRule struct {
	A string `validate:"no_such_rule"`
}

func TestValidatorPanicIsDefinitionError(t *testing.T) {
	var b badRule
	_, err := Load(&b, Options{Env: map[string]string{"ENV": "test"}})
	if !errors.Is(err, ErrDefinition) || !strings.Contains(err.Error(), "no_such_rule") {
		t.Errorf("err = %v", err)
	}
}

type taggedEnv struct {
	Target Environment `env:"TARGET" default:"staging"`
	Keys   map[string]Secret
}

func (t taggedEnv) Validate() error {
	if k := t.Keys["a"]; k.IsSet() {
		return errors.New("keys " + k.Reveal() + " and " + t.Keys["b"].Reveal())
	}
	return nil
}

func TestTaggedEnvironmentAndScrubbing(t *testing.T) {
	var s taggedEnv
	if _, err := Load(&s, Options{Env: map[string]string{"ENV": "test", "TARGET": "Dev"}}); err != nil || s.Target != Development {
		t.Fatalf("Target = %v, err %v", s.Target, err)
	}
	_, err := Load(&s, Options{Env: map[string]string{"ENV": "test", "TARGET": "qa-cluster"}})
	if diff := cmp.Diff([]string{"TARGET: not a valid config.Environment"}, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = Load(&s, Options{Env: map[string]string{"ENV": "test", "KEYS": "a=first-secret,b=second-secret"}})
	if diff := cmp.Diff([]string{"Validate: keys [REDACTED] and [REDACTED]"}, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(struct {
		E Environment
		S Source
	}{Staging, SourceFile})
	if string(b) != `{"E":"staging","S":"file"}` {
		t.Errorf("json = %s", b)
	}
}

func TestEnvFileCannotSetEnvironment(t *testing.T) {
	dot := writeFile(t, ".env", "APP_ENV=development\n")
	var buf bytes.Buffer
	var s simple
	res, err := Load(&s, Options{Prefix: "APP_", Env: map[string]string{"APP_ENV": "staging", "APP_TOKEN": "t"}, EnvFiles: []string{dot}, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil || res.Environment != Staging {
		t.Fatalf("environment %v, err %v", res.Environment, err)
	}
	if !strings.Contains(buf.String(), "env files cannot set the environment") || !strings.Contains(buf.String(), "line=1") {
		t.Errorf("log = %q", buf.String())
	}
}

func TestLoadConcurrent(t *testing.T) {
	env := map[string]string{"APP_ENV": "development", "APP_NAME": "n", "APP_PORT": "1"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var s simple
			if _, err := Load(&s, Options{Prefix: "APP_", Env: env}); err != nil || s.Name != "n" || !s.Token.IsSet() {
				t.Errorf("err %v, %+v", err, s)
			}
		})
	}
	wg.Wait()
}
