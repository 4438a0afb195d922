package durable

import (
	"os"
	"syscall"
)

// DataSync flushes f's data (and the metadata needed to read it back) with
// fdatasync(2), which skips the timestamps fsync would also write.
func DataSync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
