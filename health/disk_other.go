//go:build !(linux || darwin || freebsd)

package health

import "errors"

func freeBytes(string) (uint64, error) {
	return 0, errors.New("health: disk space not supported on this system")
}
