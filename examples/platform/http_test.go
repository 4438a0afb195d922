package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/ledger"
	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
)

func TestRecoverPanicsRecordsAndHidesDetail(t *testing.T) {
	led, err := ledger.New(ledger.NewMemoryStore(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	p := &platform{led: led, log: newLogger(false, &strings.Builder{}), metrics: newMetrics()}
	h := p.requestID(p.secure(p.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("db password is hunter2")
	}))))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/boom", nil)
	req.Header.Set("X-Request-ID", "req-42")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatalf("response %d %s", rec.Code, rec.Body)
	}
	var body struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ID == "" {
		t.Fatalf("no id in %s", rec.Body)
	}
	id, err := ledger.ParseID(body.ID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := led.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "panic" || e.RequestID != "req-42" || !strings.Contains(e.Stack, "recoverPanics") {
		t.Errorf("ledger entry %+v", e)
	}
	if got := rec.Header().Get("X-Request-ID"); got != "req-42" {
		t.Errorf("request id %q", got)
	}

	// http.ErrAbortHandler keeps unwinding, as net/http expects.
	abort := p.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestValidRequestID(t *testing.T) {
	for id, want := range map[string]bool{"": false, "abc-1.2_3": true, strings.Repeat("a", 65): false, "a b": false, "é": false, "x\n": false} {
		if got := validRequestID(id); got != want {
			t.Errorf("validRequestID(%q) = %v", id, got)
		}
	}
}

func TestParseAPIKey(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	if _, err := parseAPIKey("ci", "api_user:ci-bot:"+digest); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"api_user:ci-bot", "root:ci-bot:" + digest, "api_user:ci-bot:zz", "api_user:ci-bot:abcd"} {
		_, err := parseAPIKey("ci", spec)
		if err == nil {
			t.Errorf("accepted %q", spec)
		} else if strings.Contains(err.Error(), spec) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

func TestDecisionAfterShutdownIsDropped(t *testing.T) {
	p := &platform{metrics: newMetrics(), denials: make(chan ledger.Entry, 1)}
	p.onDecision(context.Background(), rbac.Decision{Reason: rbac.ReasonMissingToken})
	p.onDecision(context.Background(), rbac.Decision{Reason: rbac.ReasonMissingToken}) // queue full
	p.denialsMu.Lock()
	p.denialsClosed = true
	close(p.denials)
	p.denialsMu.Unlock()
	p.onDecision(context.Background(), rbac.Decision{Reason: rbac.ReasonMissingToken}) // must not panic
	p.onDecision(context.Background(), rbac.Decision{Allowed: true, Reason: rbac.ReasonAllowed})
	if got := p.metrics.denials.Load(); got != 3 {
		t.Errorf("denials = %d, want 3", got)
	}
	if got := p.metrics.denialsDropped.Load(); got != 2 {
		t.Errorf("dropped = %d, want 2", got)
	}
}

// At most maxDenialEntries denials a second reach the ledger; the next one
// recorded carries the number skipped, and the metric counts them.
func TestDenialsRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		led, err := ledger.New(ledger.NewMemoryStore(), ledger.Options{Durability: ledger.NoSync})
		if err != nil {
			t.Fatal(err)
		}
		defer led.Close()
		p := &platform{metrics: newMetrics(), denials: make(chan ledger.Entry, 64), led: led, log: slog.New(slog.DiscardHandler)}
		done := make(chan struct{})
		go func() { p.recordDenials(); close(done) }()
		deny := rbac.Decision{Reason: rbac.ReasonMissingToken}
		for range maxDenialEntries + 5 {
			p.onDecision(context.Background(), deny)
		}
		synctest.Wait()
		time.Sleep(time.Second) // the next second
		p.onDecision(context.Background(), deny)
		close(p.denials)
		<-done
		var suppressed []int64
		for e, err := range led.Query(context.Background(), ledger.Filter{Type: "rbac.denied"}) {
			if err != nil {
				t.Fatal(err)
			}
			n := int64(0)
			for _, a := range e.Attrs {
				if a.Key == "suppressed" {
					n = a.Value.Int64()
				}
			}
			suppressed = append(suppressed, n)
		}
		want := make([]int64, maxDenialEntries+1)
		want[maxDenialEntries] = 5
		if diff := cmp.Diff(want, suppressed); diff != "" {
			t.Errorf("suppressed per recorded denial (-want +got):\n%s", diff)
		}
		if got := p.metrics.denialsDropped.Load(); got != 5 {
			t.Errorf("unrecorded = %d, want 5", got)
		}
	})
}
