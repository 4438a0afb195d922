package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devskyy/devskyy/ledger"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("LEDGERCTL_RUN_MAIN"); ok { // the child of TestMainExitStatus
		os.Args = append([]string{"ledgerctl"}, strings.Fields(args)...)
		main()
	}
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fixture is five entries across two runs, three components and four
// fingerprints, one minute apart.
func fixture() []ledger.Entry {
	return []ledger.Entry{
		{Time: t0, Type: "timeout", Severity: ledger.SeverityMedium, Message: "agent scanner timed out",
			Component: "scanner", RequestID: "req-1", RunID: "run-a", Fingerprint: "fp-timeout",
			Attrs: []slog.Attr{slog.Int("http.status", 504),
				slog.Group("req", slog.String("path", "/api/v1/agents/scanner/run"))}},
		{Time: t0.Add(1 * time.Minute), Type: "panic", Severity: ledger.SeverityCritical, Message: "agent themes panicked",
			Component: "themes", RequestID: "req-2", RunID: "run-a", Fingerprint: "fp-panic", Stack: "goroutine 7 [running]:"},
		{Time: t0.Add(2 * time.Minute), Type: "audit.login", Severity: ledger.SeverityInfo, Message: "admin logged in",
			Component: "auth", RequestID: "req-3", RunID: "run-b", Fingerprint: "fp-login",
			Attrs: []slog.Attr{slog.String("user", "alice"), slog.String("password", "hunter2")}},
		{Time: t0.Add(3 * time.Minute), Type: "timeout", Severity: ledger.SeverityHigh, Message: "agent scanner timed out",
			Component: "scanner", RequestID: "req-4", RunID: "run-b", Fingerprint: "fp-timeout"},
		{Time: t0.Add(4 * time.Minute), Type: "invalid_input", Severity: ledger.SeverityLow, Message: "bad theme name",
			Component: "themes", RequestID: "req-5", RunID: "run-b", Fingerprint: "fp-input"},
	}
}

// written is a closed ledger directory and what writing it returned.
type written struct {
	dir  string
	ids  []ledger.ID
	head ledger.Position
}

// writeLedger records entries, one Record call (one write batch) each,
// into a new ledger in a temporary directory and closes it.
func writeLedger(t *testing.T, opts ledger.Options, entries []ledger.Entry) written {
	t.Helper()
	w := written{dir: t.TempDir()}
	led, err := ledger.Open(w.dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		id, err := led.Record(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		w.ids = append(w.ids, id)
	}
	w.head = led.Head()
	if err := led.Close(); err != nil {
		t.Fatal(err)
	}
	return w
}

// fillers returns n entries with the messages "filler 00", "filler 01", ...
func fillers(n int) []ledger.Entry {
	es := make([]ledger.Entry, n)
	for i := range es {
		es[i] = ledger.Entry{Time: t0.Add(time.Duration(i) * time.Second), Type: "filler",
			Message: fmt.Sprintf("filler %02d", i), Attrs: []slog.Attr{slog.String("pad", strings.Repeat("x", 200))}}
	}
	return es
}

// runCmd runs ledgerctl with args and returns its stdout and error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	if err == nil && stderr.Len() != 0 {
		t.Errorf("run(%q) wrote to stderr: %s", args, stderr.String())
	}
	return stdout.String(), err
}

// otelLine is one line of query and tail output (ledger.Ledger.Export).
type otelLine struct {
	Timestamp      string
	SeverityText   string
	SeverityNumber int
	Body           string
	EventName      string
	Attributes     map[string]any
}

func decodeLines(t *testing.T, out string) []otelLine {
	t.Helper()
	var ls []otelLine
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var l otelLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("output is not JSON lines: %v\n%s", err, out)
		}
		ls = append(ls, l)
	}
	if strings.Count(out, "\n") != len(ls) {
		t.Errorf("%d lines hold %d JSON objects:\n%s", strings.Count(out, "\n"), len(ls), out)
	}
	return ls
}

// requestIDs projects output lines on their request ids.
func requestIDs(ls []otelLine) []string {
	ids := []string{}
	for _, l := range ls {
		ids = append(ids, fmt.Sprint(l.Attributes["ledger.request_id"]))
	}
	return ids
}

