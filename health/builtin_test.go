package health

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeConnector is a database/sql driver.Connector whose connections ping
// well or badly, opened with sql.OpenDB (no global driver registration).
type fakeConnector struct{ bad atomic.Bool }

func (f *fakeConnector) Connect(context.Context) (driver.Conn, error) { return &fakeConn{f}, nil }
func (f *fakeConnector) Driver() driver.Driver                        { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, errors.New("use the connector") }

type fakeConn struct{ f *fakeConnector }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("unsupported") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("unsupported") }
func (c *fakeConn) Ping(context.Context) error {
	if c.f.bad.Load() {
		return driver.ErrBadConn
	}
	return nil
}

// outcome is the comparable part of a Result.
type outcome struct {
	Status      Status
	Measurement string
	Unit        string
	HasOutput   bool
	Err         bool
}

func outcomeOf(r Result, err error) outcome {
	return outcome{r.Status, r.Measurement, r.Unit, r.Output != "", err != nil}
}

func TestSQLPing(t *testing.T) {
	fc := &fakeConnector{}
	db := sql.OpenDB(fc)
	defer db.Close()
	db.SetMaxOpenConns(1)
	check := SQLPing(db)
	ctx := t.Context()

	var got []outcome
	got = append(got, outcomeOf(check(ctx)))
	conn, err := db.Conn(ctx) // the application holds the only connection
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, outcomeOf(check(ctx)))
	_ = conn.Close()
	fc.bad.Store(true)
	got = append(got, outcomeOf(check(ctx)))
	want := []outcome{
		{StatusPass, "connections", "connections", false, false},
		{StatusWarn, "connections", "connections", true, false},
		{StatusUnknown, "", "", false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHTTPGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	defer srv.Close()
	ctx := t.Context()
	tests := []struct {
		name   string
		client *http.Client
		url    string
		want   outcome
	}{
		{"ok", srv.Client(), srv.URL + "/", outcome{Status: StatusPass}},
		{"default client", nil, srv.URL + "/", outcome{Status: StatusPass}},
		{"status", srv.Client(), srv.URL + "/bad", outcome{Status: StatusFail, HasOutput: true}},
		{"refused", srv.Client(), closed.URL, outcome{Err: true}},
		{"bad url", srv.Client(), "://nope", outcome{Err: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, outcomeOf(HTTPGet(tt.client, tt.url)(ctx))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
	srv.Client().CloseIdleConnections()
}

func TestTCPDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if got := outcomeOf(TCPDial(nil, addr)(t.Context())); got.Status != StatusPass {
		t.Errorf("open port: %+v", got)
	}
	_ = ln.Close()
	if got := outcomeOf(TCPDial(&net.Dialer{Timeout: time.Second}, addr)(t.Context())); !got.Err {
		t.Errorf("closed port: %+v", got)
	}
}

func TestDNSLookup(t *testing.T) {
	local := &net.Resolver{PreferGo: true}
	broken := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no dns server in tests")
	}}
	if got := outcomeOf(DNSLookup(local, "localhost")(t.Context())); got != (outcome{Status: StatusPass, Measurement: "addresses"}) {
		t.Errorf("localhost: %+v", got)
	}
	if got := outcomeOf(DNSLookup(nil, "localhost")(t.Context())); got.Status != StatusPass {
		t.Errorf("localhost, default resolver: %+v", got)
	}
	if got := outcomeOf(DNSLookup(broken, "db.internal.invalid")(t.Context())); !got.Err {
		t.Errorf("broken resolver: %+v", got)
	}
}

func TestDiskSpace(t *testing.T) {
	dir := t.TempDir()
	const huge = 1 << 62
	tests := []struct {
		name       string
		path       string
		warn, fail uint64
		want       outcome
	}{
		{"no limits", dir, 0, 0, outcome{StatusPass, "free", "bytes", false, false}},
		{"warn", dir, huge, 0, outcome{StatusWarn, "free", "bytes", true, false}},
		{"fail", dir, huge, huge, outcome{StatusFail, "free", "bytes", true, false}},
		{"ok", dir, 1, 1, outcome{StatusPass, "free", "bytes", false, false}},
		{"missing", filepath.Join(dir, "nope"), 0, 0, outcome{Err: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, outcomeOf(DiskSpace(tt.path, tt.warn, tt.fail)(t.Context()))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRuntimeChecks(t *testing.T) {
	const huge = 1 << 62
	tests := []struct {
		name string
		fn   Func
		want outcome
	}{
		{"heap ok", Heap(huge, huge), outcome{StatusPass, "heap", "bytes", false, false}},
		{"heap warn", Heap(1, 0), outcome{StatusWarn, "heap", "bytes", true, false}},
		{"heap fail", Heap(1, 1), outcome{StatusFail, "heap", "bytes", true, false}},
		{"goroutines ok", Goroutines(0, 0), outcome{StatusPass, "goroutines", "goroutines", false, false}},
		{"goroutines fail", Goroutines(0, 1), outcome{StatusFail, "goroutines", "goroutines", true, false}},
		{"unknown metric", runtimeMetric("/no/such:bytes", "x", "bytes", 0, 0), outcome{Err: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, outcomeOf(tt.fn(t.Context()))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hb Heartbeat
		check := hb.Check(time.Minute, 5*time.Minute)
		var got []outcome
		got = append(got, outcomeOf(check(t.Context())))
		if !hb.Last().IsZero() {
			t.Error("Last of a zero Heartbeat is not zero")
		}
		hb.Beat()
		if !hb.Last().Equal(time.Now()) {
			t.Errorf("Last = %v, want %v", hb.Last(), time.Now())
		}
		got = append(got, outcomeOf(check(t.Context())))
		advance(2 * time.Minute)
		got = append(got, outcomeOf(check(t.Context())))
		advance(4 * time.Minute)
		got = append(got, outcomeOf(check(t.Context())))
		hb.Beat()
		got = append(got, outcomeOf(check(t.Context())))
		want := []outcome{
			{StatusFail, "", "", true, false},
			{StatusPass, "age", "s", false, false},
			{StatusWarn, "age", "s", true, false},
			{StatusFail, "age", "s", true, false},
			{StatusPass, "age", "s", false, false},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestUnencodableValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Settings{Authorize: func(*http.Request) bool { return true }, Checks: []Check{{Name: "x",
			Func: func(context.Context) (Result, error) { return Result{Value: func() {}}, nil }}}})
		runOnce(t, c, "x")
		got := do(c.Handler(GroupReady), "GET", "/readyz?verbose")
		want := response{200, ContentType, "no-store", `{"status":"pass","output":"health: unencodable observed value"}` + "\n"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
