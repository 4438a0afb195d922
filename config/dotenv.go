package config

import (
	"strconv"
	"strings"
)

// dotenvEntry is one KEY=value line of an env file.
type dotenvEntry struct {
	key, value string
	line       int
}

// dotenvError is a syntax error. Its reason never quotes the input.
type dotenvError struct {
	line   int
	reason string
}

func (e *dotenvError) Error() string { return "line " + strconv.Itoa(e.line) + ": " + e.reason }

// parseDotEnv parses an env file strictly. The grammar, per line:
//
//	# comment
//	[export] KEY = value [# comment]
//
// KEY is [A-Za-z_][A-Za-z0-9_]*. A value is unquoted (ends at the line end
// or at " #", trimmed), 'single-quoted' (literal, may span lines) or
// "double-quoted" (escapes \n \r \t \\ \" \$ \`, may span lines). A leading
// UTF-8 BOM and CRLF line ends are accepted. Backquotes and $( are rejected
// outside single quotes: there is no command substitution. When lookup is
// not nil, $NAME and ${NAME} are expanded in unquoted and double-quoted
// values from lookup, then from earlier keys of the same file, then from
// fallback (if not nil); a reference to an undefined name is an error. A key
// defined twice is an error.
func parseDotEnv(src string, lookup, fallback func(string) (string, bool)) ([]dotenvEntry, error) {
	p := &dotenvParser{s: strings.TrimPrefix(src, "\uFEFF"), line: 1, lookup: lookup, fallback: fallback, seen: map[string]int{}}
	return p.parse()
}

type dotenvParser struct {
	s        string
	i        int
	line     int
	lookup   func(string) (string, bool)
	fallback func(string) (string, bool)
	seen     map[string]int
	out      []dotenvEntry
}

func (p *dotenvParser) fail(reason string) error { return &dotenvError{line: p.line, reason: reason} }

func (p *dotenvParser) skipBlank() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// eol consumes a line end (or accepts the end of input) and reports whether
// one was there.
func (p *dotenvParser) eol() bool {
	switch {
	case p.i >= len(p.s):
		return true
	case p.s[p.i] == '\n':
		p.i++
	case p.s[p.i] == '\r' && p.i+1 < len(p.s) && p.s[p.i+1] == '\n':
		p.i += 2
	default:
		return false
	}
	p.line++
	return true
}

func (p *dotenvParser) skipComment() {
	for p.i < len(p.s) && p.s[p.i] != '\n' && p.s[p.i] != '\r' {
		p.i++
	}
}

func (p *dotenvParser) parse() ([]dotenvEntry, error) {
	for p.i < len(p.s) {
		p.skipBlank()
		if p.eol() {
			continue
		}
		if p.s[p.i] == '#' {
			p.skipComment()
			if !p.eol() {
				return nil, p.fail("stray carriage return")
			}
			continue
		}
		if strings.HasPrefix(p.s[p.i:], "export") && len(p.s) > p.i+6 && (p.s[p.i+6] == ' ' || p.s[p.i+6] == '\t') {
			p.i += 6
			p.skipBlank()
		}
		line := p.line
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipBlank()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return nil, p.fail("expected = after the key")
		}
		p.i++
		p.skipBlank()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		if prev, dup := p.seen[key]; dup {
			return nil, &dotenvError{line: line, reason: "key " + key + " already defined on line " + strconv.Itoa(prev)}
		}
		p.seen[key] = line
		p.out = append(p.out, dotenvEntry{key: key, value: val, line: line})
	}
	return p.out, nil
}

func isKeyByte(c byte, first bool) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9')
}

func (p *dotenvParser) key() (string, error) {
	start := p.i
	for p.i < len(p.s) && isKeyByte(p.s[p.i], p.i == start) {
		p.i++
	}
	if p.i == start {
		return "", p.fail("expected a key (letters, digits and _, not starting with a digit)")
	}
	return p.s[start:p.i], nil
}

// value parses the value and the rest of its line.
func (p *dotenvParser) value() (string, error) {
	var v string
	var err error
	switch {
	case p.i < len(p.s) && p.s[p.i] == '\'':
		v, err = p.single()
	case p.i < len(p.s) && p.s[p.i] == '"':
		v, err = p.double()
	default:
		return p.unquoted()
	}
	if err != nil {
		return "", err
	}
	p.skipBlank()
	if p.i < len(p.s) && p.s[p.i] == '#' {
		p.skipComment()
	}
	if !p.eol() {
		return "", p.fail("unexpected text after the closing quote")
	}
	return v, nil
}

