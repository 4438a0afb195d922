package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

const (
	// digestPrefix starts every digest this package computes.
	digestPrefix = "sha256:"
	// manifestHeader is the first line of every canonical manifest.
	manifestHeader = "devskyy-registry-manifest/1\n"
	// maxManifestFiles caps the number of files in a directory artifact.
	maxManifestFiles = 100_000
	// maxManifestBytes caps the size of a manifest that UnmarshalText accepts.
	maxManifestBytes = 64 << 20
)

// A ManifestEntry describes one regular file of a directory artifact. It is
// a plain value; the zero ManifestEntry is not canonical.
type ManifestEntry struct {
	// Path is slash-separated and relative to the artifact directory.
	Path string
	// Size is the file's length in bytes.
	Size int64
	// Digest is "sha256:" followed by 64 lowercase hex digits.
	Digest string
}

// A Manifest is the canonical description of a directory artifact: its
// regular files, sorted bytewise by path. The digest of a directory artifact
// is the digest of its manifest's text (see [Manifest.MarshalText]), so two
// directories have the same digest exactly when they hold the same files with
// the same contents, wherever they live and whatever their timestamps and
// permissions.
//
// The zero Manifest describes an empty directory. A Manifest is a plain value;
// it is safe for concurrent reads.
type Manifest struct {
	Files []ManifestEntry
}

// MarshalText encodes m canonically: the line "devskyy-registry-manifest/1",
// then one line "<hex sha256> <size> <path>" per file in path order, each line
// ending in "\n". It fails when m is not canonical (unsorted or duplicate
// paths, invalid paths or digests).
func (m Manifest) MarshalText() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(manifestHeader)
	for _, f := range m.Files {
		b.WriteString(f.Digest[len(digestPrefix):])
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(f.Size, 10))
		b.WriteByte(' ')
		b.WriteString(f.Path)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// UnmarshalText strictly decodes the canonical encoding that MarshalText
// produces; any other input, including a non-canonical order, is an error
// wrapping [ErrInvalid].
func (m *Manifest) UnmarshalText(text []byte) error {
	if len(text) > maxManifestBytes {
		return fmt.Errorf("%w: manifest larger than %d bytes", ErrInvalid, maxManifestBytes)
	}
	rest, ok := bytes.CutPrefix(text, []byte(manifestHeader))
	if !ok {
		return fmt.Errorf("%w: manifest header", ErrInvalid)
	}
	var out Manifest
	for line := 1; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return fmt.Errorf("%w: manifest line %d: missing newline", ErrInvalid, line)
		}
		fields := strings.SplitN(string(rest[:i]), " ", 3)
		rest = rest[i+1:]
		if len(fields) != 3 {
			return fmt.Errorf("%w: manifest line %d: want 3 fields", ErrInvalid, line)
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || strconv.FormatInt(size, 10) != fields[1] {
			return fmt.Errorf("%w: manifest line %d: size", ErrInvalid, line)
		}
		out.Files = append(out.Files, ManifestEntry{Path: fields[2], Size: size, Digest: digestPrefix + fields[0]})
		if len(out.Files) > maxManifestFiles {
			return fmt.Errorf("%w: manifest has more than %d files", ErrInvalid, maxManifestFiles)
		}
	}
	if err := out.validate(); err != nil {
		return err
	}
	*m = out
	return nil
}

// validate checks that m is canonical.
func (m Manifest) validate() error {
	for i, f := range m.Files {
		if !validArtifactPath(f.Path) || strings.ContainsAny(f.Path, "\n\r") {
			return fmt.Errorf("%w: manifest entry %d: path", ErrInvalid, i)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return fmt.Errorf("%w: manifest entry %d: paths not sorted and unique", ErrInvalid, i)
		}
		if f.Size < 0 {
			return fmt.Errorf("%w: manifest entry %d: size", ErrInvalid, i)
		}
		if !validDigest(f.Digest) {
			return fmt.Errorf("%w: manifest entry %d: digest", ErrInvalid, i)
		}
	}
	return nil
}

// Digest returns the digest of m's canonical text, or "" when m is not
// canonical.
func (m Manifest) Digest() string {
	text, err := m.MarshalText()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(text)
	return digestPrefix + hex.EncodeToString(sum[:])
}

// validDigest reports whether d is "sha256:" and 64 lowercase hex digits.
func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, digestPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// validArtifactPath reports whether p is a clean, local, slash-separated path
// ("model.json", "models/v1"), never absolute, never containing "..", ".",
// backslashes or NUL.
func validArtifactPath(p string) bool {
	return p != "." && fs.ValidPath(p) && !strings.ContainsAny(p, "\\\x00") && len(p) <= 4096
}

// artifactDigest computes the digest and total size of the artifact at p
// inside root: a regular file's content digest, or a directory's manifest
// digest. Symbolic links and other special files inside a directory are
// rejected; os.Root rejects any path that leaves root.
func artifactDigest(root *os.Root, p string) (digest string, size int64, err error) {
	fi, err := root.Stat(p)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrInvalidArtifact, err)
	}
	if fi.Mode().IsRegular() {
		return fileDigest(root, p)
	}
	if !fi.IsDir() {
		return "", 0, fmt.Errorf("%w: not a regular file or directory", ErrInvalidArtifact)
	}
	m, err := BuildManifest(root, p)
	if err != nil {
		return "", 0, err
	}
	for _, f := range m.Files {
		size += f.Size
	}
	return m.Digest(), size, nil
}

// fileDigest hashes one regular file inside root.
func fileDigest(root *os.Root, p string) (string, int64, error) {
	f, err := root.Open(p)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrInvalidArtifact, err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	n, err := io.CopyBuffer(h, onlyReader{f}, buf)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrInvalidArtifact, err)
	}
	return digestPrefix + hex.EncodeToString(h.Sum(nil)), n, nil
}

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses buf.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// BuildManifest walks the directory dir inside root and returns its canonical
// manifest, hashing every regular file. A symbolic link, device, socket or
// pipe anywhere in the tree is an error wrapping [ErrInvalidArtifact], as is a
// dir that is not local to root.
func BuildManifest(root *os.Root, dir string) (Manifest, error) {
	if !validArtifactPath(dir) {
		return Manifest{}, fmt.Errorf("%w: path must be local and slash-separated", ErrInvalidArtifact)
	}
	var m Manifest
	err := fs.WalkDir(root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return errors.New("special file or symbolic link in artifact")
		}
		if len(m.Files) == maxManifestFiles {
			return fmt.Errorf("more than %d files", maxManifestFiles)
		}
		digest, size, err := fileDigest(root, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, dir+"/")
		m.Files = append(m.Files, ManifestEntry{Path: rel, Size: size, Digest: digest})
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrInvalidArtifact) {
			return Manifest{}, err
		}
		return Manifest{}, fmt.Errorf("%w: %w", ErrInvalidArtifact, err)
	}
	// WalkDir visits in lexical order per directory; a path order across
	// directories ("a/b" vs "a.b") needs one sort.
	slices.SortFunc(m.Files, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
	return m, nil
}
