package config

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
)

// describe compiles the settings type of dst for Usage and WriteEnvExample.
func describe(dst any, opts Options) (*schema, error) {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: settings must be a struct or a pointer to one", ErrDefinition)
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	s, probs := compile(t, opts.Prefix)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (f *field) typeName() string {
	n, _ := typeName(f.typ)
	if f.flags != nil {
		n += " (" + strings.Join(f.flags, "|") + ")"
	}
	return n
}

const envDesc = "development, test, staging or production; unset or unknown means production"

// Usage writes a table of every key of the settings type of dst (a struct
// or a pointer to one; its value is not used): key, type, default,
// whether it is required, whether it is a secret, and the desc tag. The
// first row is the environment variable.
func Usage(w io.Writer, dst any, opts Options) error {
	s, err := describe(dst, opts)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tTYPE\tDEFAULT\tREQUIRED\tSECRET\tDESCRIPTION")
	fmt.Fprintf(tw, "%sENV\tenvironment\tproduction\tno\tno\t%s\n", opts.Prefix, envDesc)
	for _, f := range s.fields {
		if f.isEnv {
			continue
		}
		def := f.def
		if def == "" {
			def = "-"
		}
		req := "no"
		switch {
		case f.required:
			req = "yes"
		case f.secret:
			req = "in staging, production"
		}
		sec := "no"
		if f.signing {
			sec = "signing key"
		} else if f.secret {
			sec = "yes"
		}
		desc := oneLine(f.desc)
		if desc == "" {
			desc = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.key, f.typeName(), def, req, sec, desc)
	}
	return tw.Flush()
}

// WriteEnvExample writes a .env.example for the settings type of dst: each
// key with its description, type and default as a comment, set to its
// default, and secrets left blank. The output is valid input for
// Options.EnvFiles.
func WriteEnvExample(w io.Writer, dst any, opts Options) error {
	s, err := describe(dst, opts)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n%sENV=development\n", envDesc, opts.Prefix)
	for _, f := range s.fields {
		if f.isEnv {
			continue
		}
		b.WriteString("\n")
		if f.desc != "" {
			fmt.Fprintf(&b, "# %s\n", oneLine(f.desc))
		}
		var attrs []string
		attrs = append(attrs, f.typeName())
		if f.required {
			attrs = append(attrs, "required")
		}
		if f.signing {
			attrs = append(attrs, fmt.Sprintf("signing key, at least %d bytes", MinSigningKeyLen))
		} else if f.secret && !strings.Contains(attrs[0], "secret") {
			attrs = append(attrs, "secret")
		}
		fmt.Fprintf(&b, "# %s\n", strings.Join(attrs, ", "))
		v := ""
		if !f.secret {
			v = quoteEnv(f.def)
		}
		fmt.Fprintf(&b, "%s=%s\n", f.key, v)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// quoteEnv returns v as an env file value that parseDotEnv reads back
// unchanged.
func quoteEnv(v string) string {
	if v == "" {
		return ""
	}
	if !strings.ContainsAny(v, " \t\r\n#\"'$`\\") {
		return v
	}
	if !strings.ContainsAny(v, "'\r") {
		return "'" + v + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`", "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(v) + `"`
}
