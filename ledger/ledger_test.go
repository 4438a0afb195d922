package ledger_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/devskyy/devskyy/ledger"
	"github.com/devskyy/devskyy/ledger/ledgertest"
	"github.com/google/go-cmp/cmp"
)

func newMem(t *testing.T, opts ledger.Options) *ledger.Ledger {
	t.Helper()
	l, err := ledger.New(ledger.NewMemoryStore(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func all(t *testing.T, l *ledger.Ledger, f ledger.Filter) []ledger.Entry {
	t.Helper()
	var es []ledger.Entry
	for e, err := range l.Query(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

func mustRecord(t *testing.T, l *ledger.Ledger, e ledger.Entry) ledger.ID {
	t.Helper()
	id, err := l.Record(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestConformanceMemory(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store { return ledger.NewMemoryStore() })
}

func TestConformanceFile(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		s, err := ledger.OpenFileStore(t.TempDir(), ledger.Options{SegmentSize: 4096})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		s     ledger.Severity
		text  string
		level slog.Level
		otel  int
	}{
		{ledger.SeverityInfo, "INFO", slog.LevelInfo, 9},
		{ledger.SeverityLow, "LOW", slog.LevelWarn, 13},
		{ledger.SeverityMedium, "MEDIUM", slog.LevelError, 17},
		{ledger.SeverityHigh, "HIGH", slog.LevelError + 2, 19},
		{ledger.SeverityCritical, "CRITICAL", slog.LevelError + 4, 21},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			b, err := tt.s.MarshalText()
			if err != nil || string(b) != tt.text || tt.s.String() != tt.text {
				t.Fatalf("MarshalText = %q, %v; String = %q", b, err, tt.s)
			}
			var got ledger.Severity
			if err := got.UnmarshalText([]byte(strings.ToLower(tt.text))); err != nil || got != tt.s {
				t.Fatalf("UnmarshalText = %v, %v", got, err)
			}
			if diff := cmp.Diff([]any{tt.level, tt.otel, tt.s}, []any{tt.s.SlogLevel(), tt.s.OTelSeverityNumber(), ledger.SeverityFromLevel(tt.s.SlogLevel())}); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
	bad := ledger.Severity(9)
	if _, err := bad.MarshalText(); err == nil || bad.String() != "Severity(9)" {
		t.Fatalf("invalid severity: %v %q", err, bad)
	}
	var s ledger.Severity
	if err := s.UnmarshalText([]byte("SEVERE")); err == nil {
		t.Fatal("UnmarshalText accepted SEVERE")
	}
	if ledger.SeverityFromLevel(slog.LevelDebug) != ledger.SeverityInfo || ledger.SeverityFromLevel(slog.LevelError+1) != ledger.SeverityMedium {
		t.Fatal("SeverityFromLevel rounding")
	}
	if ledger.Severity(-1).SlogLevel() != slog.LevelInfo || ledger.Severity(7).OTelSeverityNumber() != 21 {
		t.Fatal("out-of-range severity mapping")
	}
}

func TestID(t *testing.T) {
	a := ledger.NewID()
	if a.IsZero() || !(ledger.ID{}).IsZero() {
		t.Fatal("IsZero")
	}
	s := a.String()
	if len(s) != 26 {
		t.Fatalf("len %d", len(s))
	}
	b, err := ledger.ParseID(strings.ToLower(s))
	if err != nil || b != a {
		t.Fatalf("ParseID = %v, %v", b, err)
	}
	if d := time.Since(a.Time()); d < 0 || d > time.Minute {
		t.Fatalf("ID time off by %v", d)
	}
	var c ledger.ID
	txt, _ := a.MarshalText()
	if err := c.UnmarshalText(txt); err != nil || c != a {
		t.Fatal("text round trip")
	}
	max := ledger.ID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if got, _ := ledger.ParseID(max.String()); got != max || max.String() != "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" {
		t.Fatalf("max id %s", max)
	}
	if got, _ := ledger.ParseID("0O1IL" + strings.Repeat("0", 21)); got.String() != "00111"+strings.Repeat("0", 21) {
		t.Fatalf("crockford aliases: %s", got)
	}
	for _, bad := range []string{"", "short", strings.Repeat("U", 26), "8" + strings.Repeat("0", 25)} {
		if _, err := ledger.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
		if err := c.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", bad)
		}
	}
	// Sortable: ids of later milliseconds sort after.
	x := ledger.NewID()
	for ledger.NewID().Time().Equal(x.Time()) {
	}
	y := ledger.NewID()
	if !(x.String() < y.String()) || bytes.Compare(x[:], y[:]) >= 0 {
		t.Fatalf("ids not sorted: %s %s", x, y)
	}
}

func TestContextIDs(t *testing.T) {
	ctx := context.Background()
	if ledger.RequestIDFrom(ctx) != "" || ledger.RunIDFrom(ctx) != "" {
		t.Fatal("empty context carries ids")
	}
	ctx = ledger.WithRunID(ledger.WithRequestID(ctx, "req"), "run")
	if ledger.RequestIDFrom(ctx) != "req" || ledger.RunIDFrom(ctx) != "run" {
		t.Fatal("ids not carried")
	}
}

func TestRecordFills(t *testing.T) {
	l := newMem(t, ledger.Options{})
	ctx := ledger.WithRunID(ledger.WithRequestID(context.Background(), "req-ctx"), "run-ctx")
	pre := ledger.NewID()
	when := time.Date(2026, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		in   ledger.Entry
		want func(e ledger.Entry) bool
	}{
		{"fills", ledger.Entry{Message: "m"}, func(e ledger.Entry) bool {
			return !e.ID.IsZero() && !e.Time.IsZero() && e.RunID == "run-ctx" && e.RequestID == "req-ctx" && e.Fingerprint != ""
		}},
		{"keeps", ledger.Entry{ID: pre, Time: when, RunID: "r", RequestID: "q", Fingerprint: "fp"}, func(e ledger.Entry) bool {
			return e.ID == pre && e.Time.Equal(when) && e.Time.Location() == time.UTC && e.RunID == "r" && e.RequestID == "q" && e.Fingerprint == "fp"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := l.Record(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			e, err := l.Get(context.Background(), id)
			if err != nil || !tt.want(e) {
				t.Fatalf("got %+v, %v", e, err)
			}
		})
	}
	if _, err := l.Get(context.Background(), ledger.NewID()); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Record(cctx, ledger.Entry{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Record with cancelled ctx: %v", err)
	}
}

type secretValuer struct{}

func (secretValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("password", "hunter2"), slog.String("user", "bob"))
}

type stringer struct{}

func (stringer) String() string { return "Bearer abcdefghijklmnop" }

func TestRedaction(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
	tests := []struct {
		name  string
		in    ledger.Entry
		want  string // JSON of the stored attrs and message
		count int
	}{
		{"deny keys", ledger.Entry{Attrs: []slog.Attr{slog.String("password", "p"), slog.String("Authorization", "Basic x"),
			slog.String("X-Api-Key", "k"), slog.String("session_id", "s"), slog.Int("retry_token_count", 3), slog.String("user", "bob")}},
			`{"password":"[REDACTED]","Authorization":"[REDACTED]","X-Api-Key":"[REDACTED]","session_id":"[REDACTED]","retry_token_count":"[REDACTED]","user":"bob"}`, 5},
		{"extra deny key", ledger.Entry{Attrs: []slog.Attr{slog.String("ssn", "123")}}, `{"ssn":"[REDACTED]"}`, 1},
		{"values", ledger.Entry{Attrs: []slog.Attr{slog.String("h", "Bearer abc.def-ghi_jkl"), slog.String("j", "tok="+jwt), slog.String("k", pem)}},
			`{"h":"Bearer [REDACTED]","j":"tok=[REDACTED]","k":"[REDACTED]"}`, 3},
		{"log valuer and group", ledger.Entry{Attrs: []slog.Attr{slog.Any("v", secretValuer{}), slog.Group("g", slog.String("cookie", "c"))}},
			`{"v":{"password":"[REDACTED]","user":"bob"},"g":{"cookie":"[REDACTED]"}}`, 2},
		{"denied group", ledger.Entry{Attrs: []slog.Attr{slog.Group("secrets", slog.String("a", "b"))}}, `{"secrets":"[REDACTED]"}`, 1},
		{"error stringer bytes", ledger.Entry{Attrs: []slog.Attr{slog.Any("err", errors.New("auth Bearer zzzzzzzzzz failed")), slog.Any("s", stringer{}), slog.Any("b", []byte(jwt))}},
			`{"err":"auth Bearer [REDACTED] failed","s":"Bearer [REDACTED]","b":"[REDACTED]"}`, 3},
		{"message", ledger.Entry{Message: "login with " + jwt + " failed"}, `null "login with [REDACTED] failed"`, 1},
		{"clean", ledger.Entry{Message: "bearer of bad news", Attrs: []slog.Attr{slog.String("a", "eyJ short")}}, `{"a":"eyJ short"} "bearer of bad news"`, 0},
	}
	l := newMem(t, ledger.Options{DenyKeys: []string{"S.S.N", ""}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := append([]slog.Attr(nil), tt.in.Attrs...)
			id := mustRecord(t, l, tt.in)
			e, _ := l.Get(context.Background(), id)
			got := attrsJSON(t, e.Attrs)
			if tt.in.Message != "" {
				got += " " + quote(e.Message)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || e.Redactions != tt.count {
				t.Fatalf("redactions %d, want %d; (-want +got)\n%s", e.Redactions, tt.count, diff)
			}
			for i := range orig {
				if orig[i].String() != tt.in.Attrs[i].String() {
					t.Fatal("caller's attrs mutated")
				}
			}
		})
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func attrsJSON(t *testing.T, as []slog.Attr) string {
	t.Helper()
	if as == nil {
		return "null"
	}
	var b bytes.Buffer
	h := slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if len(g) == 0 && (a.Key == "time" || a.Key == "level" || a.Key == "msg") {
			return slog.Attr{}
		}
		return a
	}})
	r := slog.NewRecord(time.Time{}, 0, "", 0)
	r.AddAttrs(as...)
	h.Handle(context.Background(), r)
	return strings.TrimSpace(b.String())
}

func TestFingerprint(t *testing.T) {
	norm := []struct{ in, want string }{
		{"timeout after 30s on host 10.0.0.7", "timeout after # on host #.#.#.#"},
		{`user "bob" not found`, "user ? not found"},
		{"can't open 'x.txt': it's gone", "can't open ?: it's gone"},
		{"object deadbeefcafe missing; id 3f2a-9b", "object # missing; id #-#"},
		{"unterminated \"quote", "unterminated \"quote"},
		{"short abc def", "short abc def"},
	}
	for _, tt := range norm {
		if got := ledger.NormalizeMessage(tt.in); got != tt.want {
			t.Errorf("NormalizeMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	stack1 := "goroutine 7 [running]:\nruntime/debug.Stack()\n\t/go/src/runtime/debug/stack.go:26 +0x5e\npanic({0x1, 0x2})\n\t/go/src/runtime/panic.go:785\nmain.(*Server).handle(0xc000, 0x1)\n\t/app/server.go:42 +0x1d\nmain.run()\n\t/app/main.go:10\nmain.main()\n\t/app/main.go:5\nmain.extra()\n"
	stack2 := strings.ReplaceAll(strings.ReplaceAll(stack1, ":42", ":99"), "0xc000", "0xd000")
	fp := func(e ledger.Entry) string { return ledger.DefaultFingerprint(&e) }
	base := ledger.Entry{Type: "panic", Message: "index 3 out of range", Stack: stack1}
	same := []ledger.Entry{
		{Type: "panic", Message: "index 7 out of range", Stack: stack2},
		{Type: "panic", Message: "index 3 out of range", Stack: stack1 + "main.deeper()\n"},
	}
	diff := []ledger.Entry{
		{Type: "oops", Message: "index 3 out of range", Stack: stack1},
		{Type: "panic", Message: "key 3 out of range", Stack: stack1},
		{Type: "panic", Message: "index 3 out of range", Stack: strings.Replace(stack1, "handle", "serve", 1)},
		{Type: "panic", Message: "index 3 out of range", Stack: "Traceback:\n  File x, line 3, in f\n"},
	}
	for i, e := range same {
		if fp(e) != fp(base) {
			t.Errorf("same[%d]: fingerprints differ", i)
		}
	}
	for i, e := range diff {
		if fp(e) == fp(base) {
			t.Errorf("diff[%d]: fingerprints equal", i)
		}
	}
	py1 := ledger.Entry{Message: "x", Stack: "Traceback:\n  File a.py, line 3, in f\n"}
	py2 := ledger.Entry{Message: "x", Stack: "Traceback:\n  File a.py, line 9, in f\n"}
	if fp(py1) != fp(py2) || len(fp(py1)) != 16 {
		t.Error("generic stack fingerprint depends on line numbers")
	}
	l := newMem(t, ledger.Options{Fingerprint: func(e *ledger.Entry) string { return "custom-" + e.Type }})
	id := mustRecord(t, l, ledger.Entry{Type: "x"})
	if e, _ := l.Get(context.Background(), id); e.Fingerprint != "custom-x" {
		t.Fatalf("custom fingerprint: %q", e.Fingerprint)
	}
}

func TestGroupsAndRunSummary(t *testing.T) {
	l := newMem(t, ledger.Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := ledger.WithRunID(context.Background(), "run-1")
	for i := range 5 {
		l.Record(ctx, ledger.Entry{Time: t0.Add(time.Duration(i) * time.Hour), Type: "timeout", Message: fmt.Sprintf("call %d timed out", i), Severity: ledger.SeverityHigh})
	}
	l.Record(ctx, ledger.Entry{Time: t0.Add(10 * time.Hour), Type: "panic", Message: "boom", Severity: ledger.SeverityCritical})
	l.Record(ctx, ledger.Entry{Time: t0.Add(11 * time.Hour), Type: "panic", Message: "boom", Severity: ledger.SeverityCritical})
	l.Record(context.Background(), ledger.Entry{Time: t0, Type: "other", Message: "x", RunID: "run-2"})
	gs, err := l.Groups(context.Background(), ledger.Filter{RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	type g struct {
		Type         string
		Count        int
		First, Last  time.Time
		Max          ledger.Severity
		FirstMessage string
	}
	var got []g
	for _, x := range gs {
		got = append(got, g{x.Type, x.Count, x.FirstSeen, x.LastSeen, x.MaxSeverity, x.Message})
	}
	want := []g{
		{"timeout", 5, t0, t0.Add(4 * time.Hour), ledger.SeverityHigh, "call 0 timed out"},
		{"panic", 2, t0.Add(10 * time.Hour), t0.Add(11 * time.Hour), ledger.SeverityCritical, "boom"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("groups (-want +got)\n%s", diff)
	}
	s, err := l.RunSummary(context.Background(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 7 || s.Counts[ledger.SeverityHigh] != 5 || s.Counts[ledger.SeverityCritical] != 2 || len(s.Critical) != 2 ||
		!s.First.Equal(t0) || !s.Last.Equal(t0.Add(11*time.Hour)) {
		t.Fatalf("run summary %+v", s)
	}
}

func TestExportOTel(t *testing.T) {
	l := newMem(t, ledger.Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)
	id := mustRecord(t, l, ledger.Entry{Time: t0, Type: "panic", Severity: ledger.SeverityCritical, Message: "boom", Component: "c",
		RunID: "r", RequestID: "q", TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", Stack: "main.f()\n", Fingerprint: "fp",
		Attrs: []slog.Attr{slog.Group("http", slog.Int("status", 500)), slog.String("token", "t"), slog.Group("", slog.Bool("inline", true))}})
	var b bytes.Buffer
	n, err := l.Export(context.Background(), &b, ledger.Filter{})
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Timestamp": "2026-01-01T00:00:00.000000005Z", "SeverityText": "CRITICAL", "SeverityNumber": 21.0, "Body": "boom",
		"EventName": "panic", "TraceId": "0af7651916cd43dd8448eb211c80319c", "SpanId": "b7ad6b7169203331",
		"Attributes": map[string]any{"ledger.id": id.String(), "ledger.seq": 1.0, "ledger.run_id": "r", "ledger.component": "c",
			"ledger.request_id": "q", "ledger.fingerprint": "fp", "ledger.redactions": 1.0, "exception.type": "panic",
			"exception.stacktrace": "main.f()\n", "http.status": 500.0, "token": "[REDACTED]", "inline": true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	if _, err := l.Export(context.Background(), failWriter{}, ledger.Filter{}); err == nil {
		t.Fatal("export to a failing writer succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAttrsRoundTrip(t *testing.T) {
	l, err := ledger.Open(t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := []slog.Attr{
		slog.String("s", "a\"b\\c\n\t\x01<>&\u2028é\xff"), slog.Int("i", -3), slog.Uint64("u", math.MaxUint64), slog.Float64("f", 1.5),
		slog.Float64("nan", math.NaN()), slog.Bool("b", true), slog.Duration("d", time.Second), slog.Time("t", t0),
		slog.Any("m", map[string]int{"k": 1}), slog.Any("nil", nil), slog.Any("arr", []any{1, "x", []int{2}}),
		slog.Group("g", slog.Int("x", 1), slog.Group("empty")), slog.Attr{}, slog.Any("ch", make(chan int)),
	}
	id := mustRecord(t, l, ledger.Entry{Attrs: in})
	e, err := l.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"a\"b\\c\n\t\u0001<>&\u2028é` + "\ufffd" + `","i":-3,"u":18446744073709551615,"f":1.5,"nan":"NaN","b":true,"d":"1s","t":"2026-01-01T00:00:00Z","m":{"k":1},"nil":null,"arr":[1,"x",[2]],"g":{"x":1},"ch":"0x`
	got := attrsJSON(t, e.Attrs)
	if !strings.HasPrefix(got, want) {
		t.Fatalf("attrs\n got %s\nwant %s...", got, want)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    ledger.Options
	}{
		{"durability", ledger.Options{Durability: 9}},
		{"negative", ledger.Options{MaxAge: -1}},
		{"tiny segment", ledger.Options{SegmentSize: 100}},
		{"huge entry", ledger.Options{MaxEntrySize: 1 << 30}},
		{"signing key", ledger.Options{SigningKey: make([]byte, 3)}},
		{"verify key", ledger.Options{VerifyKey: make([]byte, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ledger.New(ledger.NewMemoryStore(), tt.o); err == nil {
				t.Fatal("New accepted invalid options")
			}
			if _, err := ledger.Open(t.TempDir(), tt.o); err == nil {
				t.Fatal("Open accepted invalid options")
			}
		})
	}
	if _, err := ledger.New(nil, ledger.Options{}); err == nil {
		t.Fatal("New accepted a nil store")
	}
	for d, s := range map[ledger.Durability]string{ledger.GroupCommit: "group-commit", ledger.SyncEach: "sync-each", ledger.SyncInterval: "sync-interval", ledger.NoSync: "no-sync", 7: "Durability(7)"} {
		if d.String() != s {
			t.Errorf("%d.String() = %q", d, d)
		}
	}
}

func TestTooLarge(t *testing.T) {
	l := newMem(t, ledger.Options{MaxEntrySize: 1000})
	if _, err := l.Record(context.Background(), ledger.Entry{Message: strings.Repeat("x", 1000)}); !errors.Is(err, ledger.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestDurabilityModes(t *testing.T) {
	t.Parallel()
	for _, d := range []ledger.Durability{ledger.GroupCommit, ledger.SyncEach, ledger.SyncInterval, ledger.NoSync} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			l, err := ledger.Open(dir, ledger.Options{Durability: d, SyncInterval: time.Nanosecond})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			queried := make(chan int)
			go func() { // queries run during the appends and see a consistent prefix
				n := 0
				defer func() { queried <- n }()
				for {
					var last uint64
					for e, err := range l.Query(context.Background(), ledger.Filter{}) {
						if err != nil || e.Seq != last+1 {
							t.Errorf("query during appends: seq %d after %d, %v", e.Seq, last, err)
							return
						}
						last = e.Seq
					}
					n++
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
			for g := range 4 {
				wg.Go(func() {
					for i := range 20 {
						if _, err := l.Record(context.Background(), ledger.Entry{Message: fmt.Sprint(g, i)}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			if n := <-queried; n == 0 {
				t.Error("no query completed during the appends")
			}
			if err := l.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(context.Background()); !errors.Is(err, ledger.ErrClosed) {
				t.Fatalf("Sync after Close: %v", err)
			}
			l, err = ledger.Open(dir, ledger.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			rep, err := l.Verify(context.Background())
			if err != nil || rep.Records != 80 {
				t.Fatalf("verify %+v %v", rep, err)
			}
		})
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	l, err := ledger.Open(dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Open(dir, ledger.Options{}); !errors.Is(err, ledger.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	l.Close()
	l, err = ledger.Open(dir, ledger.Options{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	l.Close()
}

// failStore fails appends after n records.
type failStore struct {
	*ledger.MemoryStore
	mu sync.Mutex
	n  int
}

func (s *failStore) Append(ctx context.Context, recs []ledger.Record, sync bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n -= len(recs); s.n < 0 {
		return errors.New("disk on fire")
	}
	return s.MemoryStore.Append(ctx, recs, sync)
}

func TestStoreFailureStops(t *testing.T) {
	for _, d := range []ledger.Durability{ledger.GroupCommit, ledger.SyncEach} {
		t.Run(d.String(), func(t *testing.T) {
			l, err := ledger.New(&failStore{MemoryStore: ledger.NewMemoryStore(), n: 3}, ledger.Options{Durability: d})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var errs []error
			for range 6 {
				_, err := l.Record(context.Background(), ledger.Entry{})
				errs = append(errs, err)
			}
			if errs[2] != nil || errs[3] == nil || !errors.Is(errs[5], ledger.ErrStopped) {
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	l, err := ledger.Open(t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 10 {
				if _, err := l.Record(context.Background(), ledger.Entry{Message: "m"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// Close while records are in flight waits for them.
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	s := ledger.NewMemoryStore()
	l, err := ledger.New(s, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustRecord(t, l, ledger.Entry{Message: fmt.Sprint(i)})
	}
	var recs []ledger.Record
	for r, err := range s.Scan(context.Background(), ledger.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	l.Close()
	tests := []struct {
		name string
		edit func(rs []ledger.Record) []ledger.Record
		seq  uint64
	}{
		{"edited message", func(rs []ledger.Record) []ledger.Record {
			rs[1].Data = bytes.Replace(rs[1].Data, []byte(`"message":"1"`), []byte(`"message":"X"`), 1)
			rs[1].Hash = [32]byte(sha(rs[1].Data))
			return rs
		}, 3},
		{"dropped record", func(rs []ledger.Record) []ledger.Record { return append(rs[:1:1], rs[2:]...) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := tt.edit(append([]ledger.Record(nil), recs...))
			st := &rawStore{MemoryStore: ledger.NewMemoryStore(), recs: rs}
			l, _ := ledger.New(st, ledger.Options{})
			defer l.Close()
			_, err := l.Verify(context.Background())
			var ve *ledger.VerifyError
			if !errors.As(err, &ve) || ve.Seq != tt.seq || !strings.Contains(err.Error(), "ledger: verification failed at record") {
				t.Fatalf("Verify = %v, want VerifyError at %d", err, tt.seq)
			}
		})
	}
}

// rawStore serves fixed records, for tampering tests.
type rawStore struct {
	*ledger.MemoryStore
	recs []ledger.Record
}

func (s *rawStore) Head(ctx context.Context) (ledger.Position, error) {
	last := s.recs[len(s.recs)-1]
	return ledger.Position{Seq: 3, Hash: last.Hash}, nil
}

func (s *rawStore) Scan(ctx context.Context, f ledger.Filter) iter.Seq2[ledger.Record, error] {
	return func(yield func(ledger.Record, error) bool) {
		for _, r := range s.recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestCheckpoints(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	opts := ledger.Options{SigningKey: priv, SegmentSize: 4096}
	l, err := ledger.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		mustRecord(t, l, ledger.Entry{Message: fmt.Sprint("message number ", i, strings.Repeat(".", 100))})
	}
	l.Close()
	l, err = ledger.Open(dir, ledger.Options{VerifyKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background())
	l.Close()
	if err != nil || rep.Checkpoints < 2 || rep.Records != 40 {
		t.Fatalf("verify %+v %v", rep, err)
	}
	// Cut the last record: the final checkpoint is now beyond the head.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	last := segs[len(segs)-1]
	b, _ := os.ReadFile(last)
	i := bytes.LastIndex(b[:len(b)-1], []byte("\n"))
	os.WriteFile(last, b[:i+1], 0o600)
	l, err = ledger.Open(dir, ledger.Options{VerifyKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Verify(context.Background())
	l.Close()
	var ve *ledger.VerifyError
	if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "beyond the head") {
		t.Fatalf("truncation not detected: %v", err)
	}
	// A wrong key fails the signatures.
	otherPub, _, _ := ed25519.GenerateKey(nil)
	l, err = ledger.Open(dir, ledger.Options{VerifyKey: otherPub})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_, err = l.Verify(context.Background())
	l.Close()
	if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "signature") {
		t.Fatalf("bad signature not detected: %v", err)
	}
	// An unreadable checkpoints file is corruption.
	os.WriteFile(filepath.Join(dir, "CHECKPOINTS"), []byte("{nope\n"), 0o600)
	l, err = ledger.Open(dir, ledger.Options{VerifyKey: pub})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_, err = l.Verify(context.Background())
	l.Close()
	var ce *ledger.CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("bad checkpoints file: %v", err)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	old := time.Now().Add(-48 * time.Hour)
	tests := []struct {
		name string
		opts ledger.Options
		time func(i int) time.Time
	}{
		{"total size", ledger.Options{SegmentSize: 4096, MaxTotalSize: 12 << 10}, func(int) time.Time { return time.Time{} }},
		{"age", ledger.Options{SegmentSize: 4096, MaxAge: 24 * time.Hour}, func(i int) time.Time {
			if i < 100 {
				return old
			}
			return time.Time{}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l, err := ledger.Open(dir, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 150 {
				mustRecord(t, l, ledger.Entry{Time: tt.time(i), Message: fmt.Sprint("record ", i, strings.Repeat("-", 100))})
			}
			l.Close()
			l, err = ledger.Open(dir, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			rep, err := l.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			es := all(t, l, ledger.Filter{})
			if rep.Anchor.Seq == 0 || len(es) == 150 || es[0].Seq != rep.Anchor.Seq+1 || rep.Head.Seq != 150 {
				t.Fatalf("retention kept %d records, anchor %d, head %d", len(es), rep.Anchor.Seq, rep.Head.Seq)
			}
			if _, err := os.Stat(filepath.Join(dir, "ANCHOR")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSegmentsSkippedAndSummaryRebuilt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := ledger.Open(dir, ledger.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 120 {
		mustRecord(t, l, ledger.Entry{Time: t0.Add(time.Duration(i) * time.Minute), Type: fmt.Sprint("type-", i/20),
			Component: fmt.Sprint("c", i%40), RunID: fmt.Sprint("run-", i/30), Severity: ledger.Severity(i / 25),
			Message: strings.Repeat("m", 80)})
	}
	l.Close()
	sums, _ := filepath.Glob(filepath.Join(dir, "*.sum"))
	if len(sums) < 3 {
		t.Fatalf("only %d summaries", len(sums))
	}
	os.Remove(sums[1]) // rebuilt on open
	os.WriteFile(sums[0], []byte("garbage"), 0o600)
	l, err = ledger.Open(dir, ledger.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(sums[1]); err != nil {
		t.Fatalf("summary not rebuilt: %v", err)
	}
	filters := []ledger.Filter{
		{Type: "type-3"}, {Component: "c7"}, {RunID: "run-2"}, {MinSeverity: ledger.SeverityCritical},
		{Since: t0.Add(100 * time.Minute)}, {Until: t0.Add(10 * time.Minute)}, {Type: "none"},
	}
	for _, f := range filters {
		want := 0
		for _, e := range all(t, l, ledger.Filter{}) {
			if f.Match(&e) {
				want++
			}
		}
		if got := len(all(t, l, f)); got != want {
			t.Errorf("filter %+v: %d entries, want %d", f, got, want)
		}
	}
}

func TestHandlerSlogtest(t *testing.T) {
	var l *ledger.Ledger
	var zeroTime []bool
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		l = newMem(t, ledger.Options{})
		zeroTime = nil
		return &timeSpy{Handler: ledger.NewHandler(l, &ledger.HandlerOptions{Level: slog.LevelDebug}), zero: &zeroTime}
	}, func(t *testing.T) map[string]any {
		es := all(t, l, ledger.Filter{})
		if len(es) != 1 {
			t.Fatalf("%d entries", len(es))
		}
		e := es[0]
		m := map[string]any{slog.LevelKey: e.Severity.SlogLevel(), slog.MessageKey: e.Message}
		if !zeroTime[0] {
			m[slog.TimeKey] = e.Time
		} else if e.Time.IsZero() {
			t.Fatal("zero record time not replaced by Record")
		}
		if err := json.Unmarshal([]byte(attrsJSON(t, e.Attrs)), &m); err != nil && e.Attrs != nil {
			t.Fatal(err)
		}
		return m
	})
}

// timeSpy notes whether each record had a zero time: the ledger always
// stamps entries, so the slogtest result omits the time key for those.
type timeSpy struct {
	slog.Handler
	zero *[]bool
}

func (h *timeSpy) Handle(ctx context.Context, r slog.Record) error {
	*h.zero = append(*h.zero, r.Time.IsZero())
	return h.Handler.Handle(ctx, r)
}
func (h *timeSpy) WithAttrs(as []slog.Attr) slog.Handler {
	return &timeSpy{h.Handler.WithAttrs(as), h.zero}
}
func (h *timeSpy) WithGroup(n string) slog.Handler { return &timeSpy{h.Handler.WithGroup(n), h.zero} }

func TestHandlerOptions(t *testing.T) {
	l := newMem(t, ledger.Options{})
	h := ledger.NewHandler(l, nil)
	if h.Enabled(context.Background(), slog.LevelWarn) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("default level is not Error")
	}
	if h.WithAttrs(nil) != slog.Handler(h) || h.WithGroup("") != slog.Handler(h) {
		t.Fatal("empty WithAttrs/WithGroup should return the handler")
	}
	lg := slog.New(ledger.NewHandler(l, &ledger.HandlerOptions{Type: "app", Level: slog.LevelWarn}))
	lg.Warn("w")
	lg.Log(context.Background(), slog.LevelError+4, "fatal")
	es := all(t, l, ledger.Filter{})
	if len(es) != 2 || es[0].Type != "app" || es[0].Severity != ledger.SeverityLow || es[1].Severity != ledger.SeverityCritical {
		t.Fatalf("%+v", es)
	}
}
