package config

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// Sentinel errors carried by [FieldError.Err]; test with [errors.Is] on the
// error returned by [Load] (a [*Error] unwraps to each of its field errors).
var (
	// ErrMissing: a required key, or a secret outside development and
	// test, has no value (an empty value counts as none).
	ErrMissing = errors.New("config: missing value")
	// ErrInvalid: a value could not be decoded into its field's type.
	ErrInvalid = errors.New("config: invalid value")
	// ErrValidation: a validate tag, a struct-level rule or the settings'
	// Validate method rejected the loaded settings.
	ErrValidation = errors.New("config: validation failed")
	// ErrWeakSecret: a signing key is too short or a known placeholder.
	ErrWeakSecret = errors.New("config: weak secret")
	// ErrUnknownKey: a variable under the prefix matches no field.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrConflict: both KEY and KEY_FILE are set.
	ErrConflict = errors.New("config: conflicting sources")
	// ErrSource: a source could not be read: an env file or a KEY_FILE
	// file is missing, too large, not a regular file or malformed, or an
	// env file was named in production without the opt-in.
	ErrSource = errors.New("config: source unreadable")
	// ErrDefinition: the settings struct itself is wrong (a secret with a
	// default, required with a default, an unsupported type, a duplicate
	// key, a default that does not decode). This is a programmer error.
	ErrDefinition = errors.New("config: invalid definition")
)

// FieldError is one problem found while loading. Its message names the key
// and gives a reason; it never contains a configured or raw input value.
// A host's Validate method may return one (or an [*Error]) to report a
// problem under a key. The zero FieldError has no key and no reason. A
// FieldError is not modified after Load returns it; reading it from
// several goroutines is safe.
type FieldError struct {
	// Key is the full variable name (with prefix), or "" for a problem
	// that belongs to no single key (an env file, the Validate method).
	Key string
	// Field is the Go field path, such as "DB.Timeout", or "" when the
	// problem has no field (an unknown key, an env file).
	Field string
	// Reason is a short lowercase description, such as "not a valid
	// duration".
	Reason string
	// Err is one of the package's sentinel errors (ErrMissing, ...).
	Err error
}

// Error returns "config: KEY: reason" (or "config: reason" for a problem
// without key or field).
func (e *FieldError) Error() string {
	if s := e.subject(); s != "" {
		return "config: " + s + ": " + e.Reason
	}
	return "config: " + e.Reason
}

// Unwrap returns the sentinel in Err.
func (e *FieldError) Unwrap() error { return e.Err }

func (e *FieldError) subject() string {
	switch {
	case e.Key != "":
		return e.Key
	default:
		return e.Field
	}
}

// Error is the one error [Load] returns when anything is wrong. It lists
// every problem, sorted by key, one line per key.
//
// Use [errors.As] to get at the problems and [errors.Is] with a sentinel
// such as [ErrMissing] to ask whether any problem is of that kind. Load
// never returns an Error with no problems; like FieldError it is safe to
// read from several goroutines.
type Error struct {
	// Problems holds every problem, sorted by Key then in the order found.
	Problems []*FieldError
}

// Error returns a message such as
//
//	config: 2 problems
//	  DEVSKYY_PORT: not a valid integer
//	  DEVSKYY_TOKEN: required but not set
//
// Several problems of one key share its line, separated by "; ".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	n := len(e.Problems)
	if n == 1 {
		b.WriteString("1 problem")
	} else {
		b.WriteString(strconv.Itoa(n))
		b.WriteString(" problems")
	}
	for i := 0; i < n; {
		p := e.Problems[i]
		subj := p.subject()
		b.WriteString("\n  ")
		if subj != "" {
			b.WriteString(subj)
			b.WriteString(": ")
		}
		b.WriteString(p.Reason)
		i++
		for i < n && subj != "" && e.Problems[i].subject() == subj {
			b.WriteString("; ")
			b.WriteString(e.Problems[i].Reason)
			i++
		}
	}
	return b.String()
}

// Unwrap returns every problem, so that errors.Is and errors.As see them.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems collects field errors during one Load.
type problems struct {
	list []*FieldError
}

func (p *problems) add(key, field, reason string, err error) {
	p.list = append(p.list, &FieldError{Key: key, Field: field, Reason: reason, Err: err})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	sort.SliceStable(list, func(i, j int) bool { return list[i].subject() < list[j].subject() })
	// Drop exact duplicates (same key and reason) that different stages
	// may report.
	out := list[:1]
	for _, fe := range list[1:] {
		last := out[len(out)-1]
		if fe.subject() == last.subject() && fe.Reason == last.Reason {
			continue
		}
		out = append(out, fe)
	}
	return &Error{Problems: out}
}
