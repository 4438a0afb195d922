//go:build unix

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, "big", strings.Repeat("x", 100))
	tests := []struct {
		name    string
		env     map[string]string
		max     int64
		want    []string
		token   string
		errKind error
	}{
		{"trailing newline trimmed once", map[string]string{"APP_TOKEN_FILE": writeFile(t, "t", "tok\n\n")}, 0, nil, "tok\n", nil},
		{"crlf trimmed", map[string]string{"APP_TOKEN_FILE": writeFile(t, "t", "tok\r\n")}, 0, nil, "tok", nil},
		{"lone cr kept", map[string]string{"APP_TOKEN_FILE": writeFile(t, "t", "tok\r")}, 0, nil, "tok\r", nil},
		{"no newline", map[string]string{"APP_TOKEN_FILE": writeFile(t, "t", " tok ")}, 0, nil, " tok ", nil},
		{"empty file is unset", map[string]string{"APP_TOKEN_FILE": writeFile(t, "t", "\n")}, 0, nil, "", nil},
		{"from env file", map[string]string{"APP_TOKEN_FILE": ""}, 0, nil, "", nil},
		{"both set", map[string]string{"APP_TOKEN": "x", "APP_TOKEN_FILE": big}, 0, []string{"APP_TOKEN: both APP_TOKEN and APP_TOKEN_FILE are set"}, "", ErrConflict},
		{"too large", map[string]string{"APP_TOKEN_FILE": big}, 10, []string{"APP_TOKEN_FILE: file larger than 10 bytes"}, "", ErrSource},
		{"missing", map[string]string{"APP_TOKEN_FILE": filepath.Join(dir, "nope")}, 0, []string{"APP_TOKEN_FILE: file does not exist"}, "", ErrSource},
		{"directory", map[string]string{"APP_TOKEN_FILE": dir}, 0, []string{"APP_TOKEN_FILE: not a regular file"}, "", ErrSource},
		{"fifo", map[string]string{"APP_TOKEN_FILE": fifo}, 0, []string{"APP_TOKEN_FILE: not a regular file"}, "", ErrSource},
		{"device", map[string]string{"APP_TOKEN_FILE": os.DevNull}, 0, []string{"APP_TOKEN_FILE: not a regular file"}, "", ErrSource},
		{"unreadable path", map[string]string{"APP_TOKEN_FILE": big + "/x"}, 0, []string{"APP_TOKEN_FILE: file cannot be read"}, "", ErrSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"APP_ENV": "test"}
			for k, v := range tt.env {
				env[k] = v
			}
			var s simple
			_, err := Load(&s, Options{Prefix: "APP_", Env: env, MaxFileSize: tt.max})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil {
				if !errors.Is(err, tt.errKind) {
					t.Errorf("not %v", tt.errKind)
				}
				if strings.Contains(err.Error(), dir) {
					t.Error("error contains the path")
				}
				return
			}
			if s.Token.Reveal() != tt.token {
				t.Errorf("token = %q, want %q", s.Token.Reveal(), tt.token)
			}
		})
	}
}

func TestKeyFileFromEnvFile(t *testing.T) {
	tok := writeFile(t, "tok", "from-secret-file\n")
	dot := writeFile(t, ".env", "APP_TOKEN_FILE="+tok+"\n")
	var s simple
	res, err := Load(&s, Options{Prefix: "APP_", Env: map[string]string{"APP_ENV": "test"}, EnvFiles: []string{dot}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Token.Reveal() != "from-secret-file" {
		t.Errorf("token = %q", s.Token.Reveal())
	}
	if o, _ := res.Origin("APP_TOKEN"); o.Source != SourceFile || o.Value != Redacted {
		t.Errorf("origin = %+v", o)
	}
	// KEY in the env file and KEY_FILE in the environment conflict.
	dot2 := writeFile(t, ".env", "APP_TOKEN=x\n")
	_, err = Load(&s, Options{Prefix: "APP_", Env: map[string]string{"APP_ENV": "test", "APP_TOKEN_FILE": tok}, EnvFiles: []string{dot2}})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("err = %v", err)
	}
}

func TestReadCappedDefaults(t *testing.T) {
	p := writeFile(t, "f", strings.Repeat("y", DefaultMaxFileSize+1))
	if _, reason := readCapped(p, DefaultMaxFileSize); reason != "file larger than 65536 bytes" {
		t.Errorf("reason = %q", reason)
	}
	if v, reason := readCapped(writeFile(t, "g", "ok"), DefaultMaxFileSize); v != "ok" || reason != "" {
		t.Errorf("got %q, %q", v, reason)
	}
}
