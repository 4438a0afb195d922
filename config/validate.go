package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// validate runs the validator and the Validate method on the fresh value.
// Fields that already failed are not reported again.
func (l *loader) validate(fresh reflect.Value, failed map[string]bool) {
	if l.schema.validated || l.opts.Validation != nil {
		l.runValidator(fresh, failed)
	}
	l.runValidateMethod(fresh)
}

// runValidator runs the validate tags and the rules registered by
// Options.Validation. It is skipped when there are none: building a
// validator costs more than the rest of Load.
func (l *loader) runValidator(fresh reflect.Value, failed map[string]bool) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterCustomTypeFunc(func(rv reflect.Value) any { return rv.Interface().(Secret).Reveal() }, Secret{})
	if l.opts.Validation != nil {
		l.opts.Validation(v)
	}
	root := fresh.Elem().Type().Name() + "."
	if err := validateStruct(v, fresh.Interface()); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			l.probs.add("", "", err.Error(), ErrDefinition)
		}
		for _, fe := range verrs {
			path := strings.TrimPrefix(fe.StructNamespace(), root)
			if failed[path] {
				continue
			}
			rule := fe.Tag()
			if fe.Param() != "" {
				rule += "=" + fe.Param()
			}
			key := ""
			if f, ok := l.schema.byPath[path]; ok {
				key = f.key
			}
			l.probs.add(key, path, "fails rule "+rule, ErrValidation)
		}
	}
}

// runValidateMethod calls the settings type's Validate method, if any.
func (l *loader) runValidateMethod(fresh reflect.Value) {
	type validater interface{ Validate() error }
	if val, ok := fresh.Interface().(validater); ok {
		if err := val.Validate(); err != nil {
			var ce *Error
			var fe *FieldError
			switch {
			case errors.As(err, &ce):
				l.probs.list = append(l.probs.list, ce.Problems...)
			case errors.As(err, &fe):
				l.probs.list = append(l.probs.list, fe)
			default:
				l.probs.add("", "", "Validate: "+err.Error(), ErrValidation)
			}
		}
	}
}

// validateStruct runs the validator and turns its panics (an unknown rule
// in a validate tag, a programmer error) into an error naming the rule.
func validateStruct(v *validator.Validate, s any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validate tag: %v", r)
		}
	}()
	return v.Struct(s)
}

// appendSecrets appends the value of every Secret in v.
func appendSecrets(out []string, v reflect.Value) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out = appendSecrets(out, v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = appendSecrets(out, v.Index(i))
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			out = appendSecrets(appendSecrets(out, it.Key()), it.Value())
		}
	case reflect.Struct:
		if s, ok := v.Interface().(Secret); ok {
			out = append(out, s.Reveal())
		}
	}
	return out
}

// scrub replaces every secret value read in this load that appears in a
// reason (for example in the text of a Validate error) with Redacted.
func (l *loader) scrub() {
	for _, p := range l.probs.list {
		for _, s := range l.secrets {
			if len(s) >= 3 {
				p.Reason = strings.ReplaceAll(p.Reason, s, Redacted)
			}
		}
	}
}
