package ledgertest_test

import (
	"testing"

	"github.com/devskyy/devskyy/ledger"
	"github.com/devskyy/devskyy/ledger/ledgertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMemoryStore(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store { return ledger.NewMemoryStore() })
}

func TestFileStore(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		s, err := ledger.OpenFileStore(t.TempDir(), ledger.Options{SegmentSize: 4096})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
