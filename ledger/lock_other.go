//go:build !unix

package ledger

import "os"

// lockFile is a no-op where flock(2) is missing: on such systems the caller
// must ensure that only one process opens a directory.
func lockFile(f *os.File) error { return nil }
