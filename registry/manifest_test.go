package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
)

func TestBuildManifest(t *testing.T) {
	e := newEnv(t)
	e.write("art/b.bin", "bb")
	e.write("art/a/x.json", "{}")
	e.write("art/a.b", "dot")
	m, err := registry.BuildManifest(e.root, "art")
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Manifest{Files: []registry.ManifestEntry{
		{Path: "a.b", Size: 3, Digest: sha("dot")},
		{Path: "a/x.json", Size: 2, Digest: sha("{}")},
		{Path: "b.bin", Size: 2, Digest: sha("bb")},
	}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	text, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	wantText := "devskyy-registry-manifest/1\n" +
		strings.TrimPrefix(sha("dot"), "sha256:") + " 3 a.b\n" +
		strings.TrimPrefix(sha("{}"), "sha256:") + " 2 a/x.json\n" +
		strings.TrimPrefix(sha("bb"), "sha256:") + " 2 b.bin\n"
	if diff := cmp.Diff(wantText, string(text)); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if m.Digest() != sha(wantText) {
		t.Error("digest is not the digest of the manifest text")
	}
	var back registry.Manifest
	if err := back.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// The same content elsewhere has the same digest.
	e.write("copy/b.bin", "bb")
	e.write("copy/a/x.json", "{}")
	e.write("copy/a.b", "dot")
	m2, _ := registry.BuildManifest(e.root, "copy")
	if m2.Digest() != m.Digest() {
		t.Error("identical directories differ")
	}
	empty, err := registry.BuildManifest(e.root, "copy/a/x.json/..")
	if err == nil {
		t.Errorf("unclean path accepted: %+v", empty)
	}
}

func TestBuildManifestRejects(t *testing.T) {
	e := newEnv(t)
	e.write("fifo/x", "x")
	if err := syscall.Mkfifo(filepath.Join(e.dir, "fifo", "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.write("inner/x", "x")
	if err := os.Symlink("x", filepath.Join(e.dir, "inner", "y")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(e.dir, "rootlink")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"fifo", "inner", "rootlink", "missing", "../x", "/abs", ".", `a\b`} {
		if _, err := registry.BuildManifest(e.root, dir); !errors.Is(err, registry.ErrInvalidArtifact) {
			t.Errorf("BuildManifest(%q): %v", dir, err)
		}
	}
	reg := e.registry(e.settings())
	if _, err := reg.Register(t.Context(), registry.Registration{Model: "m", Version: "1", Artifact: "fifo/pipe"}); !errors.Is(err, registry.ErrInvalidArtifact) {
		t.Errorf("Register of a pipe: %v", err)
	}
}

func TestManifestUnmarshalRejects(t *testing.T) {
	h := strings.Repeat("a", 64)
	tests := map[string]string{
		"no header":       h + " 1 a\n",
		"no newline":      "devskyy-registry-manifest/1\n" + h + " 1 a",
		"two fields":      "devskyy-registry-manifest/1\n" + h + " 1\n",
		"bad size":        "devskyy-registry-manifest/1\n" + h + " x a\n",
		"size with plus":  "devskyy-registry-manifest/1\n" + h + " +1 a\n",
		"negative size":   "devskyy-registry-manifest/1\n" + h + " -1 a\n",
		"short digest":    "devskyy-registry-manifest/1\nabc 1 a\n",
		"upper-case hex":  "devskyy-registry-manifest/1\n" + strings.Repeat("A", 64) + " 1 a\n",
		"unsorted":        "devskyy-registry-manifest/1\n" + h + " 1 b\n" + h + " 1 a\n",
		"duplicate":       "devskyy-registry-manifest/1\n" + h + " 1 a\n" + h + " 1 a\n",
		"dot-dot":         "devskyy-registry-manifest/1\n" + h + " 1 ../a\n",
		"absolute":        "devskyy-registry-manifest/1\n" + h + " 1 /a\n",
		"carriage return": "devskyy-registry-manifest/1\n" + h + " 1 a\r\n",
	}
	for name, text := range tests {
		var m registry.Manifest
		if err := m.UnmarshalText([]byte(text)); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := registry.Manifest{Files: []registry.ManifestEntry{{Path: "a", Size: -1, Digest: sha("")}}}
	if _, err := bad.MarshalText(); err == nil || bad.Digest() != "" {
		t.Error("non-canonical manifest marshalled")
	}
	var empty registry.Manifest
	if err := empty.UnmarshalText([]byte("devskyy-registry-manifest/1\n")); err != nil || len(empty.Files) != 0 {
		t.Errorf("empty manifest: %v", err)
	}
}
