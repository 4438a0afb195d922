package durable

import (
	"errors"
	"os"
	"path/filepath"
)

// Replace writes data to a temporary file beside path, flushes it and
// renames it over path with permissions perm (os.Rename replaces the
// target on Windows with MoveFileEx).
func Replace(path string, data []byte, perm os.FileMode) (err error) {
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
	if err := os.Chmod(f.Name(), perm); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// SyncDir does nothing on Windows, where a directory cannot be flushed and
// a completed rename is already recorded by the file system.
func SyncDir(string) error { return nil }
