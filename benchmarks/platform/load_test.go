// Package platformbench drives the assembled platform (examples/platform) over
// loopback HTTP and reports throughput and latency percentiles.
package platformbench

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// startPlatform builds and starts the platform in development mode on a
// random loopback port and returns its base URL and demo API key.
func startPlatform(b *testing.B) (base, apiKey string) {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "platform")
	build := exec.Command("go", "build", "-o", bin, "./examples/platform")
	build.Dir = filepath.Join("..", "..") // the main module, whose go.sum covers the platform
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-dev", "-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DEVSKYY_DATA_DIR=" + filepath.Join(dir, "data")}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "export API_KEY="); ok {
			apiKey = v
		}
		if v, ok := strings.CutPrefix(line, "listening on "); ok {
			base = v
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if base == "" || apiKey == "" {
		b.Fatal("the platform did not start")
	}
	return base, apiKey
}

// BenchmarkPlatformLoad sends b.N executions of the cheap diagnostics agent
// at a fixed rate (open loop: requests are issued on schedule whether or not
// earlier ones have answered) and reports the achieved throughput and the
// p50, p95 and p99 latency. Run it with, for example,
// -bench PlatformLoad -benchtime 20000x.
func BenchmarkPlatformLoad(b *testing.B) {
	base, key := startPlatform(b)
	for _, rate := range []int{500, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 10 * time.Second}
			url := base + "/api/v1/agents/diagnostics/run"
			send := func() (time.Duration, error) {
				req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"message":"load"}`))
				if err != nil {
					return 0, err
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "ApiKey "+key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return 0, fmt.Errorf("status %d", resp.StatusCode)
				}
				return time.Since(t0), nil
			}
			for range 50 { // warm the connections
				if _, err := send(); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, b.N)
			errs := make([]error, b.N)
			interval := time.Second / time.Duration(rate)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d) // pacing the open-loop load generator, not a test wait
				}
				wg.Go(func() { lat[i], errs[i] = send() })
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			failed := 0
			for _, err := range errs {
				if err != nil {
					failed++
				}
			}
			if failed > 0 {
				b.Fatalf("%d of %d requests failed, first: %v", failed, b.N, errs[slices.IndexFunc(errs, func(e error) bool { return e != nil })])
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