func (p *dotenvParser) single() (string, error) {
	startLine := p.line
	p.i++
	end := strings.IndexByte(p.s[p.i:], '\'')
	if end < 0 {
		return "", &dotenvError{line: startLine, reason: "unterminated single-quoted value"}
	}
	v := p.s[p.i : p.i+end]
	p.line += strings.Count(v, "\n")
	p.i += end + 1
	if strings.IndexByte(v, 0) >= 0 {
		return "", p.fail("NUL byte in value")
	}
	return strings.ReplaceAll(v, "\r\n", "\n"), nil
}

func (p *dotenvParser) double() (string, error) {
	startLine := p.line
	p.i++
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", &dotenvError{line: startLine, reason: "unterminated double-quoted value"}
		}
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", &dotenvError{line: startLine, reason: "unterminated double-quoted value"}
			}
			switch e := p.s[p.i+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '$', '`':
				b.WriteByte(e)
			default:
				return "", p.fail("unknown escape sequence in double-quoted value")
			}
			p.i += 2
			continue
		case '\r':
			if p.i+1 < len(p.s) && p.s[p.i+1] == '\n' {
				p.i++
				continue
			}
			b.WriteByte(c)
		case '\n':
			p.line++
			b.WriteByte(c)
		case '$', '`':
			if err := p.dollar(&b); err != nil {
				return "", err
			}
			continue
		case 0:
			return "", p.fail("NUL byte in value")
		default:
			b.WriteByte(c)
		}
		p.i++
	}
}

func (p *dotenvParser) unquoted() (string, error) {
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\n' || (c == '\r' && p.i+1 < len(p.s) && p.s[p.i+1] == '\n'):
			p.eol()
			return strings.TrimRight(b.String(), " \t"), nil
		case c == '\r':
			return "", p.fail("stray carriage return")
		case c == '#' && (b.Len() == 0 || p.s[p.i-1] == ' ' || p.s[p.i-1] == '\t'):
			p.skipComment()
			continue
		case c == '"' || c == '\'':
			return "", p.fail("quote inside an unquoted value (quote the whole value)")
		case c == 0:
			return "", p.fail("NUL byte in value")
		case c == '$' || c == '`':
			if err := p.dollar(&b); err != nil {
				return "", err
			}
			continue
		default:
			b.WriteByte(c)
		}
		p.i++
	}
	return strings.TrimRight(b.String(), " \t"), nil
}

// dollar handles a $ or backquote at p.i in an unquoted or double-quoted
// value and advances past what it consumed.
func (p *dotenvParser) dollar(b *strings.Builder) error {
	if p.s[p.i] == '`' || strings.HasPrefix(p.s[p.i:], "$(") {
		return p.fail("command substitution is not supported (use single quotes for a literal value)")
	}
	if p.lookup == nil {
		b.WriteByte('$')
		p.i++
		return nil
	}
	rest := p.s[p.i+1:]
	var name string
	switch {
	case strings.HasPrefix(rest, "{"):
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return p.fail("unterminated ${ in value")
		}
		name = rest[1:end]
		p.i += end + 2
		if name == "" || !validName(name) {
			return p.fail("invalid variable name inside ${}")
		}
	case len(rest) > 0 && isKeyByte(rest[0], true):
		n := 1
		for n < len(rest) && isKeyByte(rest[n], false) {
			n++
		}
		name = rest[:n]
		p.i += n + 1
	default:
		b.WriteByte('$')
		p.i++
		return nil
	}
	v, ok := p.lookup(name)
	if !ok {
		if _, seen := p.seen[name]; seen {
			v, ok = p.find(name), true
		}
	}
	if !ok && p.fallback != nil {
		v, ok = p.fallback(name)
	}
	if !ok {
		return p.fail("reference to an undefined variable")
	}
	b.WriteString(v)
	return nil
}

func (p *dotenvParser) find(name string) string {
	for i := len(p.out) - 1; i >= 0; i-- {
		if p.out[i].key == name {
			return p.out[i].value
		}
	}
	return ""
}

func validName(s string) bool {
	for i := range len(s) {
		if !isKeyByte(s[i], i == 0) {
			return false
		}
	}
	return true
}
