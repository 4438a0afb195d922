package ledger

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces every redacted value.
const Redacted = "[REDACTED]"

// defaultDenyKeys are matched, after normalisation (lower case, without '-',
// '_', '.' and spaces), as substrings of attribute keys.
var defaultDenyKeys = []string{
	"password", "passwd", "passphrase", "secret", "token", "authorization",
	"cookie", "apikey", "privatekey", "credential", "session", "signature",
}

// Values shaped like credentials, redacted wherever they appear in a
// string value, the message or the stack. These are compiled once and never
// modified.
var (
	jwtRe    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	bearerRe = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}`)
	pemRe    = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)
)

func normKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func denyList(extra []string) []string {
	d := append([]string(nil), defaultDenyKeys...)
	for _, k := range extra {
		if n := normKey(k); n != "" {
			d = append(d, n)
		}
	}
	return d
}

func denied(key string, deny []string) bool {
	n := normKey(key)
	for _, d := range deny {
		if strings.Contains(n, d) {
			return true
		}
	}
	return false
}

// redactEntry redacts e in place (the Attrs slice is replaced, never
// mutated) and returns the number of redactions.
func redactEntry(e *Entry, deny []string) int {
	n := 0
	e.Message = redactString(e.Message, &n)
	e.Stack = redactString(e.Stack, &n)
	if len(e.Attrs) > 0 {
		e.Attrs = redactAttrs(e.Attrs, deny, &n, 0)
	}
	return n
}

func redactAttrs(as []slog.Attr, deny []string, n *int, depth int) []slog.Attr {
	out := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		a.Value = a.Value.Resolve()
		switch {
		case a.Value.Kind() == slog.KindGroup:
			if depth < 16 {
				a.Value = slog.GroupValue(redactAttrs(a.Value.Group(), deny, n, depth+1)...)
			} else {
				a.Value = slog.StringValue(Redacted)
				*n++
			}
			if a.Key != "" && denied(a.Key, deny) {
				a.Value = slog.StringValue(Redacted)
				*n++
			}
		case a.Key != "" && denied(a.Key, deny):
			a.Value = slog.StringValue(Redacted)
			*n++
		case a.Value.Kind() == slog.KindString:
			a.Value = slog.StringValue(redactString(a.Value.String(), n))
		case a.Value.Kind() == slog.KindAny:
			switch v := a.Value.Any().(type) {
			case error:
				a.Value = slog.StringValue(redactString(v.Error(), n))
			case fmt.Stringer:
				a.Value = slog.StringValue(redactString(v.String(), n))
			case []byte:
				a.Value = slog.StringValue(redactString(string(v), n))
			}
		}
		out = append(out, a)
	}
	return out
}

// redactString replaces JWTs, bearer tokens and PEM private keys in s,
// adding the number of replacements to n.
func redactString(s string, n *int) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "eyJ") {
		s = replaceCount(jwtRe, s, Redacted, n)
	}
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = replaceCount(pemRe, s, Redacted, n)
	}
	if containsBearer(s) {
		s = replaceCount(bearerRe, s, "Bearer "+Redacted, n)
	}
	return s
}

func replaceCount(re *regexp.Regexp, s, repl string, n *int) string {
	return re.ReplaceAllStringFunc(s, func(string) string {
		*n++
		return repl
	})
}

// containsBearer reports whether s contains "bearer" in any case. It looks
// for 'b' and 'B' with IndexByte (vectorised) rather than byte by byte.
func containsBearer(s string) bool {
	lo, up := strings.IndexByte(s, 'b'), strings.IndexByte(s, 'B')
	for lo >= 0 || up >= 0 {
		i := lo
		if i < 0 || (up >= 0 && up < i) {
			i = up
		}
		if i+6 <= len(s) && strings.EqualFold(s[i:i+6], "bearer") {
			return true
		}
		if i == lo {
			lo = nextByte(s, 'b', i)
		} else {
			up = nextByte(s, 'B', i)
		}
	}
	return false
}

// nextByte returns the index of the first c in s after i, or -1.
func nextByte(s string, c byte, i int) int {
	j := strings.IndexByte(s[i+1:], c)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
