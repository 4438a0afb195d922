package durable_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/internal/durable"
	"github.com/google/go-cmp/cmp"
)

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"first", "second, longer than the first", ""} {
		if err := durable.Replace(path, []byte(content), 0o600); err != nil {
			t.Fatalf("Replace(%q): %v", content, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(content, string(got)); diff != "" {
			t.Errorf("content (-want +got):\n%s", diff)
		}
		if err := durable.SyncDir(dir); err != nil {
			t.Errorf("SyncDir: %v", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary file left)", len(entries))
	}
}

func TestErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		fn   func() error
	}{
		{"Replace into a missing directory", func() error { return durable.Replace(filepath.Join(missing, "f"), []byte("x"), 0o600) }},
		{"SyncDir of a missing directory", func() error { return durable.SyncDir(missing) }},
	}
	for _, tt := range tests {
		if err := tt.fn(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestDataSync(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("record\n"); err != nil {
		t.Fatal(err)
	}
	if err := durable.DataSync(f); err != nil {
		t.Errorf("DataSync of an open file: %v", err)
	}
	f.Close()
	if err := durable.DataSync(f); err == nil {
		t.Error("DataSync of a closed file: no error")
	}
}
