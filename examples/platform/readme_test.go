package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickstart runs every curl command of the README's quickstart
// against a freshly started platform and checks the status in its comment.
func TestReadmeQuickstart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- quickstart:begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- quickstart:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no quickstart block")
	}
	cmdRE := regexp.MustCompile(`^(curl .*?)\s+#\s*(\d{3})\b`)
	var cmds [][2]string
	for _, line := range strings.Split(block, "\n") {
		if m := cmdRE.FindStringSubmatch(line); m != nil {
			cmds = append(cmds, [2]string{m[1], m[2]})
		} else if strings.HasPrefix(line, "curl") {
			t.Fatalf("README command without an expected status: %s", line)
		}
	}
	if len(cmds) < 8 {
		t.Fatalf("found %d quickstart commands", len(cmds))
	}
	s := start(t, t.TempDir(), "DEVSKYY_SCAN_ROOT=../..")
	host := strings.TrimPrefix(s.base, "http://")
	env := os.Environ()
	for k, v := range s.env {
		env = append(env, k+"="+v)
	}
	for _, c := range cmds {
		line := strings.ReplaceAll(c[0], "localhost:8080", host)
		cmd := exec.Command("bash", "-c", line)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", c[0], err)
		}
		status := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
		if len(status) < 2 || status[1] != c[1] {
			t.Errorf("%s\nwant %s, got:\n%s", c[0], c[1], out)
		}
		if strings.Contains(c[0], "request_id=demo-1") && !strings.Contains(string(out), `"request_id":"demo-1"`) {
			t.Errorf("the ledger has no entry for demo-1:\n%s", out)
		}
	}
	s.stop()
}
