package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// server is the platform binary running on a loopback port.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	env    map[string]string // TOKEN_* and API_KEY printed in development
	stderr *bytes.Buffer
	done   chan error
}

// buildBinary builds the platform once per test binary run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "platform-e2e")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "platform")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func baseEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	return append(env, extra...)
}

// start runs the binary in development mode with dataDir and waits until it
// listens.
func start(t *testing.T, dataDir string, extraEnv ...string) *server {
	t.Helper()
	cmd := exec.Command(binary(t), "-dev", "-addr", "127.0.0.1:0")
	cmd.Env = baseEnv(append([]string{
		"DEVSKYY_DATA_DIR=" + dataDir,
		"DEVSKYY_SCAN_ROOT=" + filepath.Join("testdata", "scan"),
		"DEVSKYY_AGENT_TIMEOUTS=code-scanner=30s,theme-builder=60s,size-recommender=120s,diagnostics=1s",
		"DEVSKYY_SHUTDOWN_TIMEOUT=10s",
	}, extraEnv...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, env: map[string]string{}, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			s.env[k] = v
		}
		if addr, ok := strings.CutPrefix(line, "listening on "); ok {
			s.base = addr
			break
		}
	}
	if s.base == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the platform did not start:\n%s", s.stderr)
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("exit: %v\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		s.t.Fatal("the platform did not stop within 30 s")
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// do sends a request with the credential named by cred ("" for none, a
// TOKEN_* name, or API_KEY).
func (s *server) do(method, path, cred, body string, hdr ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case cred == "API_KEY":
		req.Header.Set("Authorization", "ApiKey "+s.env[cred])
	case cred != "":
		req.Header.Set("Authorization", "Bearer "+s.env[cred])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (s *server) expect(want int, method, path, cred, body string, hdr ...string) response {
	s.t.Helper()
	r := s.do(method, path, cred, body, hdr...)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

// internals are strings that must never reach a remote caller.
var internals = regexp.MustCompile(`(?i)10\.0\.0\.7|internal detail|goroutine |\.go:\d+|theme: |codescan: |sizing: |panic`)

func noInternals(t *testing.T, r response) {
	t.Helper()
	if internals.Match(r.body) {
		t.Errorf("response leaks internals: %s", r.body)
	}
}

func TestEndToEnd(t *testing.T) {
	data := t.TempDir()
	s := start(t, data)
	for _, k := range []string{"TOKEN_READ_ONLY", "TOKEN_API_USER", "TOKEN_DEVELOPER", "TOKEN_ADMIN", "TOKEN_SUPER_ADMIN", "API_KEY"} {
		if s.env[k] == "" {
			t.Fatalf("development credential %s not printed", k)
		}
	}

	// Authentication and authorisation.
	r := s.expect(401, "GET", "/api/v1/agents", "", "")
	if r.header.Get("WWW-Authenticate") == "" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("401 headers: %v", r.header)
	}
	s.expect(401, "GET", "/api/v1/agents", "", "", "X-Role", "super_admin", "X-User", "root")
	s.expect(403, "POST", "/api/v1/agents/size-recommender/run", "TOKEN_READ_ONLY", `{"chest_cm":90,"waist_cm":80}`)
	s.expect(403, "GET", "/api/v1/ledger", "TOKEN_DEVELOPER", "")
	s.expect(403, "POST", "/api/v1/ledger/verify", "TOKEN_ADMIN", "")
	r = s.expect(200, "GET", "/api/v1/agents", "TOKEN_READ_ONLY", "")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Request-Id"} {
		if r.header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if r.header.Get("Server") != "" {
		t.Errorf("server banner %q", r.header.Get("Server"))
	}

	// Agents doing real work.
	var run struct {
		Outcome string          `json:"outcome"`
		Output  json.RawMessage `json:"output"`
	}
	s.expect(200, "POST", "/api/v1/agents/size-recommender/run", "TOKEN_API_USER", `{"chest_cm":90,"waist_cm":80}`).json(t, &run)
	if !strings.Contains(string(run.Output), `"model_version":"1.0.0"`) {
		t.Errorf("size output %s", run.Output)
	}
	s.expect(200, "POST", "/api/v1/agents/code-scanner/run", "API_KEY", `{"path":"."}`).json(t, &run)
	for _, want := range []string{`"rule":"dev-secret-default"`, `"rule":"catch-all-handler"`, `"rule":"versioned-duplicate"`, `"rule":"shadowed-import"`, `"line":`} {
		if !strings.Contains(string(run.Output), want) {
			t.Errorf("scanner output lacks %s: %s", want, run.Output)
		}
	}
	s.expect(200, "POST", "/api/v1/agents/theme-builder/run", "API_KEY", `{"name":"aurora","customisations":{"primary":"#000"}}`)
	if _, err := os.Stat(filepath.Join(data, "themes", "aurora", "theme.css")); err != nil {
		t.Errorf("theme not written: %v", err)
	}

	// Bad input: 400 with nothing internal.
	for _, body := range []string{`{"name":"../../etc/passwd"}`, `{"name":"x","customisations":{"a":"javascript:alert(1)"}}`, `{"name":1}`, `{"name":"x","extra":1}`, `not json`} {
		noInternals(t, s.expect(400, "POST", "/api/v1/agents/theme-builder/run", "API_KEY", body, "X-Request-ID", "e2e-bad-input"))
	}
	noInternals(t, s.expect(400, "POST", "/api/v1/agents/code-scanner/run", "API_KEY", `{"path":"../.."}`))

	// Timeout: 504.
	noInternals(t, s.expect(504, "POST", "/api/v1/agents/diagnostics/run", "API_KEY", `{"message":"slow","delay_ms":5000}`, "X-Request-ID", "e2e-timeout"))

	// Failures open the breaker: 503 with Retry-After, internals never shown.
	var open response
	openID := ""
	for i := 0; i < 10; i++ {
		openID = fmt.Sprintf("e2e-fail-%d", i)
		r := s.do("POST", "/api/v1/agents/diagnostics/run", "API_KEY", `{"message":"x","fail":true}`, "X-Request-ID", openID)
		noInternals(t, r)
		if r.status == 503 {
			open = r
			break
		}
		if r.status != 500 {
			t.Fatalf("failing agent: status %d %s", r.status, r.body)
		}
	}
	if open.status != 503 || open.header.Get("Retry-After") == "" {
		t.Fatalf("breaker did not open: %d %v", open.status, open.header)
	}

	// Every failure is in the ledger under its request id.
	for _, id := range []string{"e2e-bad-input", "e2e-timeout", "e2e-fail-0", openID} {
		var entries []map[string]any
		s.expect(200, "GET", "/api/v1/ledger?request_id="+id, "TOKEN_ADMIN", "").json(t, &entries)
		if len(entries) == 0 {
			t.Errorf("no ledger entry for request %s", id)
		}
	}
	var verify struct{ OK bool }
	s.expect(200, "POST", "/api/v1/ledger/verify", "TOKEN_SUPER_ADMIN", "").json(t, &verify)
	if !verify.OK {
		t.Error("ledger does not verify")
	}

	// Health: public status only, details for Admin.
	r = s.expect(200, "GET", "/api/v1/monitoring/health", "", "")
	if strings.Contains(string(r.body), "checks") {
		t.Errorf("public health shows details: %s", r.body)
	}
	r = s.expect(200, "GET", "/api/v1/monitoring/health/detailed", "TOKEN_ADMIN", "")
	if !strings.Contains(string(r.body), "models") {
		t.Errorf("detailed health lacks checks: %s", r.body)
	}
	s.expect(200, "GET", "/livez", "", "")
	s.expect(200, "GET", "/readyz", "", "")
	r = s.expect(200, "GET", "/api/v1/monitoring/metrics", "TOKEN_ADMIN", "")
	if !strings.Contains(string(r.body), `devskyy_breaker_open{agent="diagnostics"} 1`) {
		t.Errorf("metrics: %s", r.body)
	}

	// Models: activate the second version; a restart keeps it.
	s.expect(200, "POST", "/api/v1/models/size-recommender/activate", "TOKEN_ADMIN", `{"version":"1.1.0","why":"e2e"}`)
	s.expect(403, "POST", "/api/v1/models/size-recommender/rollback", "TOKEN_DEVELOPER", `{}`)
	s.expect(403, "GET", "/api/v1/models", "TOKEN_READ_ONLY", "")
	var versions []map[string]any
	s.expect(200, "GET", "/api/v1/models", "TOKEN_ADMIN", "").json(t, &versions)
	if len(versions) != 2 {
		t.Errorf("model versions: %v", versions)
	}
	s.expect(201, "POST", "/api/v1/models/size-recommender/versions", "TOKEN_ADMIN", `{"version":"1.0.0","artifact":"size-recommender/1.0.0/model.json","tags":["shipped"]}`)
	s.expect(409, "POST", "/api/v1/models/size-recommender/versions", "TOKEN_ADMIN", `{"version":"1.0.0","artifact":"size-recommender/1.1.0/model.json"}`)
	noInternals(t, s.expect(400, "POST", "/api/v1/models/size-recommender/versions", "TOKEN_ADMIN", `{"version":"9.9.9","artifact":"../../etc/passwd"}`))
	s.expect(404, "POST", "/api/v1/models/size-recommender/activate", "TOKEN_ADMIN", `{"version":"7.7.7"}`)

	s.stop()

	// Restart: the ledger and the active model survive.
	s2 := start(t, data)
	var entries []map[string]any
	s2.expect(200, "GET", "/api/v1/ledger?request_id=e2e-fail-0", "TOKEN_ADMIN", "").json(t, &entries)
	if len(entries) == 0 {
		t.Error("ledger entry lost across restart")
	}
	s2.expect(200, "POST", "/api/v1/agents/size-recommender/run", "TOKEN_API_USER", `{"chest_cm":90,"waist_cm":80}`).json(t, &run)
	if !strings.Contains(string(run.Output), `"model_version":"1.1.0"`) {
		t.Errorf("active model after restart: %s", run.Output)
	}
	s2.expect(200, "POST", "/api/v1/ledger/verify", "TOKEN_SUPER_ADMIN", "").json(t, &verify)
	if !verify.OK {
		t.Error("ledger does not verify after restart")
	}

	// SIGTERM with a request in flight: it completes, then the process exits
	// cleanly.
	inflight := make(chan response, 1)
	go func() {
		inflight <- s2.do("POST", "/api/v1/agents/diagnostics/run", "API_KEY", `{"message":"finish me","delay_ms":700}`)
	}()
	s2.waitInFlight(agentDiagnostics)
	s2.stop()
	if r := <-inflight; r.status != 200 || !strings.Contains(string(r.body), "finish me") {
		t.Errorf("in-flight request during shutdown: %d %s", r.status, r.body)
	}
}

// waitInFlight polls the metrics until the named agent has an execution in
// progress. Each poll is a real request, so the loop needs no sleep; it gives
// up after 10 s.
func (s *server) waitInFlight(name string) {
	s.t.Helper()
	want := fmt.Sprintf("devskyy_agent_in_flight{agent=%q} 1", name)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := s.do("GET", "/api/v1/monitoring/metrics", "TOKEN_ADMIN", ""); strings.Contains(string(r.body), want) {
			return
		}
	}
	s.t.Fatalf("%s never had a request in flight", name)
}

func TestProductionRefusesWeakSettings(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		wantKeys  []string
		forbidden string
	}{
		{"nothing set", nil, []string{"DEVSKYY_ADDR", "DEVSKYY_DATA_DIR", "DEVSKYY_SECRET_KEY"}, ""},
		{"placeholder secret", []string{"DEVSKYY_SECRET_KEY=dev-secret-key-change-in-production", "DEVSKYY_ADDR=127.0.0.1:0", "DEVSKYY_DATA_DIR=" + t.TempDir()}, []string{"DEVSKYY_SECRET_KEY"}, "dev-secret-key-change-in-production"},
		{"short secret and typo", []string{"DEVSKYY_SECRET_KEY=tooshort-canary", "DEVSKYY_ADRR=x", "DEVSKYY_ADDR=127.0.0.1:0", "DEVSKYY_DATA_DIR=" + t.TempDir()}, []string{"DEVSKYY_SECRET_KEY", "DEVSKYY_ADRR"}, "tooshort-canary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary(t))
			cmd.Env = baseEnv(tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("started in production with %v", tt.env)
			}
			for _, k := range tt.wantKeys {
				if !strings.Contains(string(out), k) {
					t.Errorf("error does not name %s:\n%s", k, out)
				}
			}
			if tt.forbidden != "" && strings.Contains(string(out), tt.forbidden) {
				t.Errorf("error leaks the value:\n%s", out)
			}
		})
	}
}

