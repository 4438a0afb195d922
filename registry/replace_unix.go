//go:build !windows

package registry

import (
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// replaceFile writes data to a temporary file beside path, fsyncs it and
// renames it over path, so that path holds either the old or the new
// content after a crash.
func replaceFile(path string, data []byte) error {
	return renameio.WriteFile(path, data, 0o600, renameio.WithTempDir(filepath.Dir(path)))
}

// syncDir fsyncs a directory, making the entries created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
