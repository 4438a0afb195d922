//go:build !plan9

package config

import "syscall"

// oNonblock makes opening a FIFO that replaced a regular file return
// at once instead of waiting for a writer.
const oNonblock = syscall.O_NONBLOCK
