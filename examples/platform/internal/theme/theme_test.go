package theme_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devskyy/devskyy/examples/platform/internal/theme"
	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   theme.Input
		ok   bool
	}{
		{"plain", theme.Input{Name: "spring_2026-a"}, true},
		{"with customisations", theme.Input{Name: "x", Type: "minimal", Customisations: map[string]string{"primary-color": "#112233", "font": "Inter, sans-serif"}}, true},
		{"empty name", theme.Input{}, false},
		{"traversal", theme.Input{Name: "../../../etc/passwd"}, false},
		{"slash", theme.Input{Name: "a/b"}, false},
		{"backslash", theme.Input{Name: `a\b`}, false},
		{"dots", theme.Input{Name: ".."}, false},
		{"unicode look-alike", theme.Input{Name: "tһeme"}, false},
		{"too long", theme.Input{Name: strings.Repeat("a", 65)}, false},
		{"bad type", theme.Input{Name: "x", Type: "evil"}, false},
		{"javascript url", theme.Input{Name: "x", Customisations: map[string]string{"bg": "javascript:alert(1)"}}, false},
		{"spaced javascript", theme.Input{Name: "x", Customisations: map[string]string{"bg": "java script:alert(1)"}}, false},
		{"script tag", theme.Input{Name: "x", Customisations: map[string]string{"bg": "<script>alert(1)</script>"}}, false},
		{"event handler", theme.Input{Name: "x", Customisations: map[string]string{"bg": "x onerror=alert(1)"}}, false},
		{"css expression", theme.Input{Name: "x", Customisations: map[string]string{"bg": "expression(alert(1))"}}, false},
		{"url()", theme.Input{Name: "x", Customisations: map[string]string{"bg": "url(http://evil)"}}, false},
		{"bad property", theme.Input{Name: "x", Customisations: map[string]string{"Bad Prop": "1"}}, false},
		{"too long value", theme.Input{Name: "x", Customisations: map[string]string{"a": strings.Repeat("a", 257)}}, false},
		{"semicolon breakout", theme.Input{Name: "x", Customisations: map[string]string{"a": "red; } body { display:none"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, theme.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if err != nil && tt.in.Name != "" && strings.Contains(err.Error(), tt.in.Name) && len(tt.in.Name) > 1 {
				t.Errorf("error echoes the name: %v", err)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	got, err := theme.Build(context.Background(), root, theme.Input{Name: "aurora", Customisations: map[string]string{"primary": "#000", "accent": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"aurora/theme.json", "aurora/theme.css"}, got.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	css, err := os.ReadFile(filepath.Join(dir, "aurora", "theme.css"))
	if err != nil {
		t.Fatal(err)
	}
	want := "/* theme aurora (luxury_fashion) */\n:root {\n  --accent: gold;\n  --primary: #000;\n}\n"
	if diff := cmp.Diff(want, string(css)); diff != "" {
		t.Errorf("css (-want +got):\n%s", diff)
	}
	// Rebuilding replaces; a bad request writes nothing.
	if _, err := theme.Build(context.Background(), root, theme.Input{Name: "aurora"}); err != nil {
		t.Fatal(err)
	}
	if _, err := theme.Build(context.Background(), root, theme.Input{Name: "../escape"}); err == nil {
		t.Fatal("traversal accepted")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); !os.IsNotExist(err) {
		t.Fatalf("something was written outside the root: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := theme.Build(ctx, root, theme.Input{Name: "late"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build error = %v", err)
	}
}

func FuzzValidate(f *testing.F) {
	f.Add("aurora", "bg", "#fff")
	f.Add("../x", "bg", "javascript:alert(1)")
	f.Fuzz(func(t *testing.T, name, key, value string) {
		in := theme.Input{Name: name, Customisations: map[string]string{key: value}}
		if in.Validate() != nil {
			return
		}
		if strings.ContainsAny(name, `/\.`) {
			t.Fatalf("accepted name %q", name)
		}
		low := strings.ToLower(value)
		for _, bad := range []string{"<", ">", "javascript", "url(", ";", "{", "}", "\""} {
			if strings.Contains(low, bad) {
				t.Fatalf("accepted value %q", value)
			}
		}
	})
}
