package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/internal/durable"
)

// BenchmarkJournalAppendFloor writes 300 bytes into preallocated space of a
// file and fdatasyncs it, as every FileStore write does: the floor of
// BenchmarkRollbackWarm/file on this machine's disk, for reading it on a busy
// machine.
func BenchmarkJournalAppendFloor(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "j"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, preallocChunk)); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 300)
	var off int64
	for b.Loop() {
		if _, err := f.WriteAt(rec, off); err != nil {
			b.Fatal(err)
		}
		if err := durable.DataSync(f); err != nil {
			b.Fatal(err)
		}
		if off += int64(len(rec)); off+int64(len(rec)) > preallocChunk {
			off = 0
		}
	}
}
