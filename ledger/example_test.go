package ledger_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/devskyy/devskyy/ledger"
)

// Record entries and query them back.
func Example() {
	led, err := ledger.New(ledger.NewMemoryStore(), ledger.Options{})
	if err != nil {
		panic(err)
	}
	defer led.Close()

	ctx := ledger.WithRunID(context.Background(), "run-42")
	led.Record(ctx, ledger.Entry{Type: "timeout", Severity: ledger.SeverityHigh, Message: "upstream timed out after 30s", Component: "pricing"})
	led.Record(ctx, ledger.Entry{Type: "cache", Severity: ledger.SeverityLow, Message: "cache miss"})

	for e, err := range led.Query(ctx, ledger.Filter{MinSeverity: ledger.SeverityMedium}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Seq, e.Severity, e.Type, e.Component, e.RunID, e.Message)
	}
	// Output:
	// 1 HIGH timeout pricing run-42 upstream timed out after 30s
}

// A slog.Handler that lands a host's logger.Error calls in the ledger.
func ExampleHandler() {
	led, err := ledger.New(ledger.NewMemoryStore(), ledger.Options{})
	if err != nil {
		panic(err)
	}
	defer led.Close()

	logger := slog.New(ledger.NewHandler(led, &ledger.HandlerOptions{Component: "checkout"}))
	ctx := ledger.WithRequestID(context.Background(), "req-7")
	logger.InfoContext(ctx, "not recorded: below the level")
	logger.With("user", 42).WithGroup("payment").ErrorContext(ctx, "card declined",
		"provider", "acme", "api_key", "sk_live_123")

	for e, err := range led.Query(context.Background(), ledger.Filter{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Severity, e.Component, e.RequestID, e.Message, e.Attrs, e.Redactions)
	}
	// Output:
	// MEDIUM checkout req-7 card declined [user=42 payment=[provider=acme api_key=[REDACTED]]] 1
}

// Open a file-backed ledger, record and query it.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	led, err := ledger.Open(dir, ledger.Options{}) // group commit: durable on return
	if err != nil {
		panic(err)
	}
	ctx := ledger.WithRunID(context.Background(), "ci-1187")
	id, _ := led.Record(ctx, ledger.Entry{Type: "panic", Severity: ledger.SeverityCritical,
		Message: "index out of range [3] with length 3", Component: "indexer"})
	led.Record(ctx, ledger.Entry{Type: "lint", Severity: ledger.SeverityLow, Message: "unused variable"})
	led.Close()

	led, err = ledger.Open(dir, ledger.Options{})
	if err != nil {
		panic(err)
	}
	defer led.Close()
	e, _ := led.Get(context.Background(), id)
	fmt.Println(e.Seq, e.Severity, e.Message)
	sum, _ := led.RunSummary(context.Background(), "ci-1187")
	fmt.Println(sum.Total, sum.Counts[ledger.SeverityCritical], sum.Counts[ledger.SeverityLow])
	rep, err := led.Verify(context.Background())
	fmt.Println(rep.Records, err)
	// Output:
	// 1 CRITICAL index out of range [3] with length 3
	// 2 1 1
	// 2 <nil>
}
