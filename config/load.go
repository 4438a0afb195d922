package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
)

// Load fills the struct dst points to from the sources in opts and
// validates it. It returns either a complete, valid value in *dst and a
// nil error, or a [*Error] listing every problem and leaves *dst unchanged.
// Definition problems of the struct type are reported as [ErrDefinition]
// before any source is read.
//
// See the package documentation for tags, sources and environments.
func Load(dst any, opts Options) (Result, error) {
	rv := reflect.ValueOf(dst)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return Result{}, fmt.Errorf("%w: destination must be a non-nil pointer to a struct", ErrDefinition)
	}
	if err := opts.check(); err != nil {
		return Result{}, err
	}
	s, probs := compile(rv.Elem().Type(), opts.Prefix)
	if err := probs.err(); err != nil {
		return Result{}, err
	}
	l := &loader{opts: opts, schema: s, probs: &problems{}, env: opts.Env, dot: map[string]string{}}
	if l.env == nil {
		l.env = environMap(os.Environ())
	}
	if l.opts.MaxFileSize == 0 {
		l.opts.MaxFileSize = DefaultMaxFileSize
	}
	return l.run(rv)
}

func environMap(kvs []string) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

type loader struct {
	opts      Options
	schema    *schema
	probs     *problems
	env       map[string]string
	dot       map[string]string
	environ   Environment
	generated []string // keys given an ephemeral secret
	secrets   []string // secret values read, scrubbed from every reason
}

func (l *loader) envKey() string { return l.opts.Prefix + "ENV" }

func (l *loader) run(dst reflect.Value) (Result, error) {
	l.resolveEnvironment()
	res := Result{Environment: l.environ}
	l.readEnvFiles()
	fresh := reflect.New(dst.Elem().Type())
	failed := map[string]bool{}
	for _, f := range l.schema.fields {
		fv := fresh.Elem().FieldByIndex(f.index)
		if f.isEnv {
			fv.Set(reflect.ValueOf(l.environ))
			continue
		}
		n := len(l.probs.list)
		o := l.field(f, fv)
		res.Origins = append(res.Origins, o)
		if len(l.probs.list) > n {
			failed[f.path] = true
		}
	}
	slices.SortFunc(res.Origins, func(a, b Origin) int { return strings.Compare(a.Key, b.Key) })
	res.UnknownKeys = l.unknownKeys()
	l.validate(fresh, failed)
	l.scrub()
	if err := l.probs.err(); err != nil {
		return res, err
	}
	dst.Elem().Set(fresh.Elem())
	if lg := l.opts.Logger; lg != nil {
		for _, k := range l.generated {
			lg.LogAttrs(context.Background(), slog.LevelWarn, "config: secret not set, using an ephemeral random value that will not survive a restart",
				slog.String("key", k), slog.String("environment", l.environ.String()))
		}
		for _, k := range res.UnknownKeys {
			if l.opts.UnknownKeys == UnknownKeysWarn {
				lg.LogAttrs(context.Background(), slog.LevelWarn, "config: unknown key", slog.String("key", k))
			}
		}
		lg.LogAttrs(context.Background(), slog.LevelDebug, "config: loaded", slog.Any("config", res))
	}
	return res, nil
}

func (l *loader) resolveEnvironment() {
	k := l.envKey()
	v, ok := l.opts.Overrides[k]
	if !ok || v == "" {
		v = l.env[k]
	}
	e, known := ParseEnvironment(v)
	l.environ = e
	if !known && v != "" && l.opts.Logger != nil {
		l.opts.Logger.LogAttrs(context.Background(), slog.LevelWarn, "config: unknown environment, using production", slog.String("key", k))
	}
}

