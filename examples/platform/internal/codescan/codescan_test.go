package codescan_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/examples/platform/internal/codescan"
	"github.com/google/go-cmp/cmp"
)

func writeTree(t *testing.T, files map[string]string) *os.Root {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

func TestScan(t *testing.T) {
	root := writeTree(t, map[string]string{
		"app/main.py": "import os\n" +
			"SECRET_KEY = os.getenv(\"SECRET_KEY\", \"dev-secret-key-change-in-production\")\n" +
			"from agent.scanner import Scanner\n" +
			"from agent.scanner_v2 import Scanner\n" +
			"try:\n    run()\nexcept Exception as e:\n    return str(e)\n" +
			"db_password = \"hunter2hunter2\"\n" +
			"api_token = 'changeme'\n",
		"app/scanner.py":    "x = 1\n",
		"app/scanner_v2.py": "except:\n    pass\n",
		"app/clean.go":      "package app\n",
		".git/config":       "password = \"should-not-be-read\"\n",
	})
	got, err := codescan.Scan(context.Background(), root, codescan.Input{Path: "app"})
	if err != nil {
		t.Fatal(err)
	}
	rules := func(fs []codescan.Finding) [][3]any {
		var r [][3]any
		for _, f := range fs {
			r = append(r, [3]any{f.Rule, f.File, f.Line})
		}
		return r
	}
	want := [][3]any{
		{codescan.RuleDevSecretDefault, "app/main.py", 2},
		{codescan.RuleShadowedImport, "app/main.py", 4},
		{codescan.RuleCatchAll, "app/main.py", 7},
		{codescan.RuleHardcodedSecret, "app/main.py", 9},
		{codescan.RuleHardcodedSecret, "app/main.py", 10},
		{codescan.RuleVersionedFile, "app/scanner_v2.py", 0},
		{codescan.RuleCatchAll, "app/scanner_v2.py", 1},
	}
	if diff := cmp.Diff(want, rules(got.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if got.Files != 4 {
		t.Errorf("files = %d, want 4", got.Files)
	}
}

func TestScanRejectsEscapes(t *testing.T) {
	root := writeTree(t, map[string]string{"a.py": "x = 1\n"})
	for _, p := range []string{"../etc", "/etc", "a/../../b", "missing"} {
		if _, err := codescan.Scan(context.Background(), root, codescan.Input{Path: p}); err == nil {
			t.Errorf("Scan(%q) = nil error, want refusal", p)
		}
	}
	if _, err := codescan.Scan(context.Background(), root, codescan.Input{Path: "../x"}); !errors.Is(err, codescan.ErrBadPath) {
		t.Errorf("Scan(../x) error = %v, want ErrBadPath", err)
	}
}

func TestScanSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "leak.py"), []byte("password = \"outside-secret\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	got, err := codescan.Scan(context.Background(), root, codescan.Input{Path: "link"})
	if err == nil && len(got.Findings) > 0 {
		t.Fatalf("symlink escaped the root: %+v", got)
	}
}

func TestScanSingleFileAndCancel(t *testing.T) {
	root := writeTree(t, map[string]string{"one.py": "except BaseException:\n"})
	got, err := codescan.Scan(context.Background(), root, codescan.Input{Path: "one.py"})
	if err != nil || len(got.Findings) != 1 || got.Findings[0].Rule != codescan.RuleCatchAll {
		t.Fatalf("got %+v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := codescan.Scan(ctx, root, codescan.Input{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan error = %v", err)
	}
}
