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
		cl := charClass[c]
		if cl&clAlnum == 0 {
			if cl&clQuote != 0 && (i == 0 || charClass[m[i-1]]&clAlnum == 0) {
				if j := strings.IndexByte(m[i+1:], c); j >= 0 && strings.IndexByte(m[i+1:i+1+j], '\n') < 0 {
					b = append(b, '?')
					i += j + 2
					continue
				}
			}
			// A run of punctuation and spaces is copied as it is; it
			// stops before a letter, a digit or a quote (which starts a
			// quoted value, its predecessor being no letter or digit).
			j := i + 1
			for j < len(m) && charClass[m[j]]&(clAlnum|clQuote) == 0 {
				j++
			}
			b = append(b, m[i:j]...)
			i = j
			continue
		}
		// A word: a run of letters and digits.
		j := i
		seen, every := uint8(0), uint8(clHex)
		for j < len(m) {
			cl := charClass[m[j]]
			if cl&clAlnum == 0 {
				break
			}
			seen |= cl
			every &= cl
			j++
		}
		if seen&clDigit != 0 || (every&clHex != 0 && j-i >= 8) {
			b = append(b, '#')
		} else {
			b = append(b, m[i:j]...)
		}
		i = j
	}
	return b
}

// Character classes of appendNormalized.
const (
	clAlnum = 1 << iota // ASCII letter or digit
	clDigit             // 0-9
	clHex               // 0-9, a-f, A-F
	clQuote             // " ` '
)

// charClass gives the classes of each byte. It is computed once and never
// modified.
var charClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case '0' <= c && c <= '9':
			t[c] = clAlnum | clDigit | clHex
		case 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			t[c] = clAlnum | clHex
		case 'g' <= c && c <= 'z', 'G' <= c && c <= 'Z':
			t[c] = clAlnum
		case c == '"' || c == '`' || c == '\'':
			t[c] = clQuote
		}
	}
	return t
}()

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
