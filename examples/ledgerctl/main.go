// Command ledgerctl inspects a ledger directory written by package
// github.com/devskyy/devskyy/ledger: it verifies its hash chain, queries
// it with the package's filters, shows its last entries and groups its
// entries by fingerprint.
//
//	ledgerctl verify [-verify-key HEX] DIR
//	ledgerctl query  [filters] [-limit N] DIR
//	ledgerctl tail   [filters] [-n N] DIR
//	ledgerctl groups [filters] [-limit N] [-json] DIR
//
// DIR may also be given with -dir. The filters are those of ledger.Filter:
//
//	-since, -until     RFC 3339 times (since inclusive, until exclusive)
//	-min-severity      INFO, LOW, MEDIUM, HIGH or CRITICAL
//	-type, -component, -request-id, -run-id, -fingerprint   exact matches
//
// Flags may be spelled with one dash or two and must come before DIR.
//
// # Output
//
// query and tail write JSON lines in the OpenTelemetry log data model shape
// of ledger.Ledger.Export, oldest first. groups writes a table (or JSON lines
// with -json), most frequent first. verify prints a one-line summary, or the
// first bad record and its reason.
//
// # Exit status
//
// 0 on success; 1 on an error, including a failed verification; 2 on a
// usage error (unknown command or flag, bad flag value, missing DIR).
//
// # Locking: do not run ledgerctl against a live process's directory
//
// The ledger package has no read-only mode: opening a ledger takes the
// directory's exclusive lock and recovers the active segment (a torn tail
// left by a crash is moved to a *.torn-* sidecar file, with a warning on
// stderr). Against the directory of a running process ledgerctl therefore
// fails at once with "in use by another process", and while ledgerctl runs
// that process cannot open its ledger. Stop the process first, or run
// ledgerctl on a copy of the directory (cp -a): a copy taken while the
// process writes is a crash image, which recovery handles.
//
// For the same reason tail has no -f: nothing else can append to a
// directory while ledgerctl holds it, so there is nothing to follow.
//
// ledgerctl refuses a directory that holds no segment file, so that a
// mistyped path is an error rather than a new empty ledger.
//
// # Verification
//
// verify walks the whole hash chain from the anchor to the head (see
// ledger.Ledger.Verify). Without -verify-key (the hex ed25519 public key
// matching the writer's signing key) signed checkpoints are not checked,
// so a ledger truncated at its end still verifies.
//
// When opening the ledger cut a torn tail off the active segment (see
// Locking), verify fails (exit status 1) and names the sidecar file: it
// cannot tell the torn end of an interrupted write from tampering with the
// last records. The records before the cut are verified all the same, and
// a second verify checks what remains.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/devskyy/devskyy/ledger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and returns the exit status for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if !errors.As(err, &ue) {
		fmt.Fprintln(stderr, "ledgerctl:", err)
		return 1
	}
	if !ue.shown {
		fmt.Fprintln(stderr, "ledgerctl:", err)
		fmt.Fprint(stderr, ue.hint)
	}
	return 2
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct {
	msg   string
	hint  string // printed after the message: the usage, or where to find it
	shown bool   // the flag package has printed the message and the usage
}

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...), hint: usage}
}

