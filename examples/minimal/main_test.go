package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("MINIMAL_RUN_MAIN"); ok { // the child of TestMainSignals
		os.Args = append([]string{"minimal"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestMainSignals runs main in a child process: SIGTERM shuts it down with
// status 0, and a usage error exits with status 1.
func TestMainSignals(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("sigterm", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "MINIMAL_RUN_MAIN=-addr 127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "listening on http://127.0.0.1:") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("first line = %q, %v", line, err)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("after SIGTERM: %v, want exit status 0", err)
		}
	})
	t.Run("usage error", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "MINIMAL_RUN_MAIN=-nope")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit = %v, want status 1; output:\n%s", err, out)
		}
		if !strings.Contains(string(out), "flag provided but not defined: -nope") {
			t.Errorf("output does not name the bad flag:\n%s", out)
		}
	})
}

// start runs the server on a free loopback port and returns its base URL and
// a channel receiving run's result.
func start(t *testing.T, ctx context.Context) (string, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("run did not report its address: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr) // anything else run prints
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("first line = %q, want \"listening on http://...\"", line)
	}
	return base, done
}

type listed struct{ Name, Status string }

type reply struct {
	Status      int
	ContentType string
	Outcome     string
	Output      json.RawMessage
	Agents      []listed
}

func TestRunServesAgent(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, done := start(t, ctx)
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}

	tests := []struct {
		name, method, path, body string
		want                     reply
	}{
		{"execute", "POST", "/agents/wordcount/run", `{"text":"hello agent  world"}`,
			reply{Status: 200, ContentType: "application/json", Outcome: "success", Output: json.RawMessage(`{"words":3}`)}},
		{"missing text", "POST", "/agents/wordcount/run", `{"text":""}`,
			reply{Status: 400, ContentType: "application/problem+json"}},
		{"unknown field", "POST", "/agents/wordcount/run", `{"txt":"a"}`,
			reply{Status: 400, ContentType: "application/problem+json"}},
		{"not json", "POST", "/agents/wordcount/run", `hello`,
			reply{Status: 400, ContentType: "application/problem+json"}},
		{"unknown agent", "POST", "/agents/nope/run", `{"text":"a"}`,
			reply{Status: 404, ContentType: "application/problem+json"}},
		{"list", "GET", "/agents", "", reply{Status: 200, ContentType: "application/json",
			Agents: []listed{{"wordcount", "idle"}}}},
		{"health", "GET", "/agents/wordcount/health", "", reply{Status: 200, ContentType: "application/health+json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			got := reply{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
			if got.Status == 200 && got.ContentType == "application/json" {
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("decoding %s: %v", b, err)
				}
			}
			if got.Status >= 400 && strings.Contains(string(b), "txt") {
				t.Errorf("error body echoes the input: %s", b)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s\nbody: %s", tt.method, tt.path, diff, b)
			}
		})
	}
	tr.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel = %v, want nil", err)
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr strings.Builder
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("run(-h) = %v, want nil", err)
	}
	if !strings.Contains(stderr.String(), "-addr address") || stdout.Len() != 0 {
		t.Errorf("run(-h) printed stdout %q, stderr %q; want the usage on stderr", stdout.String(), stderr.String())
	}
}

func TestRunErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	busy, done := start(t, ctx) // holds a port
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	}()

	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"-nope"}},
		{"extra flag value", []string{"-addr"}},
		{"bad address", []string{"-addr", "127.0.0.1:notaport"}},
		{"port in use", []string{"-addr", strings.TrimPrefix(busy, "http://")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if err := run(t.Context(), tt.args, &stdout, &stderr); err == nil {
				t.Fatalf("run(%q) = nil, want an error", tt.args)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
