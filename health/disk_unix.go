//go:build linux || darwin || freebsd

package health

import "syscall"

// freeBytes returns the bytes available to unprivileged users on the file
// system holding path.
func freeBytes(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // types differ per OS
}
