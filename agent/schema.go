package agent

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Schema is the subset of JSON Schema (2020-12) that [SchemaOf] derives
// from a Go type: enough for a caller to build a valid request. The zero
// value is the schema that accepts anything. A Schema returned by
// [SchemaOf] is fresh; treat it as read-only once shared, after which it is
// safe for concurrent reads.
type Schema struct {
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
	// Enum lists the allowed values, from a validate:"oneof=..." tag.
	Enum []string `json:"enum,omitempty"`
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// SchemaOf derives the JSON Schema of t as encoding/json would encode it:
// exported fields under their json names, omitempty and "-" honoured,
// embedded structs flattened, a field required when its validate tag says
// "required" (a validate:"oneof=a b" tag becomes an enum). Types with their
// own JSON or text encoding are described as strings (time.Time as
// date-time) or left open. A type that contains itself is described as a
// plain object where it recurs. SchemaOf never fails; a nil t gives the empty schema.
func SchemaOf(t reflect.Type) *Schema {
	return schemaOf(t, map[reflect.Type]bool{})
}

func schemaOf(t reflect.Type, seen map[reflect.Type]bool) *Schema {
	if t == nil {
		return &Schema{}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return schemaBody(t, seen)
}

func schemaBody(t reflect.Type, seen map[reflect.Type]bool) *Schema {
	switch {
	case t == timeType:
		return &Schema{Type: "string", Format: "date-time"}
	case t == durationType:
		return &Schema{Type: "integer", Format: "duration-ns"}
	case t == rawType:
		return &Schema{}
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		return &Schema{}
	case t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		return &Schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return &Schema{Type: "string", Format: "byte"}
		}
		return &Schema{Type: "array", Items: schemaOf(t.Elem(), seen)}
	case reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: schemaOf(t.Elem(), seen)}
	case reflect.Struct:
		if seen[t] {
			return &Schema{Type: "object"}
		}
		seen[t] = true
		defer delete(seen, t)
		s := &Schema{Type: "object", Properties: map[string]*Schema{}}
		addFields(s, t, seen)
		return s
	}
	// interfaces, funcs, channels: anything
	return &Schema{}
}

func addFields(s *Schema, t reflect.Type, seen map[reflect.Type]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(s, ft, seen)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs := schemaOf(f.Type, seen)
		for rule := range strings.SplitSeq(f.Tag.Get("validate"), ",") {
			switch {
			case rule == "required":
				s.Required = append(s.Required, name)
			case strings.HasPrefix(rule, "oneof="):
				fs.Enum = strings.Fields(strings.TrimPrefix(rule, "oneof="))
			}
		}
		s.Properties[name] = fs
	}
}