func (l *loader) readEnvFiles() {
	if len(l.opts.EnvFiles) == 0 {
		return
	}
	if l.environ == Production && !l.opts.AllowEnvFilesInProduction {
		l.probs.add("", "", "env files are not read in production without AllowEnvFilesInProduction", ErrSource)
		return
	}
	// Expansion looks in the environment, then in the file itself, then
	// in earlier files: the order in which the final values are chosen.
	var lookup, fallback func(string) (string, bool)
	if l.opts.Expand {
		lookup = func(name string) (string, bool) { v, ok := l.env[name]; return v, ok }
		fallback = func(name string) (string, bool) { v, ok := l.dot[name]; return v, ok }
	}
	for _, path := range l.opts.EnvFiles {
		data, reason := readCapped(path, maxEnvFileSize)
		if reason != "" {
			l.probs.add("", "", "env file "+path+": "+reason, ErrSource)
			continue
		}
		entries, err := parseDotEnv(data, lookup, fallback)
		if err != nil {
			l.probs.add("", "", "env file "+path+": "+err.Error(), ErrSource)
			continue
		}
		for _, e := range entries {
			if e.key == l.envKey() && l.opts.Logger != nil {
				l.opts.Logger.LogAttrs(context.Background(), slog.LevelWarn, "config: env files cannot set the environment, ignored",
					slog.String("key", e.key), slog.Int("line", e.line))
			}
			l.dot[e.key] = e.value
		}
	}
}

// lookup applies the precedence rules to one key.
func (l *loader) lookup(f *field) (string, Source, bool) {
	if v := l.opts.Overrides[f.key]; v != "" {
		return v, SourceOverride, true
	}
	fk := f.key + "_FILE"
	envV, dotV := l.env[f.key], l.dot[f.key]
	path := l.env[fk]
	if path == "" {
		path = l.dot[fk]
	}
	if path != "" && (envV != "" || dotV != "") {
		l.probs.add(f.key, f.path, "both "+f.key+" and "+fk+" are set", ErrConflict)
		return "", SourceUnset, false
	}
	switch {
	case envV != "":
		return envV, SourceEnv, true
	case path != "":
		v, reason := readCapped(path, l.opts.MaxFileSize)
		if reason != "" {
			l.probs.add(fk, f.path, reason, ErrSource)
			return "", SourceUnset, false
		}
		if t, ok := strings.CutSuffix(v, "\r\n"); ok {
			v = t
		} else {
			v = strings.TrimSuffix(v, "\n")
		}
		if v != "" {
			return v, SourceFile, true
		}
	}
	switch {
	case dotV != "":
		return dotV, SourceEnvFile, true
	case f.hasDef && f.def != "":
		return f.def, SourceDefault, true
	}
	return "", SourceUnset, true
}

// field resolves, decodes and checks one key, sets fv and returns the
// provenance.
func (l *loader) field(f *field, fv reflect.Value) Origin {
	o := Origin{Key: f.key, Field: f.path}
	raw, src, ok := l.lookup(f)
	if !ok {
		return o
	}
	if src == SourceUnset {
		switch {
		case f.required:
			l.probs.add(f.key, f.path, "required but not set", ErrMissing)
		case f.secret && l.environ.strict():
			l.probs.add(f.key, f.path, "secret not set (required in "+l.environ.String()+")", ErrMissing)
		case f.typ == secretType && l.environ == Development:
			fv.Set(reflect.ValueOf(NewSecret(ephemeral())))
			l.generated = append(l.generated, f.key)
			o.Source, o.Value = SourceGenerated, Redacted
		}
		return o
	}
	v, reason := decode(f.typ, f, raw)
	if f.secret {
		l.secrets = append(l.secrets, raw)
		if reason == "" {
			l.secrets = appendSecrets(l.secrets, v)
		}
	}
	if reason != "" {
		l.probs.add(f.key, f.path, reason, ErrInvalid)
		return o
	}
	if f.signing && l.environ.strict() {
		if reason := weakKey(raw); reason != "" {
			l.probs.add(f.key, f.path, reason, ErrWeakSecret)
			return o
		}
	}
	fv.Set(v)
	o.Source, o.Value = src, raw
	if f.secret {
		o.Value = Redacted
	}
	return o
}
