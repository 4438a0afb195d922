package health

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"time"
)

// SQLPing returns a check that pings db through its own pool and reports
// the connections in use as observed value (measurement "connections").
// When the pool is saturated (every allowed connection in use) it warns
// without pinging: a ping would only queue behind the application's own
// work, and connections that are in use are evidently working.
func SQLPing(db *sql.DB) Func {
	return func(ctx context.Context) (Result, error) {
		st := db.Stats()
		if st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections {
			return Result{Status: StatusWarn, Measurement: "connections", Value: st.InUse, Unit: "connections",
				Output: "connection pool saturated: " + strconv.Itoa(st.InUse) + " of " +
					strconv.Itoa(st.MaxOpenConnections) + " in use, " + strconv.FormatInt(st.WaitCount, 10) + " waits so far"}, nil
		}
		if err := db.PingContext(ctx); err != nil {
			return Result{}, err
		}
		st = db.Stats()
		return Result{Status: StatusPass, Measurement: "connections", Value: st.InUse, Unit: "connections"}, nil
	}
}

// HTTPGet returns a check that sends GET url through client (the
// application's own, so connections are reused; nil means
// [http.DefaultClient]) and passes on a 2xx status. It reads at most 4 KiB
// of the body, so that the connection can be reused.
func HTTPGet(client *http.Client, url string) Func {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context) (Result, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return Result{}, errors.New("health: invalid check url")
		}
		resp, err := client.Do(req)
		if err != nil {
			return Result{}, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		_ = resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return Fail("unexpected status " + strconv.Itoa(resp.StatusCode)), nil
		}
		return Pass(), nil
	}
}

// TCPDial returns a check that opens and closes a TCP connection to addr
// ("host:port") with dialer (nil means a zero [net.Dialer]). Prefer a check
// through the client the application already uses where there is one:
// this one dials on every run.
func TCPDial(dialer *net.Dialer, addr string) Func {
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	return func(ctx context.Context) (Result, error) {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return Result{}, err
		}
		_ = conn.Close()
		return Pass(), nil
	}
}

// DNSLookup returns a check that resolves host with resolver (nil means
// [net.DefaultResolver]) and fails when it has no address. The observed
// value is the number of addresses.
func DNSLookup(resolver *net.Resolver, host string) Func {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	return func(ctx context.Context) (Result, error) {
		addrs, err := resolver.LookupHost(ctx, host)
		if err != nil {
			return Result{}, err
		}
		if len(addrs) == 0 {
			return Fail("no addresses"), nil
		}
		return Result{Status: StatusPass, Measurement: "addresses", Value: len(addrs)}, nil
	}
}

// DiskSpace returns a check of the free space (available to unprivileged
// users) of the file system holding path: warn below warnBelow bytes, fail
// below failBelow bytes (0 disables either). The observed value is the free
// bytes.
func DiskSpace(path string, warnBelow, failBelow uint64) Func {
	return func(context.Context) (Result, error) {
		free, err := freeBytes(path)
		if err != nil {
			return Result{}, err
		}
		return threshold("free", free, warnBelow, failBelow, true, "bytes"), nil
	}
}

// Heap returns a check of the bytes occupied by live and unswept heap
// objects, read from runtime/metrics (no stop-the-world): warn above
// warnAbove, fail above failAbove (0 disables either).
func Heap(warnAbove, failAbove uint64) Func {
	return runtimeMetric("/memory/classes/heap/objects:bytes", "heap", "bytes", warnAbove, failAbove)
}

// Goroutines returns a check of the number of live goroutines, read from
// runtime/metrics: warn above warnAbove, fail above failAbove (0 disables
// either).
func Goroutines(warnAbove, failAbove uint64) Func {
	return runtimeMetric("/sched/goroutines:goroutines", "goroutines", "goroutines", warnAbove, failAbove)
}

func runtimeMetric(name, measurement, unit string, warnAbove, failAbove uint64) Func {
	return func(context.Context) (Result, error) {
		s := []metrics.Sample{{Name: name}}
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return Result{}, errors.New("health: runtime metric unavailable")
		}
		return threshold(measurement, s[0].Value.Uint64(), warnAbove, failAbove, false, unit), nil
	}
}

// threshold grades v against warn and fail limits (0 disables a limit);
// below reports whether low values are the bad ones.
func threshold(measurement string, v, warn, fail uint64, below bool, unit string) Result {
	res := Result{Status: StatusPass, Measurement: measurement, Value: v, Unit: unit}
	bad := func(limit uint64) bool {
		if limit == 0 {
			return false
		}
		if below {
			return v < limit
		}
		return v > limit
	}
	word := " above "
	if below {
		word = " below "
	}
	switch {
	case bad(fail):
		res.Status = StatusFail
		res.Output = measurement + " " + strconv.FormatUint(v, 10) + " " + unit + word + strconv.FormatUint(fail, 10)
	case bad(warn):
		res.Status = StatusWarn
		res.Output = measurement + " " + strconv.FormatUint(v, 10) + " " + unit + word + strconv.FormatUint(warn, 10)
	}
	return res
}

// Heartbeat records the last success of a worker (a queue consumer, a
// scheduler) for a check of "time since the last success". Call
// [Heartbeat.Beat] after each unit of work. The zero value is ready to use
// and has never beaten. It is safe for concurrent use and Beat does not
// allocate.
type Heartbeat struct {
	last atomic.Int64 // unix nanoseconds of the last beat; 0 = never
}

// Beat records a success now.
func (h *Heartbeat) Beat() { h.last.Store(time.Now().UnixNano()) }

// Last returns the time of the last beat, zero if none.
func (h *Heartbeat) Last() time.Time {
	n := h.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Check returns a check that warns when the last beat is older than
// warnAfter and fails when it is older than failAfter (0 disables either),
// or when there has been no beat yet. The observed value is the age in
// seconds.
func (h *Heartbeat) Check(warnAfter, failAfter time.Duration) Func {
	return func(context.Context) (Result, error) {
		last := h.Last()
		if last.IsZero() {
			return Fail("no heartbeat yet"), nil
		}
		age := time.Since(last)
		res := Result{Status: StatusPass, Measurement: "age", Value: age.Seconds(), Unit: "s"}
		switch {
		case failAfter > 0 && age > failAfter:
			res.Status, res.Output = StatusFail, "last heartbeat "+age.String()+" ago"
		case warnAfter > 0 && age > warnAfter:
			res.Status, res.Output = StatusWarn, "last heartbeat "+age.String()+" ago"
		}
		return res, nil
	}
}
