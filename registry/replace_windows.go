package registry

import (
	"errors"
	"os"
	"path/filepath"
)

// replaceFile writes data to a temporary file beside path, flushes it and
// renames it over path (renameio does not support Windows; os.Rename
// replaces the target there with MoveFileEx).
func replaceFile(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// syncDir does nothing on Windows, where a directory cannot be flushed
// and a completed rename is already recorded by the file system.
func syncDir(string) error { return nil }
