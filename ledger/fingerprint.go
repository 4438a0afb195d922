package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// stackFrames is how many top stack frames the default fingerprint uses.
const stackFrames = 3

// DefaultFingerprint returns the default grouping key of e: 16 hex digits of
// SHA-256 over the type, the normalised message ([NormalizeMessage]) and the
// names of the top three stack frames (without file names, line numbers or
// arguments; runtime frames skipped). Entries that differ only in numbers,
// ids, hex values or quoted values share a fingerprint.
func DefaultFingerprint(e *Entry) string {
	var stack [512]byte
	b := append(stack[:0], e.Type...)
	b = append(b, 0)
	b = appendNormalized(b, e.Message)
	for _, f := range topFrames(e.Stack, stackFrames) {
		b = append(b, 0)
		b = append(b, f...)
	}
	sum := sha256.Sum256(b)
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}

// NormalizeMessage strips the variable parts of a message: quoted values
// become ?, and words (runs of letters and digits) that contain a digit, or
// are 8 or more hex letters, become #.
func NormalizeMessage(m string) string {
	return string(appendNormalized(make([]byte, 0, len(m)), m))
}

func appendNormalized(b []byte, m string) []byte {
	for i := 0; i < len(m); {
		c := m[i]
		if (c == '"' || c == '`' || c == '\'') && (i == 0 || !isAlnum(m[i-1])) {
			if j := strings.IndexByte(m[i+1:], c); j >= 0 && !strings.Contains(m[i+1:i+1+j], "\n") {
				b = append(b, '?')
				i += j + 2
				continue
			}
		}
		if !isAlnum(c) {
			b = append(b, c)
			i++
			continue
		}
		j := i
		digit, hexOnly := false, true
		for j < len(m) && isAlnum(m[j]) {
			d := m[j]
			if '0' <= d && d <= '9' {
				digit = true
			} else if !('a' <= d && d <= 'f' || 'A' <= d && d <= 'F') {
				hexOnly = false
			}
			j++
		}
		if digit || (hexOnly && j-i >= 8) {
			b = append(b, '#')
		} else {
			b = append(b, m[i:j]...)
		}
		i = j
	}
	return b
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// topFrames returns up to n function names from a stack trace. Go traces
// (debug.Stack) give "pkg.Func(args)" lines followed by indented file:line
// lines; runtime frames are skipped. For other formats, the first n
// non-empty lines are used with their digits removed.
func topFrames(stack string, n int) []string {
	if stack == "" {
		return nil
	}
	var frames, generic []string
	for line := range strings.Lines(stack) {
		line = strings.TrimRight(line, "\r\n")
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if len(generic) < n {
			generic = append(generic, strings.Map(func(r rune) rune {
				if '0' <= r && r <= '9' {
					return -1
				}
				return r
			}, t))
		}
		if line[0] == '\t' || line[0] == ' ' || strings.HasPrefix(line, "goroutine ") {
			continue
		}
		i := strings.LastIndexByte(line, '(')
		if i <= 0 {
			continue
		}
		fn := line[:i]
		if fn == "panic" || strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "runtime/debug.") {
			continue
		}
		frames = append(frames, fn)
		if len(frames) == n {
			break
		}
	}
	if len(frames) == 0 {
		return generic
	}
	return frames
}
