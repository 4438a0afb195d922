//go:build plan9

package config

// oNonblock is zero on Plan 9, which has no O_NONBLOCK; the mode checks
// before and after opening still refuse non-regular files.
const oNonblock = 0
