package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// canarySettings has a secret in every position: top level, signing key,
// slice, map, pointer, nested struct.
type canarySettings struct {
	Port     int    `env:"PORT"`
	Ints     []int  `env:"INTS"`
	Req      string `env:"REQ,required"`
	Signing  Secret `env:"SIGNING,signing"`
	API      Secret `env:"API" validate:"min=40"`
	Map      map[string]Secret
	List     []Secret
	Ptr      *Secret
	Features Flags `flags:"a,b"`
	DB       struct {
		Password Secret
	}
	Env Environment
}

// Validate leaks on purpose: Load must scrub it.
func (c canarySettings) Validate() error {
	if c.Port == 13 {
		return fmt.Errorf("port 13 with %s and %s and %s", c.API.Reveal(), c.DB.Password.Reveal(), c.Signing.Reveal())
	}
	return nil
}

var canaries = map[string]string{
	"C_SIGNING":     "CANARY01-signing-0123456789-abcdefghijklmnop",
	"C_API":         "CANARY02-api-0123456789-abcdefghijklmnopqrstuvwxyz",
	"C_MAP":         "a=CANARY03-map-value",
	"C_LIST":        "CANARY04-list-one,CANARY05-list-two",
	"C_PTR":         "CANARY06-pointer",
	"C_DB_PASSWORD": "CANARY07-db-password",
}

// raw inputs that are not secrets but must not appear in parse errors.
var rawCanaries = []string{"RAWIN01-port", "RAWIN02-ints", "RAWIN03-flag", "RAWIN04-unknown", "RAWIN05-envfile", "RAWIN06-mapform"}

func allCanaries() []string {
	var out []string
	for _, v := range canaries {
		for _, part := range strings.Split(v, ",") {
			_, val, ok := strings.Cut(part, "=")
			if !ok {
				val = part
			}
			out = append(out, val)
		}
	}
	return out
}

