package ledger

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashChildEnv selects the crash-test child mode of the test binary; its
// value is the ledger directory.
const crashChildEnv = "LEDGER_CRASH_CHILD_DIR"

// crashChild appends with group commit from 16 goroutines and prints the id
// of every acknowledged record on stdout, one write per line, until killed.
func crashChild(dir string) int {
	l, err := Open(dir, Options{SegmentSize: 64 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; i < 5000; i++ {
				id, err := l.Record(context.Background(), Entry{Type: "crash", Message: fmt.Sprintf("g%d i%d %s", g, i, strings.Repeat("x", 200))})
				if err != nil {
					fmt.Fprintln(os.Stderr, "record:", err)
					os.Exit(3)
				}
				mu.Lock()
				os.Stdout.WriteString(id.String() + "\n")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	l.Close()
	return 0
}

// TestCrashSIGKILL kills a child process appending with group commit at
// random moments, then checks that every acknowledged record survived, the
// chain verifies and the ledger accepts new records.
func TestCrashSIGKILL(t *testing.T) {
	// Not parallel: while a child is being started, fork briefly holds a
	// copy of every descriptor of this process, including the LOCK file of
	// ledgers that other tests are closing and reopening, which would make
	// their reopen fail with ErrLocked (see the package doc on locking).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	const rounds = 50
	acked := map[ID]bool{}
	var torn int
	var childTime time.Duration
	deadline := time.Now().Add(120 * time.Second)
	total := 0
	for round := range rounds {
		if round%5 == 0 {
			// A fresh ledger every five rounds keeps each round's full
			// scans short; within a ledger, crashes accumulate.
			total += len(acked)
			dir = t.TempDir()
			acked = map[ID]bool{}
		}
		if time.Now().After(deadline) {
			t.Fatalf("crash test too slow: %d rounds", round)
		}
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAt := rng.IntN(100) // acks to see before the kill; 0 kills at once
		sc := bufio.NewScanner(out)
		n := 0
		killed := false
		kill := func() {
			if !killed {
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
		}
		if killAt == 0 {
			kill()
		}
		for sc.Scan() {
			id, err := ParseID(sc.Text())
			if err != nil {
				t.Fatalf("round %d: child wrote %q", round, sc.Text())
			}
			acked[id] = true
			n++
			if n >= killAt {
				kill()
			}
		}
		kill()
		cmd.Wait()
		childTime += time.Since(start)
		if s := stderr.String(); s != "" {
			t.Fatalf("round %d: child stderr: %s", round, s)
		}

		l, err := Open(dir, Options{SegmentSize: 64 << 10})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		seen := map[ID]bool{}
		for e, err := range l.Query(context.Background(), Filter{}) {
			if err != nil {
				t.Fatalf("round %d: query: %v", round, err)
			}
			seen[e.ID] = true
		}
		for id := range acked {
			if !seen[id] {
				t.Fatalf("round %d: acknowledged record %v lost", round, id)
			}
		}
		if _, err := l.Verify(context.Background()); err != nil {
			t.Fatalf("round %d: verify: %v", round, err)
		}
		id, err := l.Record(context.Background(), Entry{Type: "after-crash"})
		if err != nil {
			t.Fatalf("round %d: record after crash: %v", round, err)
		}
		acked[id] = true
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if round%5 == 4 {
			side, _ := filepath.Glob(filepath.Join(dir, "*.torn-*"))
			torn += len(side)
		}
	}
	total += len(acked)
	t.Logf("%d rounds (%v in children), %d acknowledged records all present, %d torn tails kept in sidecars", rounds, childTime, total, torn)
}
