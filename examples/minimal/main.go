// Command minimal is the smallest useful embedding of the DevSkyy SDK: one typed
// agent behind the runner (timeout, breaker), served by agenthttp, printing its
// address on stdout and shutting down gracefully on SIGINT/SIGTERM.
//
//	go run ./examples/minimal -addr 127.0.0.1:8081
//	curl -d '{"text":"hello agent world"}' http://127.0.0.1:8081/agents/wordcount/run
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/agent/agenthttp"
	"github.com/devskyy/devskyy/breaker"
)

type countIn struct {
	Text string `json:"text" validate:"required,max=65536"`
}
type countOut struct {
	Words int `json:"words"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen `address`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the flag package printed the usage
		}
		return err
	}
	reg, err := agent.New(agent.Settings{Default: agent.Policy{
		Timeout: 2 * time.Second, Breaker: &breaker.Settings{ConsecutiveFailures: 5}}})
	if err != nil {
		return err
	}
	wc := agent.Func(agent.Info{Name: "wordcount", Description: "counts the words of a text"},
		func(_ context.Context, in countIn) (countOut, error) {
			return countOut{len(strings.Fields(in.Text))}, nil
		})
	if _, err := agent.Register(reg, wc, agent.Options{}); err != nil {
		return err
	}
	defer reg.Close(context.WithoutCancel(ctx)) // executions are bounded by the policy's Timeout
	h, err := agenthttp.New(reg, agenthttp.Settings{MaxBodyBytes: 128 << 10})
	if err == nil {
		err = reg.Start(ctx)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx) // in-flight requests finish within the bound
	<-served                    // http.ErrServerClosed
	return err
}