func TestCanary(t *testing.T) {
	dir := t.TempDir()
	big := writeFile(t, "big", canaries["C_DB_PASSWORD"]+strings.Repeat("z", 200))
	secretFile := writeFile(t, "pw", canaries["C_DB_PASSWORD"]+"\n")
	badDot := writeFile(t, "bad.env", "C_REQ=x\nC_PTR=\""+canaries["C_PTR"]+"\\q\"\n")
	undefDot := writeFile(t, "undef.env", "C_API=\""+canaries["C_API"]+"${NOPE}\"\n")
	goodDot := writeFile(t, "good.env", "C_LIST='"+canaries["C_LIST"]+"'\n")
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range canaries {
			m[k] = v
		}
		for k, v := range extra {
			if v == "-" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
		return m
	}
	scenarios := []struct {
		name    string
		opts    Options
		success bool
	}{
		{"production everything wrong", Options{Env: with(map[string]string{
			"C_SIGNING": "CANARY08-short", "C_PORT": rawCanaries[0], "C_INTS": "1," + rawCanaries[1],
			"C_FEATURES": "a," + rawCanaries[2], "C_UNKNWN": rawCanaries[3], "C_MAP": rawCanaries[5] + "," + canaries["C_MAP"],
		})}, false},
		{"missing secrets in production", Options{Env: map[string]string{"C_REQ": "r", "C_API": canaries["C_API"]}}, false},
		{"placeholder signing key", Options{Env: with(map[string]string{"C_REQ": "r", "C_SIGNING": "changeme-CANARY09-padding-padding"})}, false},
		{"validation on secret", Options{Env: with(map[string]string{"C_REQ": "r", "C_ENV": "staging", "C_API": "CANARY10-short-api"})}, false},
		{"Validate method leaks", Options{Env: with(map[string]string{"C_REQ": "r", "C_PORT": "13"})}, false},
		{"conflict", Options{Env: with(map[string]string{"C_REQ": "r", "C_DB_PASSWORD_FILE": secretFile})}, false},
		{"file too large", Options{MaxFileSize: 100, Env: with(map[string]string{"C_REQ": "r", "C_DB_PASSWORD": "-", "C_DB_PASSWORD_FILE": big})}, false},
		{"file is a directory", Options{Env: with(map[string]string{"C_REQ": "r", "C_DB_PASSWORD": "-", "C_DB_PASSWORD_FILE": dir})}, false},
		{"env file syntax", Options{EnvFiles: []string{badDot}, Env: with(map[string]string{"C_ENV": "test", "C_PTR": "-"})}, false},
		{"env file undefined", Options{Expand: true, EnvFiles: []string{undefDot}, Env: with(map[string]string{"C_ENV": "test", "C_API": "-", "C_REQ": "r"})}, false},
		{"env file missing", Options{EnvFiles: []string{filepath.Join(dir, "nope")}, Env: with(map[string]string{"C_ENV": "test", "C_REQ": "r"})}, false},
		{"env file in production", Options{EnvFiles: []string{goodDot}, Env: with(map[string]string{"C_REQ": "r", "C_LIST": "-"})}, false},
		{"success from env and files", Options{EnvFiles: []string{goodDot}, UnknownKeys: UnknownKeysWarn, Env: with(map[string]string{
			"C_ENV": "staging", "C_REQ": "r", "C_LIST": "-", "C_DB_PASSWORD": "-", "C_DB_PASSWORD_FILE": secretFile, "C_OTHER": rawCanaries[3],
		})}, true},
		{"success in development", Options{Env: map[string]string{"C_ENV": "development", "C_REQ": "r", "C_API": canaries["C_API"]}}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var logs bytes.Buffer
			lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			jl := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			sc.opts.Prefix = "C_"
			sc.opts.Logger = lg
			var s canarySettings
			res, err := Load(&s, sc.opts)
			if (err == nil) != sc.success {
				t.Fatalf("err = %v, want success %v", err, sc.success)
			}
			// Run again with the JSON logger so both handlers see everything.
			sc.opts.Logger = jl
			var s2 canarySettings
			_, _ = Load(&s2, sc.opts)
			lg.Error("load", "err", err, "settings", s, "result", res)
			jl.Error("load", "err", err, "settings", s, "result", res)
			outputs := map[string]string{"logs": logs.String()}
			if err != nil {
				outputs["Error"] = err.Error()
				outputs["%+v err"] = fmt.Sprintf("%+v", err)
				outputs["%#v err"] = fmt.Sprintf("%#v", err)
				ej, _ := json.Marshal(err)
				outputs["json err"] = string(ej)
				if ce, ok := err.(*Error); ok {
					for i, p := range ce.Problems {
						outputs[fmt.Sprintf("problem %d %%#v", i)] = fmt.Sprintf("%#v", *p)
					}
				}
			}
			outputs["%+v settings"] = fmt.Sprintf("%+v", s)
			outputs["%#v settings"] = fmt.Sprintf("%#v", s)
			outputs["%v result"] = fmt.Sprintf("%+v", res)
			sj, jerr := json.Marshal(s)
			if jerr != nil {
				t.Fatal(jerr)
			}
			outputs["json settings"] = string(sj)
			rj, _ := json.Marshal(res)
			outputs["json result"] = string(rj)
			for name, out := range outputs {
				for _, c := range allCanaries() {
					if strings.Contains(out, c) {
						t.Errorf("%s contains secret %s:\n%s", name, c, out)
					}
				}
				for _, c := range []string{"CANARY08", "CANARY09", "CANARY10"} {
					if strings.Contains(out, c) {
						t.Errorf("%s contains secret %s:\n%s", name, c, out)
					}
				}
				if name != "logs" && name != "%v result" && name != "json result" && name != "%+v settings" && name != "%#v settings" && name != "json settings" {
					for _, c := range rawCanaries {
						if strings.Contains(out, c) {
							t.Errorf("%s contains raw input %s:\n%s", name, c, out)
						}
					}
				}
			}
			if sc.success {
				if s.API.Reveal() != canaries["C_API"] {
					t.Errorf("the secret did not load: %d bytes", s.API.Len())
				}
				// The outputs checked above really do hold the redacted fields.
				for _, name := range []string{"logs", "json settings", "%+v settings"} {
					if !strings.Contains(outputs[name], Redacted) {
						t.Errorf("%s has no redacted secret: %s", name, outputs[name])
					}
				}
				if !strings.Contains(outputs["logs"], "config: loaded") {
					t.Error("no provenance debug line")
				}
			}
		})
	}
}
