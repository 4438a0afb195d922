//go:build !linux

package registry

import "os"

// datasync flushes f with fsync where fdatasync is unavailable.
func datasync(f *os.File) error { return f.Sync() }
