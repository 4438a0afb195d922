//go:build !windows

package durable

import (
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// Replace writes data to a temporary file beside path, fsyncs it and
// renames it over path with permissions perm.
func Replace(path string, data []byte, perm os.FileMode) error {
	return renameio.WriteFile(path, data, perm, renameio.WithTempDir(filepath.Dir(path)))
}

// SyncDir fsyncs a directory, making the entries created or renamed in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