func TestRouteTable(t *testing.T) {
	cmd := exec.Command(binary(t), "-dev", "-routes")
	cmd.Env = baseEnv("DEVSKYY_DATA_DIR=" + t.TempDir())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("route line %q", line)
		}
		got[f[0]+" "+f[1]] = f[2] + " " + f[3]
	}
	want := map[string]string{
		"GET /api/v1/agents":                     "permission:agents:read read_only",
		"GET /api/v1/agents/{name}":              "permission:agents:read read_only",
		"GET /api/v1/agents/{name}/health":       "permission:agents:read read_only",
		"POST /api/v1/agents/{name}/run":         "permission:agents:execute api_user",
		"GET /api/v1/ledger":                     "permission:ledger:read admin",
		"GET /api/v1/ledger/groups":              "permission:ledger:read admin",
		"POST /api/v1/ledger/verify":             "permission:ledger:verify super_admin",
		"GET /api/v1/models":                     "permission:models:read admin",
		"GET /api/v1/models/{name}":              "permission:models:read admin",
		"POST /api/v1/models/{name}/activate":    "permission:models:activate admin",
		"POST /api/v1/models/{name}/rollback":    "permission:models:activate admin",
		"POST /api/v1/models/{name}/versions":    "permission:models:write admin",
		"GET /api/v1/monitoring/health":          "public none",
		"GET /api/v1/monitoring/health/detailed": "permission:monitoring:read admin",
		"GET /api/v1/monitoring/metrics":         "permission:monitoring:read admin",
		"GET /livez":                             "public none",
		"GET /readyz":                            "public none",
		"GET /startupz":                          "public none",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route table (-want +got):\n%s", diff)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-help-env"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"DEVSKYY_SECRET_KEY", "DEVSKYY_AGENT_TIMEOUTS", "DEVSKYY_FEATURES"} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("usage lacks %s", k)
		}
	}
	if err := run(context.Background(), []string{"extra"}, &out, &errOut); err == nil {
		t.Error("stray argument accepted")
	}
}
