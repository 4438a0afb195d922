// Command platform is the whole DevSkyy platform assembled from the SDK's
// packages: settings through config, a ledger with group commit fed by slog,
// JWT and API-key authentication on an rbac mux where every route declares its
// access, four agents behind the runner, a model registry with gated
// activation and rollback, health probes and Prometheus metrics.
//
// Run it locally with no setup:
//
//	go run ./examples/platform -dev
//
// In development it prints a token per role (signed with this run's
// ephemeral key) and a demo API key. Without -dev it has production semantics:
// every setting below must be valid or it stops with one error listing every
// problem. Print the settings with -help-env and the route table with -routes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
}

// run parses args, loads the settings and serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("platform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "development mode: no setup needed, ephemeral secret, colour logs")
	addr := fs.String("addr", "", "listen address (overrides DEVSKYY_ADDR; development default 127.0.0.1:8080)")
	routes := fs.Bool("routes", false, "print the route table with each route's access and exit")
	helpEnv := fs.Bool("help-env", false, "print the settings (environment variables) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("platform: unexpected argument %q", fs.Arg(0))
	}
	if *helpEnv {
		return usage(stdout)
	}
	logger := newLogger(*dev, stderr)
	s, err := loadSettings(*dev, *addr, logger)
	if err != nil {
		return err
	}
	p, err := assemble(ctx, s, logger, stdout)
	if err != nil {
		return err
	}
	if *routes {
		p.printRoutes(stdout)
		return p.close(context.Background())
	}
	return p.serve(ctx)
}
