//go:build !linux

package durable

import "os"

// DataSync flushes f with fsync where fdatasync is unavailable.
func DataSync(f *os.File) error { return f.Sync() }
