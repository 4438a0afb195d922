package config

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

// vocabulary returns the package's own source text (every reason is a
// literal in it) plus extra words, digits normalised. Text of an error that
// is also in the vocabulary did not come from the input.
func vocabulary(t testing.TB, extra ...string) string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	for _, e := range extra {
		b.WriteString("\n" + e)
	}
	return normDigits(b.String())
}

func normDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '0'
		}
		return r
	}, s)
}

// leaked returns a piece of input (at least 6 bytes) that appears in out
// but not in the vocabulary, or "".
func leaked(out, input, vocab string) string {
	const w = 6
	out, input = normDigits(out), normDigits(input)
	for i := 0; i+w <= len(input); i++ {
		win := input[i : i+w]
		if strings.Contains(out, win) && !strings.Contains(vocab, win) {
			return win
		}
	}
	return ""
}

func FuzzParseDotEnv(f *testing.F) {
	for _, seed := range []string{
		"A=1\nB='x y'\nC=\"a\\nb\"\n", "\uFEFFexport K=v # c\r\n", "A='unterminated\n", "A=\"${B}\"\nB=$A",
		"A=`id`", "A=$(id)", "A=\"\\q\"", "A=1\nA=2", "9=1", "A=x'y", "A=${", "A='a'b", "# only\n\n",
		"K=\"multi\nline\"\r\nL=x\r", "X=a\x00b",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	vocab := vocabulary(f)
	f.Fuzz(func(t *testing.T, src string, expand bool) {
		var lookup func(string) (string, bool)
		if expand {
			lookup = func(name string) (string, bool) {
				if name == "HOME" {
					return "/home", true
				}
				return "", false
			}
		}
		entries, err := parseDotEnv(src, lookup, nil)
		if err != nil {
			msg := err.Error()
			// A duplicate-key message names the key: that is allowed.
			keys := ""
			if strings.Contains(msg, "already defined") {
				keys = strings.Fields(msg)[3]
			}
			if l := leaked(msg, src, vocab+"\n"+keys); l != "" {
				t.Fatalf("error %q contains input %q", msg, l)
			}
			return
		}
		// Every parsed value survives quoting and parsing again.
		for _, e := range entries {
			if !validName(e.key) {
				t.Fatalf("invalid key %q", e.key)
			}
			if strings.ContainsRune(e.value, 0) {
				t.Fatalf("value with NUL")
			}
			again, err := parseDotEnv(e.key+"="+quoteEnv(e.value)+"\n", nil, nil)
			if err != nil || len(again) != 1 || again[0].value != e.value {
				t.Fatalf("value %q does not round-trip: %v %+v", e.value, err, again)
			}
		}
	})
}

var fuzzTypes = []reflect.Type{
	reflect.TypeFor[string](), reflect.TypeFor[bool](), reflect.TypeFor[int8](), reflect.TypeFor[uint32](),
	reflect.TypeFor[float64](), reflect.TypeFor[time.Duration](), reflect.TypeFor[*int](),
	reflect.TypeFor[[]int](), reflect.TypeFor[map[string]time.Duration](), reflect.TypeFor[map[int]bool](),
	reflect.TypeFor[Flags](), reflect.TypeFor[Secret](), reflect.TypeFor[[]Secret](), reflect.TypeFor[time.Time](),
	reflect.TypeFor[[]byte](), reflect.TypeFor[url.URL](), reflect.TypeFor[*url.URL](),
}

func FuzzDecode(f *testing.F) {
	for i := range fuzzTypes {
		for _, s := range []string{"", "1", "-1", "1.5e3", "true", "1m30s", "a=1s,b=2s", "1,2,,3", "x=y=z", "http://h/p", "::", "search,pricing=required", "2025-01-01T00:00:00Z", "9999999999999999999999"} {
			f.Add(uint8(i), s)
		}
	}
	vocab := vocabulary(f, "(known: pricing, search)")
	f.Fuzz(func(t *testing.T, ti uint8, s string) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		fd := &field{typ: typ, sep: ",", flags: []string{"pricing", "search"}}
		v, reason := decode(typ, fd, s)
		if reason == "" {
			if !v.IsValid() || !v.Type().AssignableTo(typ) {
				t.Fatalf("decode(%v) returned %v", typ, v)
			}
			return
		}
		if l := leaked(reason, s, vocab); l != "" {
			t.Fatalf("reason %q contains input %q", reason, l)
		}
	})
}

type fuzzSettings struct {
	Port     int           `env:"PORT" default:"80"`
	Wait     time.Duration `env:"WAIT"`
	Key      Secret        `env:"KEY,signing"`
	Tokens   []Secret      `env:"TOKENS"`
	Limits   map[string]int
	Features Flags  `flags:"a,b"`
	Name     string `env:"NAME,required"`
	DB       struct {
		Password Secret
		URL      *url.URL
	}
}

var fuzzKeys = []string{"F_PORT", "F_WAIT", "F_KEY", "F_TOKENS", "F_LIMITS", "F_FEATURES", "F_NAME", "F_DB_PASSWORD", "F_DB_URL", "F_ENV", "F_KEY_FILE", "F_PROT", "F_OTHER", "F_TOKENS_FILE"}

func FuzzLoad(f *testing.F) {
	f.Add("0=8080\n2=CANARY-signing-key-0123456789abcdefgh\n6=svc\n9=staging")
	f.Add("1=soon\n3=CANARY-a,CANARY-b\n4=a=1,b=x\n5=a,zz\n7=CANARY-db\n8=::")
	f.Add("9=development\n6=\n2=short\n11=1\n12=CANARY-unknown")
	f.Add("10=/nonexistent\n2=x")
	vocab := vocabulary(f, strings.Join(fuzzKeys, " "))
	f.Fuzz(func(t *testing.T, blob string) {
		env := map[string]string{}
		var values []string
		for _, line := range strings.Split(blob, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			n := 0
			for _, c := range k {
				n = n*10 + int(c-'0')
				if c < '0' || c > '9' || n > 1000 {
					n = -1
					break
				}
			}
			if n < 0 || n >= len(fuzzKeys) {
				continue
			}
			if fuzzKeys[n] == "F_KEY_FILE" || fuzzKeys[n] == "F_TOKENS_FILE" {
				v = "/nonexistent/" + v // never read real files
			}
			env[fuzzKeys[n]] = v
			values = append(values, v)
		}
		var s fuzzSettings
		res, err := Load(&s, Options{Prefix: "F_", Env: env})
		if err == nil {
			if _, ok := res.Origin("F_NAME"); !ok {
				t.Fatal("no origin for F_NAME")
			}
			return
		}
		msg := err.Error()
		for _, v := range values {
			if l := leaked(msg, v, vocab); l != "" {
				t.Fatalf("error %q contains input %q", msg, l)
			}
		}
	})
}
