package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDotEnv(t *testing.T) {
	lookup := func(name string) (string, bool) {
		if name == "HOME" {
			return "/home/u", true
		}
		return "", false
	}
	tests := []struct {
		name   string
		src    string
		expand bool
		want   map[string]string
	}{
		{"basic", "A=1\nB = two \n", false, map[string]string{"A": "1", "B": "two"}},
		{"comments and blanks", "# c\n\n  # indented\nA=1 # trailing\nB=x#notcomment\nC=#\n", false, map[string]string{"A": "1", "B": "x#notcomment", "C": ""}},
		{"export", "export A=1\nexport\tB=2\nexporter=3\n", false, map[string]string{"A": "1", "B": "2", "exporter": "3"}},
		{"bom crlf", "\uFEFFA=1\r\nB='x'\r\nC=\"y\"\r\n# c\r\n", false, map[string]string{"A": "1", "B": "x", "C": "y"}},
		{"single quotes literal", `A='$HOME \n "q" # not comment'` + "\n", true, map[string]string{"A": `$HOME \n "q" # not comment`}},
		{"single multiline", "A='l1\nl2'\nB=2", false, map[string]string{"A": "l1\nl2", "B": "2"}},
		{"single multiline crlf", "A='l1\r\nl2'\r\n", false, map[string]string{"A": "l1\nl2"}},
		{"double escapes", `A="a\nb\tc\\d\"e\$f\` + "`" + `g\rh"`, false, map[string]string{"A": "a\nb\tc\\d\"e$f`g\rh"}},
		{"double multiline", "A=\"l1\r\nl2\n\"  # c\nB=1", false, map[string]string{"A": "l1\nl2\n", "B": "1"}},
		{"no expansion by default", "A=$HOME\nB=\"${HOME}\"\n", false, map[string]string{"A": "$HOME", "B": "${HOME}"}},
		{"expansion", "A=$HOME/x\nB=\"${A}-${HOME}\"\nC=$\nD=a$-b\nE=${A}", true, map[string]string{"A": "/home/u/x", "B": "/home/u/x-/home/u", "C": "$", "D": "a$-b", "E": "/home/u/x"}},
		{"empty values", "A=\nB=''\nC=\"\"", false, map[string]string{"A": "", "B": "", "C": ""}},
		{"backslash unquoted", `A=C:\dir\file`, false, map[string]string{"A": `C:\dir\file`}},
		{"empty input", "", false, map[string]string{}},
		{"only BOM", "\uFEFF", false, map[string]string{}},
		{"comment at eof", "A=1\n# end", false, map[string]string{"A": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lk func(string) (string, bool)
			if tt.expand {
				lk = lookup
			}
			entries, err := parseDotEnv(tt.src, lk, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range entries {
				got[e.key] = e.value
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDotEnvErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		expand bool
		want   string
	}{
		{"no equals", "A=1\nSECRETVALUE\n", false, "line 2: expected = after the key"},
		{"bad key", "A=1\n\n9A=1", false, "line 3: expected a key (letters, digits and _, not starting with a digit)"},
		{"bad key char", "A-B=1", false, "line 1: expected = after the key"},
		{"unterminated single", "A=1\nB='abc\n\n", false, "line 2: unterminated single-quoted value"},
		{"unterminated double", "A=\"abc\nd", false, "line 1: unterminated double-quoted value"},
		{"unterminated double escape", "A=\"abc\\", false, "line 1: unterminated double-quoted value"},
		{"unknown escape", "A=\"a\\qb\"", false, "line 1: unknown escape sequence in double-quoted value"},
		{"text after quote", "A='x' y", false, "line 1: unexpected text after the closing quote"},
		{"quote in unquoted", "A=it's", false, "line 1: quote inside an unquoted value (quote the whole value)"},
		{"backtick", "A=`id`", false, "line 1: command substitution is not supported (use single quotes for a literal value)"},
		{"dollar paren", "A=\"$(id)\"", true, "line 1: command substitution is not supported (use single quotes for a literal value)"},
		{"dollar paren unexpanded", "A=x$(id)", false, "line 1: command substitution is not supported (use single quotes for a literal value)"},
		{"stray cr", "A=1\rB=2", false, "line 1: stray carriage return"},
		{"stray cr comment", "# c\rB=2", false, "line 1: stray carriage return"},
		{"nul unquoted", "A=a\x00b", false, "line 1: NUL byte in value"},
		{"nul double", "A=\"a\x00b\"", false, "line 1: NUL byte in value"},
		{"nul single", "A='a\x00b'", false, "line 1: NUL byte in value"},
		{"duplicate", "A=1\nB=2\nA=3", false, "line 3: key A already defined on line 1"},
		{"undefined", "A=$NOPE", true, "line 1: reference to an undefined variable"},
		{"unterminated brace", "A=${HOME", true, "line 1: unterminated ${ in value"},
		{"bad brace name", "A=${1x}", true, "line 1: invalid variable name inside ${}"},
		{"empty brace", "A=${}", true, "line 1: invalid variable name inside ${}"},
		{"eof after key", "A", false, "line 1: expected = after the key"},
		{"export only", "export ", false, "line 1: expected a key (letters, digits and _, not starting with a digit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lk func(string) (string, bool)
			if tt.expand {
				lk = func(string) (string, bool) { return "", false }
			}
			_, err := parseDotEnv(tt.src, lk, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.env")
	bad := filepath.Join(dir, "bad.env")
	os.WriteFile(good, []byte("APP_NAME=${APP_BASE}-x\nAPP_PORT=81\n"), 0o600)
	os.WriteFile(bad, []byte("APP_NAME=1\nAPP_TOKEN=\"hunter22-unterminated\n"), 0o600)
	tests := []struct {
		name string
		opts Options
		want []string
		got  string
	}{
		{"missing file", Options{Env: map[string]string{"APP_ENV": "test"}, EnvFiles: []string{filepath.Join(dir, "nope.env")}}, []string{"env file " + filepath.Join(dir, "nope.env") + ": file does not exist"}, ""},
		{"directory", Options{Env: map[string]string{"APP_ENV": "test"}, EnvFiles: []string{dir}}, []string{"env file " + dir + ": not a regular file"}, ""},
		{"syntax", Options{Env: map[string]string{"APP_ENV": "test"}, EnvFiles: []string{bad}}, []string{"env file " + bad + ": line 2: unterminated double-quoted value"}, ""},
		{"production refused", Options{EnvFiles: []string{good}, Env: map[string]string{"APP_TOKEN": "t"}}, []string{"env files are not read in production without AllowEnvFilesInProduction"}, ""},
		{"production opt-in", Options{EnvFiles: []string{good}, Expand: true, AllowEnvFilesInProduction: true, Env: map[string]string{"APP_BASE": "b", "APP_TOKEN": "t"}, UnknownKeys: UnknownKeysIgnore}, nil, "b-x"},
		{"expansion from file", Options{EnvFiles: []string{writeFile(t, "e", "APP_BASE=f\nAPP_NAME=${APP_BASE}\n")}, Expand: true, Env: map[string]string{"APP_ENV": "test"}, UnknownKeys: UnknownKeysIgnore}, nil, "f"},
		{"expansion env first", Options{EnvFiles: []string{writeFile(t, "e", "APP_BASE=f\nAPP_NAME=${APP_BASE}\n")}, Expand: true, Env: map[string]string{"APP_ENV": "test", "APP_BASE": "e"}, UnknownKeys: UnknownKeysIgnore}, nil, "e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Prefix = "APP_"
			var s simple
			_, err := Load(&s, tt.opts)
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil {
				if !errors.Is(err, ErrSource) {
					t.Error("not ErrSource")
				}
				if strings.Contains(err.Error(), "hunter22") {
					t.Error("error contains file content")
				}
				return
			}
			if s.Name != tt.got {
				t.Errorf("Name = %q, want %q", s.Name, tt.got)
			}
		})
	}
}

func TestExpansionOrder(t *testing.T) {
	f1 := writeFile(t, "1.env", "APP_BASE=one\nAPP_NAME=${APP_BASE}\n")
	f2 := writeFile(t, "2.env", "APP_BASE=two\nAPP_TOKEN=\"$APP_BASE\"\n")
	f3 := writeFile(t, "3.env", "APP_TOKEN=${APP_BASE}-3\n")
	tests := []struct {
		name  string
		env   map[string]string
		files []string
		want  [2]string
	}{
		{"own file first", nil, []string{f1, f2}, [2]string{"one", "two"}},
		{"earlier file as fallback", nil, []string{f1, f3}, [2]string{"one", "one-3"}},
		{"environment beats files", map[string]string{"APP_BASE": "env"}, []string{f1, f2}, [2]string{"env", "env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"APP_ENV": "test"}
			for k, v := range tt.env {
				env[k] = v
			}
			var s simple
			if _, err := Load(&s, Options{Prefix: "APP_", Env: env, EnvFiles: tt.files, Expand: true, UnknownKeys: UnknownKeysIgnore}); err != nil {
				t.Fatal(err)
			}
			if got := [2]string{s.Name, s.Token.Reveal()}; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