const usage = `usage: ledgerctl <command> [flags] DIR

commands:
  verify   check the hash chain (and signed checkpoints with -verify-key)
  query    print the entries matching the filters as JSON lines
  tail     print the last -n entries matching the filters as JSON lines
  groups   print the fingerprint groups: count, first and last seen

Run "ledgerctl <command> -h" for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("missing command")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "verify":
		return verify(ctx, args, stdout, stderr)
	case "query":
		return query(ctx, args, stdout, stderr)
	case "tail":
		return tail(ctx, args, stdout, stderr)
	case "groups":
		return groups(ctx, args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usagef("unknown command %q", cmd)
	}
}

// command holds the flags every command shares.
type command struct {
	name string
	fs   *flag.FlagSet
	dir  string
	cut  []string // torn-tail sidecar files that opening the ledger created
}

func newCommand(name string, stderr io.Writer) *command {
	c := &command{name: name, fs: flag.NewFlagSet("ledgerctl "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ledgerctl %s [flags] DIR\n\nflags:\n", name)
		c.fs.PrintDefaults()
	}
	c.fs.StringVar(&c.dir, "dir", "", "ledger `directory` (or give it as the argument)")
	return c
}

// usagef returns a usage error of the command.
func (c *command) usagef(format string, args ...any) error {
	return usageError{msg: c.name + ": " + fmt.Sprintf(format, args...),
		hint: fmt.Sprintf("Run \"ledgerctl %s -h\" for its flags.\n", c.name)}
}

// filterFlags declares the flags of a ledger.Filter on c.
func (c *command) filterFlags(f *ledger.Filter) {
	timeFlag := func(t *time.Time) func(string) error {
		return func(s string) error {
			v, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return errors.New("not an RFC 3339 time, e.g. 2026-11-26T14:00:00Z")
			}
			*t = v
			return nil
		}
	}
	c.fs.Func("since", "entries at or after this RFC 3339 `time`", timeFlag(&f.Since))
	c.fs.Func("until", "entries before this RFC 3339 `time`", timeFlag(&f.Until))
	c.fs.TextVar(&f.MinSeverity, "min-severity", ledger.SeverityInfo, "minimum `severity`: INFO, LOW, MEDIUM, HIGH or CRITICAL")
	c.fs.StringVar(&f.Type, "type", "", "entry `type` (exact)")
	c.fs.StringVar(&f.Component, "component", "", "`component` (exact)")
	c.fs.StringVar(&f.RequestID, "request-id", "", "request `id` (exact)")
	c.fs.StringVar(&f.RunID, "run-id", "", "run `id` (exact)")
	c.fs.StringVar(&f.Fingerprint, "fingerprint", "", "`fingerprint` (exact)")
}

// parse parses args and settles the directory.
func (c *command) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{msg: c.name + ": " + err.Error(), shown: true}
	}
	rest := c.fs.Args()
	if c.dir == "" && len(rest) > 0 {
		c.dir, rest = rest[0], rest[1:]
	}
	switch {
	case len(rest) > 0:
		return c.usagef("unexpected argument %q (flags go before DIR)", rest[0])
	case c.dir == "":
		return c.usagef("missing ledger directory")
	}
	return nil
}

// open opens the ledger in c.dir, which must already hold a segment.
// Warnings of the store (a torn tail cut off) go to stderr.
func (c *command) open(opts ledger.Options, stderr io.Writer) (*ledger.Ledger, error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	if !hasSegment(ents) {
		return nil, fmt.Errorf("%s is not a ledger directory (no *.seg file)", c.dir)
	}
	before := sidecars(c.dir)
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	led, err := ledger.Open(c.dir, opts)
	if errors.Is(err, ledger.ErrLocked) {
		return nil, fmt.Errorf("%s is in use by another process: stop it or run ledgerctl on a copy (%w)", c.dir, err)
	}
	for _, name := range sidecars(c.dir) {
		if !slices.Contains(before, name) {
			c.cut = append(c.cut, name)
		}
	}
	return led, err
}

// sidecars returns the names of the torn-tail sidecar files in dir.
func sidecars(dir string) []string {
	names, _ := filepath.Glob(filepath.Join(dir, "*.seg.torn-*")) // the pattern is valid
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func hasSegment(ents []os.DirEntry) bool {
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".seg") {
			return true
		}
	}
	return false
}

func verify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("verify", stderr)
	keyHex := c.fs.String("verify-key", "", "hex ed25519 public `key` that checks the signed checkpoints")
	if err := c.parse(args); err != nil {
		return err
	}
	var opts ledger.Options
	if *keyHex != "" {
		key, err := hex.DecodeString(*keyHex)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return c.usagef("-verify-key must be %d hex-encoded bytes", ed25519.PublicKeySize)
		}
		opts.VerifyKey = key
	}
	led, err := c.open(opts, stderr)
	if err != nil {
		if ce := (*ledger.CorruptError)(nil); errors.As(err, &ce) {
			return badRecord(ctx, nil, err, stdout)
		}
		return err
	}
	defer led.Close()
	rep, err := led.Verify(ctx)
	if err != nil {
		return badRecord(ctx, led, err, stdout)
	}
	if len(c.cut) > 0 {
		// An interrupted write and a tampered last batch look the same.
		fmt.Fprintf(stdout, "FAIL: the active segment ended in damaged records, cut off into %s (an interrupted write or tampering); the %d records before them verify\n",
			strings.Join(c.cut, ", "), rep.Records)
		return errors.New("verification failed: damaged tail cut off")
	}
	if rep.Records == 0 {
		fmt.Fprintf(stdout, "ok: 0 records, %d signed checkpoints\n", rep.Checkpoints)
		return nil
	}
	fmt.Fprintf(stdout, "ok: %d records, seq %d to %d, head %s, %d signed checkpoints\n",
		rep.Records, rep.Anchor.Seq+1, rep.Head.Seq, rep.Head.Hash, rep.Checkpoints)
	return nil
}

// badRecord prints the first bad record that err reports and returns the
// verification failure. led, when not nil, is scanned for the record's
// stored bytes.
func badRecord(ctx context.Context, led *ledger.Ledger, err error, stdout io.Writer) error {
	var (
		ve *ledger.VerifyError
		ce *ledger.CorruptError
	)
	switch {
	case errors.As(err, &ve):
		fmt.Fprintf(stdout, "FAIL: first bad record: seq %d: %s\n", ve.Seq, ve.Reason)
		if led != nil {
			for rec, serr := range led.Store().Scan(ctx, ledger.Filter{}) {
				if serr != nil || rec.Seq > ve.Seq {
					break
				}
				if rec.Seq == ve.Seq {
					fmt.Fprintf(stdout, "record: %s\n", rec.Data)
				}
			}
		}
	case errors.As(err, &ce):
		fmt.Fprintf(stdout, "FAIL: first bad record: seq %d in segment %s at offset %d: %s\n",
			ce.Seq, ce.Segment, ce.Offset, ce.Reason)
	default:
		return err // not a verdict: the check could not run (cancelled, I/O)
	}
	return fmt.Errorf("verification failed: %w", err)
}

func query(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("query", stderr)
	var f ledger.Filter
	c.filterFlags(&f)
	limit := c.fs.Int("limit", 0, "print at most `n` entries (0: all)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *limit < 0 {
		return c.usagef("-limit must not be negative")
	}
	led, err := c.open(ledger.Options{}, stderr)
	if err != nil {
		return err
	}
	defer led.Close()
	return export(ctx, led, f, &lineWindow{w: stdout, max: *limit})
}

func tail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("tail", stderr)
	var f ledger.Filter
	c.filterFlags(&f)
	n := c.fs.Int("n", 10, "print the last `n` matching entries")
	if err := c.parse(args); err != nil {
		return err
	}
	if *n < 0 {
		return c.usagef("-n must not be negative")
	}
	led, err := c.open(ledger.Options{}, stderr)
	if err != nil {
		return err
	}
	defer led.Close()
	// Two passes: count, then export the last n. Nothing can append in
	// between: this process holds the directory's lock.
	total := 0
	for _, err := range led.Query(ctx, f) {
		if err != nil {
			return err
		}
		total++
	}
	if *n == 0 {
		return nil
	}
	return export(ctx, led, f, &lineWindow{w: stdout, skip: max(total-*n, 0)})
}

// export writes the entries matching f to lw, stopping early once lw has
// had its fill.
func export(ctx context.Context, led *ledger.Ledger, f ledger.Filter, lw *lineWindow) error {
	if _, err := led.Export(ctx, lw, f); err != nil && !errors.Is(err, errEnough) {
		return err
	}
	return nil
}

// errEnough stops an export once a lineWindow has written its lines.
var errEnough = errors.New("enough lines")

// lineWindow passes on the lines written to it after skipping the first skip
// lines, and fails with errEnough after max lines (max 0: no limit). JSON
// lines hold no raw newline, so counting '\n' counts entries.
type lineWindow struct {
	w         io.Writer
	skip, max int
	written   int
}

func (lw *lineWindow) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		if lw.max > 0 && lw.written == lw.max {
			return done, errEnough
		}
		end := len(p)
		i := bytes.IndexByte(p[done:], '\n')
		if i >= 0 {
			end = done + i + 1
		}
		if lw.skip == 0 {
			if _, err := lw.w.Write(p[done:end]); err != nil {
				return done, err
			}
		}
		if i >= 0 {
			if lw.skip > 0 {
				lw.skip--
			} else {
				lw.written++
			}
		}
		done = end
	}
	return done, nil
}

// group is the JSON form of a ledger.Group printed by groups -json.
type group struct {
	Fingerprint string          `json:"fingerprint"`
	Count       int             `json:"count"`
	FirstSeen   time.Time       `json:"first_seen"`
	LastSeen    time.Time       `json:"last_seen"`
	MaxSeverity ledger.Severity `json:"max_severity"`
	Type        string          `json:"type,omitempty"`
	Component   string          `json:"component,omitempty"`
	Message     string          `json:"message"`
	LastID      ledger.ID       `json:"last_id"`
}

func groups(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("groups", stderr)
	var f ledger.Filter
	c.filterFlags(&f)
	limit := c.fs.Int("limit", 0, "print at most `n` groups, the most frequent (0: all)")
	asJSON := c.fs.Bool("json", false, "print JSON lines instead of a table")
	if err := c.parse(args); err != nil {
		return err
	}
	if *limit < 0 {
		return c.usagef("-limit must not be negative")
	}
	led, err := c.open(ledger.Options{}, stderr)
	if err != nil {
		return err
	}
	defer led.Close()
	gs, err := led.Groups(ctx, f)
	if err != nil {
		return err
	}
	if *limit > 0 && len(gs) > *limit {
		gs = gs[:*limit]
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, g := range gs {
			if err := enc.Encode(group{g.Fingerprint, g.Count, g.FirstSeen, g.LastSeen,
				g.MaxSeverity, g.Type, g.Component, g.Message, g.LastID}); err != nil {
				return err
			}
		}
		return nil
	}
	const stamp = "2006-01-02T15:04:05.000Z07:00"
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tCOUNT\tFIRST SEEN\tLAST SEEN\tMAX SEVERITY\tTYPE\tCOMPONENT\tMESSAGE")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Fingerprint, g.Count,
			g.FirstSeen.UTC().Format(stamp), g.LastSeen.UTC().Format(stamp), g.MaxSeverity,
			orDash(g.Type), orDash(g.Component), strconv.Quote(g.Message))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
