package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// readCapped reads a regular file of at most max bytes. Directories,
// FIFOs, sockets and devices are refused before they are opened, and the
// file is opened non-blocking and checked again, so a FIFO swapped in
// between never blocks. The reason never contains the path or the content.
func readCapped(path string, max int64) (string, string) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "file does not exist"
		}
		return "", "file cannot be read"
	}
	if !fi.Mode().IsRegular() {
		return "", "not a regular file"
	}
	if fi.Size() > max {
		return "", "file larger than " + strconv.FormatInt(max, 10) + " bytes"
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return "", "file cannot be read"
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", "not a regular file"
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return "", "file cannot be read"
	}
	if int64(len(data)) > max {
		return "", "file larger than " + strconv.FormatInt(max, 10) + " bytes"
	}
	return string(data), ""
}
