package ledger

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The functions below are the first, byte-at-a-time implementations of
// the hot paths that were since made faster. They are kept as oracles: the
// fuzz targets check that the fast versions give the same results.

func oracleAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func oracleIsAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func oracleAppendNormalized(b []byte, m string) []byte {
	for i := 0; i < len(m); {
		c := m[i]
		if (c == '"' || c == '`' || c == '\'') && (i == 0 || !oracleIsAlnum(m[i-1])) {
			if j := strings.IndexByte(m[i+1:], c); j >= 0 && !strings.Contains(m[i+1:i+1+j], "\n") {
				b = append(b, '?')
				i += j + 2
				continue
			}
		}
		if !oracleIsAlnum(c) {
			b = append(b, c)
			i++
			continue
		}
		j := i
		digit, hexOnly := false, true
		for j < len(m) && oracleIsAlnum(m[j]) {
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

func oracleContainsBearer(s string) bool {
	for i := 0; ; i++ {
		j := strings.IndexAny(s[i:], "bB")
		if j < 0 {
			return false
		}
		i += j
		if i+6 <= len(s) && strings.EqualFold(s[i:i+6], "bearer") {
			return true
		}
	}
}

var oracleSeeds = []string{
	"", "plain ascii text that is long enough for several words",
	"quote \" backslash \\ lt < gt > amp & tab \t nl \n cr \r nul \x00 del \x7f",
	"utf8 é ü 日本語 \u2028 \u2029 and bad \xff\xfe bytes \xe2\x82",
	"user 'bob' id=12345 hash deadbeefcafe \"quoted\" `tick` it's don't 0x1F",
	"Bearer abc.def BEARER x bEaReR y bbbbbbearer b B",
	"12345678 abcdef12 ABCDEFAB abcdefab abcdefa 'unterminated \"multi\nline\"",
}

// FuzzAppendString checks the word-at-a-time JSON string encoder against
// the byte-at-a-time one.
func FuzzAppendString(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), string(oracleAppendString(nil, s)); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzNormalize checks the table-driven message normaliser against the
// first one.
func FuzzNormalize(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NormalizeMessage(s), string(oracleAppendNormalized(nil, s)); got != want {
			t.Fatalf("NormalizeMessage(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzContainsBearer checks the IndexByte-based search against the
// IndexAny one.
func FuzzContainsBearer(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := containsBearer(s), oracleContainsBearer(s); got != want {
			t.Fatalf("containsBearer(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestSafeWord checks safeWord against jsonSafe for every byte value in
// every position of a word of otherwise safe bytes.
func TestSafeWord(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			var w uint64 = 0x6161616161616161 // "aaaaaaaa"
			w = w&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := c < utf8.RuneSelf && jsonSafe[c]
			if got := safeWord(w); got != want {
				t.Errorf("safeWord with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}
