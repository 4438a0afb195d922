// Package codescan is the platform example's code-scanner agent: it walks a
// directory inside a sandboxed root and reports the seed audit's own findings
// (hard-coded secrets and dev-secret defaults, imports that shadow one
// another, catch-all exception handlers, version-suffixed duplicate files)
// with file and line.
//
// The root is an [os.Root]: a requested path with "..", an absolute path or a
// symlink leaving the root is refused by the operating system, not by string
// checks. Files larger than [MaxFileSize] and anything that is not a regular
// file are skipped; a scan stops at [MaxFiles] files or when its context ends.
package codescan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Limits of one scan.
const (
	MaxFileSize = 1 << 20 // bytes; larger files are skipped
	MaxFiles    = 10000   // files examined before the scan stops with Truncated set
	maxFindings = 1000
)

// Rule names reported in [Finding.Rule].
const (
	RuleHardcodedSecret  = "hardcoded-secret"
	RuleDevSecretDefault = "dev-secret-default"
	RuleShadowedImport   = "shadowed-import"
	RuleCatchAll         = "catch-all-handler"
	RuleVersionedFile    = "versioned-duplicate"
)

// Input is what the agent is asked to scan. Path is relative to the sandbox
// root; "" or "." scans the whole root.
type Input struct {
	Path string `json:"path" validate:"max=1024"`
}

// Finding is one problem found, with the file relative to the root and a
// 1-based line (0 for findings about a whole file).
type Finding struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Output is the result of a scan, findings sorted by file, line and rule.
type Output struct {
	Files     int       `json:"files"`
	Findings  []Finding `json:"findings"`
	Truncated bool      `json:"truncated,omitempty"`
}

// ErrBadPath reports a path that is not a clean relative path inside the root.
var ErrBadPath = errors.New("codescan: path must be a clean relative path inside the scan root")

var (
	secretAssign = regexp.MustCompile(`(?i)\b[a-z0-9_]*(secret|password|passwd|api_?key|token|private_?key)[a-z0-9_]*\s*[:=]\s*["']([^"']{6,})["']`)
	envDefault   = regexp.MustCompile(`(?i)(getenv|environ\.get|os\.Getenv|LookupEnv)\s*\(\s*["']([a-z0-9_]*(secret|password|key|token)[a-z0-9_]*)["']\s*,\s*["']([^"']+)["']`)
	catchAll     = regexp.MustCompile(`^\s*except\s*(\(?\s*(Base)?Exception\s*\)?)?\s*(as\s+\w+\s*)?:`)
	fromImport   = regexp.MustCompile(`^\s*from\s+([\w.]+)\s+import\s+(.+)$`)
	plainImport  = regexp.MustCompile(`^\s*import\s+([\w.]+)(\s+as\s+(\w+))?\s*$`)
	versioned    = regexp.MustCompile(`^(.+?)(_v[0-9]+|_old|_new|_copy|_bak|_backup)\.[A-Za-z0-9]+$`)
	placeholders = []string{"changeme", "change-me", "dev-secret-key-change-in-production", "secret", "password", "your-secret-key"}
)

// Scan walks dir inside root and reports findings. It honours ctx between
// files and lines, and returns ctx's error if it ends first.
func Scan(ctx context.Context, root *os.Root, in Input) (Output, error) {
	dir := in.Path
	if dir == "" {
		dir = "."
	}
	if !fs.ValidPath(dir) {
		return Output{}, ErrBadPath
	}
	fsys := root.FS()
	st, err := fs.Stat(fsys, dir)
	if err != nil {
		return Output{}, fmt.Errorf("codescan: %q not found in the scan root", dir)
	}
	out := Output{Findings: []Finding{}}
	if !st.IsDir() {
		err := scanFile(ctx, fsys, dir, &out)
		sortFindings(out.Findings)
		return out, err
	}
	names := map[string]bool{}
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable entries are skipped, not fatal
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if out.Files >= MaxFiles || len(out.Findings) >= maxFindings {
			out.Truncated = true
			return fs.SkipAll
		}
		names[p] = true
		return scanFile(ctx, fsys, p, &out)
	})
	if err != nil {
		return Output{}, err
	}
	for p := range names {
		m := versioned.FindStringSubmatch(path.Base(p))
		if m == nil {
			continue
		}
		orig := path.Join(path.Dir(p), m[1]+path.Ext(p))
		msg := fmt.Sprintf("version-suffixed file %q", path.Base(p))
		if names[orig] {
			msg += fmt.Sprintf(" duplicates %q: evolve one file in place", path.Base(orig))
		}
		out.Findings = append(out.Findings, Finding{Rule: RuleVersionedFile, File: p, Message: msg})
	}
	sortFindings(out.Findings)
	return out, nil
}

func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
}

func scanFile(ctx context.Context, fsys fs.FS, p string, out *Output) error {
	info, err := fs.Stat(fsys, p)
	if err != nil || info.Size() > MaxFileSize {
		return nil
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	out.Files++
	imported := map[string]string{} // bound name -> module
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), MaxFileSize)
	for line := 1; sc.Scan(); line++ {
		if line%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		text := sc.Text()
		if strings.IndexByte(text, 0) >= 0 {
			return nil // binary file
		}
		add := func(rule, msg string) {
			out.Findings = append(out.Findings, Finding{Rule: rule, File: p, Line: line, Message: msg})
		}
		if m := envDefault.FindStringSubmatch(text); m != nil {
			add(RuleDevSecretDefault, fmt.Sprintf("secret %s has a default value in code: secrets need no default and must fail closed", m[2]))
		} else if m := secretAssign.FindStringSubmatch(text); m != nil {
			msg := "hard-coded secret: load it from configuration"
			if isPlaceholder(m[2]) {
				msg = "well-known placeholder secret: load a real one from configuration"
			}
			add(RuleHardcodedSecret, msg)
		}
		if catchAll.MatchString(text) {
			add(RuleCatchAll, "catch-all exception handler: catch what you can handle and record the rest")
		}
		for name, mod := range importedNames(text) {
			if prev, ok := imported[name]; ok && prev != mod {
				add(RuleShadowedImport, fmt.Sprintf("%s imported from %s shadows the import from %s", name, mod, prev))
			}
			imported[name] = mod
		}
	}
	return nil
}

func isPlaceholder(v string) bool {
	v = strings.ToLower(v)
	for _, p := range placeholders {
		if v == p {
			return true
		}
	}
	return strings.Contains(v, "change") && strings.Contains(v, "prod")
}

// importedNames returns the names a Python import line binds, each with the
// module it comes from.
func importedNames(line string) map[string]string {
	if m := plainImport.FindStringSubmatch(line); m != nil {
		name := m[1]
		if m[3] != "" {
			name = m[3]
		} else if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[:i]
			return map[string]string{name: name}
		}
		return map[string]string{name: m[1]}
	}
	m := fromImport.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	names := map[string]string{}
	list := strings.Trim(strings.TrimSpace(m[2]), "()")
	for _, part := range strings.Split(list, ",") {
		fields := strings.Fields(part)
		switch {
		case len(fields) == 1 && fields[0] != "*":
			names[fields[0]] = m[1]
		case len(fields) == 3 && fields[1] == "as":
			names[fields[2]] = m[1]
		}
	}
	return names
}
