//go:build !linux

package ledger

import "os"

// datasync flushes f with fsync where fdatasync is unavailable.
func datasync(f *os.File) error { return f.Sync() }
