package config

import (
	"encoding"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decode turns s into a value of type t. On failure it returns a reason
// written here (never the input, never a strconv error text).
func decode(t reflect.Type, f *field, s string) (reflect.Value, string) {
	switch {
	case t == bytesType:
		return reflect.ValueOf([]byte(s)), ""
	case t.Kind() == reflect.Pointer:
		v, reason := decode(t.Elem(), f, s)
		if reason != "" {
			return v, reason
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(v)
		return p, ""
	case t.Kind() == reflect.Slice:
		items := strings.Split(s, f.sep)
		out := reflect.MakeSlice(t, 0, len(items))
		for i, it := range items {
			it = strings.TrimSpace(it)
			if it == "" {
				return out, "item " + strconv.Itoa(i+1) + " is empty"
			}
			v, reason := decodeScalar(t.Elem(), f, it)
			if reason != "" {
				return out, "item " + strconv.Itoa(i+1) + ": " + reason
			}
			out = reflect.Append(out, v)
		}
		return out, ""
	case t.Kind() == reflect.Map:
		items := strings.Split(s, f.sep)
		out := reflect.MakeMapWithSize(t, len(items))
		for i, it := range items {
			n := "item " + strconv.Itoa(i+1)
			k, v, ok := strings.Cut(it, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return out, n + ": not of the form key=value"
			}
			kv, reason := decodeScalar(t.Key(), f, k)
			if reason != "" {
				return out, n + ": key " + reason
			}
			if out.MapIndex(kv).IsValid() {
				return out, n + ": key repeated"
			}
			vv, reason := decodeScalar(t.Elem(), f, v)
			if reason != "" {
				return out, n + ": " + reason
			}
			out.SetMapIndex(kv, vv)
		}
		return out, ""
	}
	return decodeScalar(t, f, s)
}

// decodeScalar decodes one value of a type that scalarName accepts.
func decodeScalar(t reflect.Type, f *field, s string) (reflect.Value, string) {
	switch t {
	case secretType:
		return reflect.ValueOf(NewSecret(s)), ""
	case flagsType:
		fl, reason := parseFlags(f.flags, s)
		return reflect.ValueOf(fl), reason
	case durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return reflect.Value{}, "not a valid duration (such as 1m30s)"
		}
		return reflect.ValueOf(d), ""
	case urlType:
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Scheme == "" {
			return reflect.Value{}, "not a valid absolute URL"
		}
		return reflect.ValueOf(*u), ""
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		p := reflect.New(t)
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return reflect.Value{}, "not a valid " + t.String()
		}
		return p.Elem(), ""
	}
	v := reflect.New(t).Elem()
	if t.Kind() == reflect.String {
		v.SetString(s)
		return v, ""
	}
	s = strings.TrimSpace(s)
	switch t.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return v, "not a valid boolean (true or false)"
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return v, numReason(err, "integer", t)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return v, numReason(err, "unsigned integer", t)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return v, numReason(err, "number", t)
		}
		v.SetFloat(n)
	default:
		return v, "unsupported type " + t.String()
	}
	return v, ""
}

func numReason(err error, what string, t reflect.Type) string {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return "out of range for " + t.Kind().String()
	}
	return "not a valid " + what
}