func TestQuery(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fixture())
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"all", nil, []string{"req-1", "req-2", "req-3", "req-4", "req-5"}},
		{"since", []string{"--since", "2026-11-26T10:01:00Z"}, []string{"req-2", "req-3", "req-4", "req-5"}},
		{"until", []string{"--until", "2026-11-26T10:03:00Z"}, []string{"req-1", "req-2", "req-3"}},
		{"since and until with offset and fraction",
			[]string{"--since", "2026-11-26T11:01:00+01:00", "--until", "2026-11-26T10:02:00.000000001Z"}, []string{"req-2", "req-3"}},
		{"min severity", []string{"--min-severity", "high"}, []string{"req-2", "req-4"}},
		{"type", []string{"--type", "timeout"}, []string{"req-1", "req-4"}},
		{"component", []string{"--component", "themes"}, []string{"req-2", "req-5"}},
		{"request id", []string{"--request-id", "req-3"}, []string{"req-3"}},
		{"run id", []string{"--run-id", "run-b"}, []string{"req-3", "req-4", "req-5"}},
		{"fingerprint", []string{"--fingerprint", "fp-timeout"}, []string{"req-1", "req-4"}},
		{"limit", []string{"--limit", "2"}, []string{"req-1", "req-2"}},
		{"limit above count", []string{"-limit", "9"}, []string{"req-1", "req-2", "req-3", "req-4", "req-5"}},
		{"filters combine", []string{"-type", "timeout", "-min-severity", "HIGH"}, []string{"req-4"}},
		{"no match", []string{"--component", "nope"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append(append([]string{"query"}, tt.args...), w.dir)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, requestIDs(decodeLines(t, out))); diff != "" {
				t.Errorf("query %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}

	t.Run("dir flag", func(t *testing.T) {
		out, err := runCmd(t, "query", "-dir", w.dir, "-request-id", "req-5")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"req-5"}, requestIDs(decodeLines(t, out))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("whole lines with attributes", func(t *testing.T) {
		out, err := runCmd(t, "query", "--run-id", "run-a", "--type", "timeout", w.dir)
		if err != nil {
			t.Fatal(err)
		}
		want := []otelLine{{
			Timestamp: "2026-11-26T10:00:00Z", SeverityText: "MEDIUM", SeverityNumber: 17,
			Body: "agent scanner timed out", EventName: "timeout",
			Attributes: map[string]any{
				"ledger.id": w.ids[0].String(), "ledger.seq": 1.0, "ledger.run_id": "run-a",
				"ledger.component": "scanner", "ledger.request_id": "req-1", "ledger.fingerprint": "fp-timeout",
				"http.status": 504.0, "req.path": "/api/v1/agents/scanner/run",
			},
		}}
		if diff := cmp.Diff(want, decodeLines(t, out)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("secrets stay redacted", func(t *testing.T) {
		out, err := runCmd(t, "query", "--request-id", "req-3", w.dir)
		if err != nil {
			t.Fatal(err)
		}
		ls := decodeLines(t, out)
		if len(ls) != 1 {
			t.Fatalf("got %d lines, want 1:\n%s", len(ls), out)
		}
		got := map[string]any{"user": ls[0].Attributes["user"], "password": ls[0].Attributes["password"],
			"ledger.redactions": ls[0].Attributes["ledger.redactions"]}
		want := map[string]any{"user": "alice", "password": ledger.Redacted, "ledger.redactions": 1.0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if strings.Contains(out, "hunter2") {
			t.Errorf("output holds the secret: %s", out)
		}
	})
}

func TestTail(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fixture())
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"default 10", nil, []string{"req-1", "req-2", "req-3", "req-4", "req-5"}},
		{"last 2", []string{"-n", "2"}, []string{"req-4", "req-5"}},
		{"last 1 of a filter", []string{"-n", "1", "--component", "scanner"}, []string{"req-4"}},
		{"more than there are", []string{"-n", "6", "--run-id", "run-b"}, []string{"req-3", "req-4", "req-5"}},
		{"none", []string{"-n", "0"}, []string{}},
		{"no match", []string{"--type", "nope"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append(append([]string{"tail"}, tt.args...), w.dir)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, requestIDs(decodeLines(t, out))); diff != "" {
				t.Errorf("tail %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestTailLongOutput checks that tail and query cut the exported stream at
// line boundaries when it is written in chunks holding many lines.
func TestTailLongOutput(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fillers(60))
	messages := func(out string) []string {
		var ms []string
		for _, l := range decodeLines(t, out) {
			ms = append(ms, l.Body)
		}
		return ms
	}
	out, err := runCmd(t, "tail", "-n", "3", w.dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"filler 57", "filler 58", "filler 59"}, messages(out)); diff != "" {
		t.Errorf("tail -n 3 (-want +got):\n%s", diff)
	}
	out, err = runCmd(t, "query", "-limit", "25", w.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := messages(out); len(got) != 25 || got[24] != "filler 24" {
		t.Errorf("query -limit 25 gave %d entries, the last %q; want 25, the last \"filler 24\"", len(got), got[len(got)-1])
	}
}

func TestGroups(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fixture())
	g := func(fp string, count int, first, last time.Duration, sev ledger.Severity, typ, comp, msg string, lastID ledger.ID) group {
		return group{Fingerprint: fp, Count: count, FirstSeen: t0.Add(first), LastSeen: t0.Add(last),
			MaxSeverity: sev, Type: typ, Component: comp, Message: msg, LastID: lastID}
	}
	timeouts := g("fp-timeout", 2, 0, 3*time.Minute, ledger.SeverityHigh, "timeout", "scanner", "agent scanner timed out", w.ids[3])
	panics := g("fp-panic", 1, time.Minute, time.Minute, ledger.SeverityCritical, "panic", "themes", "agent themes panicked", w.ids[1])
	logins := g("fp-login", 1, 2*time.Minute, 2*time.Minute, ledger.SeverityInfo, "audit.login", "auth", "admin logged in", w.ids[2])
	inputs := g("fp-input", 1, 4*time.Minute, 4*time.Minute, ledger.SeverityLow, "invalid_input", "themes", "bad theme name", w.ids[4])

	tests := []struct {
		name string
		args []string
		want []group
	}{
		{"all, most frequent then most recent", nil, []group{timeouts, inputs, logins, panics}},
		{"limit", []string{"--limit", "2"}, []group{timeouts, inputs}},
		{"filter", []string{"--run-id", "run-a"}, []group{panics, g("fp-timeout", 1, 0, 0, ledger.SeverityMedium,
			"timeout", "scanner", "agent scanner timed out", w.ids[0])}},
		{"no match", []string{"--since", "2027-01-01T00:00:00Z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append(append([]string{"groups", "-json"}, tt.args...), w.dir)...)
			if err != nil {
				t.Fatal(err)
			}
			var got []group
			dec := json.NewDecoder(strings.NewReader(out))
			for dec.More() {
				var g group
				if err := dec.Decode(&g); err != nil {
					t.Fatalf("%v in %s", err, out)
				}
				got = append(got, g)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}

	t.Run("table", func(t *testing.T) {
		out, err := runCmd(t, "groups", "--component", "scanner", w.dir)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for line := range strings.Lines(out) {
			got = append(got, strings.Fields(line))
		}
		want := [][]string{
			{"FINGERPRINT", "COUNT", "FIRST", "SEEN", "LAST", "SEEN", "MAX", "SEVERITY", "TYPE", "COMPONENT", "MESSAGE"},
			{"fp-timeout", "2", "2026-11-26T10:00:00.000Z", "2026-11-26T10:03:00.000Z", "HIGH", "timeout", "scanner",
				`"agent`, "scanner", `timed`, `out"`},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s\n%s", diff, out)
		}
	})
}

func TestVerify(t *testing.T) {
	t.Run("intact", func(t *testing.T) {
		w := writeLedger(t, ledger.Options{}, fixture())
		out, err := runCmd(t, "verify", w.dir)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("ok: 5 records, seq 1 to 5, head %s, 0 signed checkpoints\n", w.head.Hash)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("empty", func(t *testing.T) {
		w := writeLedger(t, ledger.Options{}, nil)
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"verify"}, "ok: 0 records, 0 signed checkpoints\n"},
			{[]string{"query"}, ""},
			{[]string{"tail"}, ""},
			{[]string{"groups", "-json"}, ""},
		} {
			out, err := runCmd(t, append(tt.args, w.dir)...)
			if err != nil {
				t.Fatalf("%s: %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.args, diff)
			}
		}
	})

	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("signed checkpoints", func(t *testing.T) {
		w := writeLedger(t, ledger.Options{SigningKey: priv}, fixture())
		out, err := runCmd(t, "verify", "--verify-key", hex.EncodeToString(pub), w.dir)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("ok: 5 records, seq 1 to 5, head %s, 1 signed checkpoints\n", w.head.Hash)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}

		out, err = runCmd(t, "verify", "--verify-key", hex.EncodeToString(otherPub), w.dir)
		if err == nil {
			t.Fatalf("verify with another key succeeded:\n%s", out)
		}
		if want := "FAIL: first bad record: seq 5: checkpoint signature invalid\nrecord: {\"seq\":5,"; !strings.HasPrefix(out, want) {
			t.Errorf("output = %q, want it to start with %q", out, want)
		}
	})

	t.Run("truncated at a record boundary", func(t *testing.T) {
		w := writeLedger(t, ledger.Options{SigningKey: priv}, fixture())
		seg := segments(t, w.dir)[0]
		b := readFile(t, seg)
		fs := frames(t, b)
		last := fs[len(fs)-1]
		clear(b[last.off:]) // the record is gone, as if never written
		writeFile(t, seg, b)

		// Without the key a truncated ledger verifies: nothing says a
		// record is missing.
		out, err := runCmd(t, "verify", w.dir)
		if err != nil || !strings.HasPrefix(out, "ok: 4 records") {
			t.Fatalf("verify without key = %v, %q; want ok with 4 records", err, out)
		}
		out, err = runCmd(t, "verify", "--verify-key", hex.EncodeToString(pub), w.dir)
		if err == nil {
			t.Fatalf("verify of a truncated ledger succeeded:\n%s", out)
		}
		want := "FAIL: first bad record: seq 5: checkpoint at record 5 is beyond the head: records were removed\n"
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestVerifyDamage damages a multi-segment ledger in the ways a disk or an
// attacker can, and checks that verify fails naming the first bad record.
func TestVerifyDamage(t *testing.T) {
	const n = 60
	opts := ledger.Options{SegmentSize: 4 << 10} // about 12 records per segment
	tests := []struct {
		name string
		// damage changes the ledger in dir and returns the sequence number
		// of the first bad record.
		damage func(t *testing.T, dir string) uint64
		want   string // the start of the output
	}{
		{"flipped byte in a sealed segment", func(t *testing.T, dir string) uint64 {
			return flip(t, segments(t, dir)[0], 3)
		}, "FAIL: first bad record: seq %d in segment 00000000000000000001.seg at offset "},
		{"flipped byte inside the active segment", func(t *testing.T, dir string) uint64 {
			segs := segments(t, dir)
			active := segs[len(segs)-1]
			// Recovery calls damage corruption, not a torn tail, when a
			// complete later write batch follows it.
			if n := len(frames(t, readFile(t, active))); n < 3 {
				t.Fatalf("the active segment holds %d records, want at least 3", n)
			}
			return flip(t, active, 0)
		}, "FAIL: first bad record: seq %d in segment "},
		{"record rewritten with a valid checksum", func(t *testing.T, dir string) uint64 {
			seq := rewrite(t, segments(t, dir)[1], 2)
			return seq + 1 // the next record no longer links to it
		}, "FAIL: first bad record: seq %d: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := writeLedger(t, opts, fillers(n))
			if len(segments(t, w.dir)) < 3 {
				t.Fatalf("the ledger has fewer than 3 segments: %v", segments(t, w.dir))
			}
			seq := tt.damage(t, w.dir)
			out, err := runCmd(t, "verify", w.dir)
			if err == nil {
				t.Fatalf("verify succeeded on a damaged ledger:\n%s", out)
			}
			if want := fmt.Sprintf(tt.want, seq); !strings.HasPrefix(out, want) {
				t.Errorf("output = %q, want it to start with %q", out, want)
			}
			if got := exitCode(err, io.Discard); got != 1 {
				t.Errorf("exit status = %d, want 1", got)
			}
		})
	}

	t.Run("flipped byte in the last record", func(t *testing.T) {
		w := writeLedger(t, opts, fillers(n))
		segs := segments(t, w.dir)
		active := segs[len(segs)-1]
		flip(t, active, len(frames(t, readFile(t, active)))-1)
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{"verify", w.dir}, &stdout, &stderr)
		if err == nil {
			t.Fatalf("verify succeeded on a damaged ledger:\n%s", &stdout)
		}
		side, _ := filepath.Glob(active + ".torn-*")
		if len(side) != 1 {
			t.Fatalf("sidecar files = %q, want one", side)
		}
		want := fmt.Sprintf("FAIL: the active segment ended in damaged records, cut off into %s (an interrupted write or tampering); the %d records before them verify\n",
			filepath.Base(side[0]), n-1)
		if diff := cmp.Diff(want, stdout.String()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !strings.Contains(stderr.String(), "torn tail cut off") {
			t.Errorf("stderr does not warn of the cut: %q", &stderr)
		}
		// What remains verifies.
		out, err := runCmd(t, "verify", w.dir)
		if err != nil || !strings.HasPrefix(out, fmt.Sprintf("ok: %d records", n-1)) {
			t.Errorf("second verify = %v, %q; want ok", err, out)
		}
	})
}

// segments returns the paths of the segment files in dir, oldest first.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	slices.Sort(segs)
	return segs
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// frame locates one record in a segment file. The layout, from package
// ledger's frame.go: an 8-byte magic, then per record a 4-byte
// little-endian length (bit 31: end of a write batch), a 4-byte CRC-32C of
// the length and the payload, the JSON payload and a newline.
type frame struct {
	off     int    // of the frame header
	payload []byte // aliases the file's bytes
	seq     uint64
}

func frames(t *testing.T, b []byte) []frame {
	t.Helper()
	var fs []frame
	for off := 8; off+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off:]) &^ (1 << 31))
		if n == 0 {
			break // preallocated zeros
		}
		p := b[off+8 : off+8+n]
		var rec struct{ Seq uint64 }
		if err := json.Unmarshal(p, &rec); err != nil {
			t.Fatalf("frame at %d: %v", off, err)
		}
		fs = append(fs, frame{off: off, payload: p, seq: rec.Seq})
		off += 8 + n + 1
	}
	if len(fs) == 0 {
		t.Fatal("segment holds no frame")
	}
	return fs
}

// flip changes one byte in the message of the i-th record of the segment
// file seg, leaving its checksum stale, and returns the record's sequence
// number.
func flip(t *testing.T, seg string, i int) uint64 {
	t.Helper()
	b := readFile(t, seg)
	f := frames(t, b)[i]
	j := bytes.Index(f.payload, []byte("filler "))
	if j < 0 {
		t.Fatalf("record %d has no filler message", f.seq)
	}
	f.payload[j] ^= 0x20 // "filler" becomes "Filler"
	writeFile(t, seg, b)
	return f.seq
}

// rewrite changes the message of the i-th record of the segment file seg
// and recomputes the frame's checksum, as an attacker would, and returns
// the record's sequence number.
func rewrite(t *testing.T, seg string, i int) uint64 {
	t.Helper()
	b := readFile(t, seg)
	f := frames(t, b)[i]
	flipped := flip(t, seg, i)
	b = readFile(t, seg)
	tab := crc32.MakeTable(crc32.Castagnoli)
	p := b[f.off+8 : f.off+8+len(f.payload)]
	binary.LittleEndian.PutUint32(b[f.off+4:], crc32.Update(crc32.Checksum(b[f.off:f.off+4], tab), tab, p))
	writeFile(t, seg, b)
	return flipped
}

func TestUsageErrors(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fixture())
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"frob", w.dir}, `unknown command "frob"`},
		{"missing directory", []string{"query"}, "query: missing ledger directory"},
		{"unknown flag", []string{"query", "--nope", w.dir}, "flag provided but not defined: -nope"},
		{"bad since", []string{"query", "--since", "yesterday", w.dir}, "not an RFC 3339 time"},
		{"bad until", []string{"tail", "--until", "2026-11-26", w.dir}, "not an RFC 3339 time"},
		{"bad severity", []string{"groups", "--min-severity", "urgent", w.dir}, `invalid value "urgent" for flag -min-severity`},
		{"bad limit", []string{"query", "--limit", "many", w.dir}, `invalid value "many" for flag -limit`},
		{"negative limit", []string{"query", "--limit", "-1", w.dir}, "query: -limit must not be negative"},
		{"negative n", []string{"tail", "-n", "-1", w.dir}, "tail: -n must not be negative"},
		{"negative groups limit", []string{"groups", "-limit", "-1", w.dir}, "groups: -limit must not be negative"},
		{"flag after directory", []string{"query", w.dir, "--type", "timeout"}, `unexpected argument "--type" (flags go before DIR)`},
		{"two directories", []string{"verify", "-dir", w.dir, w.dir}, "verify: unexpected argument"},
		{"verify key not hex", []string{"verify", "--verify-key", "zz", w.dir}, "-verify-key must be 32 hex-encoded bytes"},
		{"verify key too short", []string{"verify", "--verify-key", "abcd", w.dir}, "-verify-key must be 32 hex-encoded bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
			if got := exitCode(err, io.Discard); got != 2 {
				t.Errorf("exit status = %d, want 2", got)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", &stdout)
			}
			// What the user sees: run's output, then main's report.
			exitCode(err, &stderr)
			if n := strings.Count(stderr.String(), tt.want); n != 1 {
				t.Errorf("stderr holds the error %d times, want once:\n%s", n, &stderr)
			}
			if !strings.Contains(stderr.String(), "usage") && !strings.Contains(stderr.String(), " -h\"") {
				t.Errorf("stderr shows no usage or help hint:\n%s", &stderr)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	w := writeLedger(t, ledger.Options{}, fixture())
	notLedger := t.TempDir()
	writeFile(t, filepath.Join(notLedger, "notes.txt"), []byte("hello"))
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name string
		ctx  context.Context
		args []string
		want string // in the error
	}{
		{"no such directory", t.Context(), []string{"query", filepath.Join(notLedger, "nope")}, "no such file or directory"},
		{"not a ledger", t.Context(), []string{"tail", notLedger}, "is not a ledger directory (no *.seg file)"},
		{"cancelled query", cancelled, []string{"query", w.dir}, "context canceled"},
		{"cancelled tail", cancelled, []string{"tail", w.dir}, "context canceled"},
		{"cancelled groups", cancelled, []string{"groups", w.dir}, "context canceled"},
		{"cancelled verify", cancelled, []string{"verify", w.dir}, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(tt.ctx, tt.args, &stdout, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
			if got := exitCode(err, io.Discard); got != 1 {
				t.Errorf("exit status = %d, want 1", got)
			}
			if strings.Contains(stdout.String(), "FAIL") {
				t.Errorf("an error that is no verdict printed %q", &stdout)
			}
		})
	}
	if entries, err := os.ReadDir(notLedger); err != nil || len(entries) != 1 {
		t.Errorf("the directory that is not a ledger changed: %v, %v", entries, err)
	}

	t.Run("in use", func(t *testing.T) {
		led, err := ledger.Open(w.dir, ledger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer led.Close()
		for _, cmd := range []string{"verify", "query", "tail", "groups"} {
			_, err := runCmd(t, cmd, w.dir)
			if !errors.Is(err, ledger.ErrLocked) || !strings.Contains(err.Error(), "in use by another process") {
				t.Errorf("%s on a held directory = %v, want ledger.ErrLocked explained", cmd, err)
			}
		}
	})
}

func TestHelp(t *testing.T) {
	out, err := runCmd(t, "help")
	if err != nil || out != usage {
		t.Errorf("help = %v, %q; want the usage on stdout", err, out)
	}
	var stderr bytes.Buffer
	err = run(t.Context(), []string{"query", "-h"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err, io.Discard) != 0 {
		t.Errorf("query -h = %v, want flag.ErrHelp and exit status 0", err)
	}
	for _, name := range []string{"-since", "-until", "-min-severity", "-type", "-component", "-request-id", "-run-id", "-fingerprint", "-limit", "-dir"} {
		if !strings.Contains(stderr.String(), name+" ") {
			t.Errorf("query -h does not list %s:\n%s", name, &stderr)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"help", flag.ErrHelp, 0, ""},
		{"usage", usagef("missing command"), 2, "ledgerctl: missing command\n" + usage},
		{"wrapped usage", fmt.Errorf("x: %w", usagef("bad")), 2, "ledgerctl: x: bad\n" + usage},
		{"command usage", (&command{name: "tail"}).usagef("bad %s", "n"), 2,
			"ledgerctl: tail: bad n\nRun \"ledgerctl tail -h\" for its flags.\n"},
		{"usage shown by the flag package", usageError{msg: "query: bad flag", shown: true}, 2, ""},
		{"failure", errors.New("verification failed"), 1, "ledgerctl: verification failed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			got := exitCode(tt.err, &stderr)
			if diff := cmp.Diff([]any{tt.wantCode, tt.wantStderr}, []any{got, stderr.String()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineWindow(t *testing.T) {
	tests := []struct {
		name      string
		skip, max int
		writes    []string
		want      string
		wantErr   error
	}{
		{"pass through", 0, 0, []string{"a\nb\n", "c\n"}, "a\nb\nc\n", nil},
		{"skip across writes", 2, 0, []string{"a\nb", "\nc\nd\n"}, "c\nd\n", nil},
		{"partial lines", 1, 0, []string{"aa", "a\nbb", "b\n"}, "bbb\n", nil},
		{"max stops", 0, 2, []string{"a\nb\nc\n"}, "a\nb\n", errEnough},
		{"max after skip", 1, 1, []string{"a\n", "b\n", "c\n"}, "b\n", errEnough},
		{"max exactly reached", 0, 2, []string{"a\nb\n"}, "a\nb\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			lw := &lineWindow{w: &out, skip: tt.skip, max: tt.max}
			var err error
			for _, s := range tt.writes {
				var n int
				n, err = lw.Write([]byte(s))
				if err != nil {
					break
				}
				if n != len(s) {
					t.Fatalf("Write(%q) = %d, nil; want %d", s, n, len(s))
				}
			}
			if !errors.Is(err, tt.wantErr) || out.String() != tt.want {
				t.Errorf("got %q, %v; want %q, %v", &out, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestMainExitStatus runs main in a child process and checks its exit
// status: 0 on success, 1 when verification fails, 2 on a usage error.
func TestMainExitStatus(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	good := writeLedger(t, ledger.Options{}, fixture())
	bad := writeLedger(t, ledger.Options{SegmentSize: 4 << 10}, fillers(30))
	flip(t, segments(t, bad.dir)[0], 0)
	tests := []struct {
		name   string
		args   string
		status int
		stdout string // a prefix
	}{
		{"verify ok", "verify " + good.dir, 0, "ok: 5 records"},
		{"verify fails", "verify " + bad.dir, 1, "FAIL: first bad record: seq 1 "},
		{"usage", "query -limit -1 " + good.dir, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), "LEDGERCTL_RUN_MAIN="+tt.args)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.HasPrefix(stdout.String(), tt.stdout) {
				t.Errorf("exit status %d, stdout %q; want %d, %q...\nstderr: %s", status, &stdout, tt.status, tt.stdout, &stderr)
			}
			if tt.status != 0 && !strings.HasPrefix(stderr.String(), "ledgerctl: ") {
				t.Errorf("stderr = %q, want the error", &stderr)
			}
		})
	}
}
