package config

import (
	"encoding"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"
)

var (
	secretType      = reflect.TypeFor[Secret]()
	flagsType       = reflect.TypeFor[Flags]()
	environmentType = reflect.TypeFor[Environment]()
	durationType    = reflect.TypeFor[time.Duration]()
	urlType         = reflect.TypeFor[url.URL]()
	bytesType       = reflect.TypeFor[[]byte]()
	unmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// field is one key of a settings struct.
type field struct {
	key      string // full variable name, with prefixes
	path     string // Go field path, e.g. "DB.Timeout"
	index    []int  // for reflect.Value.FieldByIndex
	typ      reflect.Type
	def      string
	hasDef   bool
	required bool
	signing  bool
	secret   bool // the type contains a Secret
	isEnv    bool // an Environment field: filled with the resolved environment
	desc     string
	flags    []string // known flag names, for a Flags field
	sep      string   // item separator for slices and maps
}

// schema is the compiled description of a settings struct.
type schema struct {
	fields []*field
	byKey  map[string]*field
	byPath map[string]*field
	// validated reports whether any field has a validate tag.
	validated bool
}

// compile walks t (a struct type) and reports every definition problem.
func compile(t reflect.Type, prefix string) (*schema, *problems) {
	s := &schema{byKey: map[string]*field{}, byPath: map[string]*field{}}
	probs := &problems{}
	s.walk(t, prefix, "", nil, probs, 0)
	return s, probs
}

func (s *schema) walk(t reflect.Type, prefix, pathPrefix string, index []int, probs *problems, depth int) {
	if depth > 16 {
		probs.add("", pathPrefix, "structs nested too deeply", ErrDefinition)
		return
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("env")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if sf.Tag.Get("validate") != "" {
			s.validated = true
		}
		idx := append(append([]int(nil), index...), i)
		path := pathPrefix + sf.Name
		name, tagOpts, _ := strings.Cut(tag, ",")
		if isNested(sf.Type) {
			p, ok := sf.Tag.Lookup("prefix")
			if !ok {
				p = ""
				if !sf.Anonymous {
					p = snake(sf.Name) + "_"
				}
			}
			s.walk(sf.Type, prefix+p, path+".", idx, probs, depth+1)
			continue
		}
		f := &field{path: path, index: idx, typ: sf.Type, desc: sf.Tag.Get("desc")}
		if sf.Type == environmentType && !hasTag {
			f.isEnv = true
			s.fields = append(s.fields, f)
			s.byPath[path] = f
			continue
		}
		if name == "" {
			name = snake(sf.Name)
		}
		f.key = prefix + name
		f.def, f.hasDef = sf.Tag.Lookup("default")
		f.secret = containsSecret(sf.Type)
		f.sep = ","
		if sep, ok := sf.Tag.Lookup("sep"); ok && sep != "" {
			f.sep = sep
		}
		for _, o := range strings.Split(tagOpts, ",") {
			switch strings.TrimSpace(o) {
			case "":
			case "required":
				f.required = true
			case "signing":
				f.signing = true
			default:
				probs.add(f.key, path, "unknown env tag option", ErrDefinition)
			}
		}
		if fl, ok := sf.Tag.Lookup("flags"); ok {
			for _, n := range strings.Split(fl, ",") {
				if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
					f.flags = append(f.flags, n)
				}
			}
		}
		s.check(f, probs)
		if prev, dup := s.byKey[f.key]; dup {
			probs.add(f.key, path, "key also used by field "+prev.path, ErrDefinition)
			continue
		}
		s.fields = append(s.fields, f)
		s.byKey[f.key] = f
		s.byPath[path] = f
	}
}

// check reports definition problems of one leaf field.
func (s *schema) check(f *field, probs *problems) {
	if _, ok := typeName(f.typ); !ok {
		probs.add(f.key, f.path, "unsupported type "+f.typ.String(), ErrDefinition)
		return
	}
	if f.secret && f.hasDef {
		probs.add(f.key, f.path, "a secret cannot have a default", ErrDefinition)
	}
	if f.required && f.hasDef {
		probs.add(f.key, f.path, "required and default are exclusive", ErrDefinition)
	}
	if f.signing && f.typ != secretType {
		probs.add(f.key, f.path, "the signing option needs a Secret field", ErrDefinition)
	}
	if (f.typ == flagsType) != (f.flags != nil) {
		probs.add(f.key, f.path, "a Flags field needs a flags tag listing its flags, and only a Flags field may have one", ErrDefinition)
		return
	}
	if f.hasDef && !f.secret && f.def != "" {
		if _, reason := decode(f.typ, f, f.def); reason != "" {
			probs.add(f.key, f.path, "default: "+reason, ErrDefinition)
		}
	}
}

// isNested reports whether t is a struct to descend into rather than a
// value decoded from one string.
func isNested(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	switch t {
	case secretType, flagsType, urlType:
		return false
	}
	return !reflect.PointerTo(t).Implements(unmarshalerType)
}

func containsSecret(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return containsSecret(t.Elem())
	case reflect.Map:
		return containsSecret(t.Key()) || containsSecret(t.Elem())
	}
	return t == secretType
}

// typeName returns the name shown in usage output and whether the type can
// be decoded.
func typeName(t reflect.Type) (string, bool) {
	switch {
	case t == bytesType:
		return "bytes", true
	case t.Kind() == reflect.Pointer:
		if t.Elem().Kind() == reflect.Pointer {
			return "", false
		}
		return typeName(t.Elem())
	case t.Kind() == reflect.Slice:
		n, ok := scalarName(t.Elem())
		return "list of " + n, ok
	case t.Kind() == reflect.Map:
		k, ok1 := scalarName(t.Key())
		v, ok2 := scalarName(t.Elem())
		return "map of " + k + "=" + v, ok1 && ok2 && t.Elem() != flagsType
	}
	return scalarName(t)
}

func scalarName(t reflect.Type) (string, bool) {
	switch t {
	case secretType:
		return "secret", true
	case flagsType:
		return "flags", true
	case durationType:
		return "duration", true
	case urlType:
		return "url", true
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return t.String(), true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return t.Kind().String(), true
	}
	return t.String(), false
}

// snake turns a Go field name into an upper-case variable name:
// ListenAddr -> LISTEN_ADDR, HTTPPort -> HTTP_PORT.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}
