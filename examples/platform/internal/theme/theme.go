// Package theme is the platform example's theme-builder agent: it takes the
// seed's theme request, refuses names that could leave the output directory
// and customisations that carry script, and writes the theme's files only
// inside a sandboxed [os.Root].
package theme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Limits on a request.
const (
	MaxNameLen        = 64
	MaxCustomisations = 64
	MaxValueLen       = 256
)

// Input is a theme build request.
type Input struct {
	// Name becomes a directory name: letters, digits, '_' and '-' only.
	Name string `json:"name" validate:"required,max=64"`
	// Type is one of the known theme types; "" means "luxury_fashion".
	Type string `json:"type,omitempty" validate:"omitempty,oneof=luxury_fashion streetwear minimal"`
	// Customisations are CSS custom properties, name to value.
	Customisations map[string]string `json:"customisations,omitempty" validate:"max=64"`
}

// Output says what was written, relative to the sandbox root.
type Output struct {
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
	Bytes int      `json:"bytes"`
}

// ErrInvalid is matched by every validation error; the message names the
// offending field, never its value.
var ErrInvalid = errors.New("theme: invalid request")

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	propRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	valueRE = regexp.MustCompile(`^[A-Za-z0-9#%.,() _-]*$`)
	// dangerous is matched against a lower-cased value with whitespace removed.
	dangerous = []string{"javascript:", "vbscript:", "data:", "<script", "</", "expression(", "url(", "@import", "eval(", "__proto__", "constructor"}
	eventAttr = regexp.MustCompile(`(?i)\bon[a-z]+\s*=`)
)

// Validate reports the first problem with in, naming the field.
func (in Input) Validate() error {
	if in.Name == "" || len(in.Name) > MaxNameLen || !nameRE.MatchString(in.Name) {
		return fmt.Errorf("%w: name must be 1-%d letters, digits, '_' or '-'", ErrInvalid, MaxNameLen)
	}
	switch in.Type {
	case "", "luxury_fashion", "streetwear", "minimal":
	default:
		return fmt.Errorf("%w: type must be luxury_fashion, streetwear or minimal", ErrInvalid)
	}
	if len(in.Customisations) > MaxCustomisations {
		return fmt.Errorf("%w: at most %d customisations", ErrInvalid, MaxCustomisations)
	}
	for k, v := range in.Customisations {
		if !propRE.MatchString(k) {
			return fmt.Errorf("%w: customisation names must be lower-case CSS property names", ErrInvalid)
		}
		if len(v) > MaxValueLen || unsafeValue(v) {
			return fmt.Errorf("%w: customisation %q carries script or unsupported characters", ErrInvalid, k)
		}
	}
	return nil
}

func unsafeValue(v string) bool {
	if eventAttr.MatchString(v) {
		return true
	}
	squashed := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			return -1
		}
		return r
	}, strings.ToLower(v))
	for _, d := range dangerous {
		if strings.Contains(squashed, d) {
			return true
		}
	}
	return !valueRE.MatchString(v)
}

// Build validates in and writes <name>/theme.json and <name>/theme.css inside
// root. A theme of the same name is replaced.
func Build(ctx context.Context, root *os.Root, in Input) (Output, error) {
	if err := in.Validate(); err != nil {
		return Output{}, err
	}
	if in.Type == "" {
		in.Type = "luxury_fashion"
	}
	if err := ctx.Err(); err != nil {
		return Output{}, err
	}
	if err := root.Mkdir(in.Name, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return Output{}, fmt.Errorf("theme: create directory: %w", err)
	}
	keys := make([]string, 0, len(in.Customisations))
	for k := range in.Customisations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var css strings.Builder
	fmt.Fprintf(&css, "/* theme %s (%s) */\n:root {\n", in.Name, in.Type)
	for _, k := range keys {
		fmt.Fprintf(&css, "  --%s: %s;\n", k, in.Customisations[k])
	}
	css.WriteString("}\n")
	manifest, err := json.MarshalIndent(struct {
		Name           string            `json:"name"`
		Type           string            `json:"type"`
		Customisations map[string]string `json:"customisations"`
	}{in.Name, in.Type, in.Customisations}, "", "  ")
	if err != nil {
		return Output{}, fmt.Errorf("theme: encode manifest: %w", err)
	}
	files := []struct {
		name string
		body []byte
	}{
		{in.Name + "/theme.json", append(manifest, '\n')},
		{in.Name + "/theme.css", []byte(css.String())},
	}
	out := Output{Dir: in.Name}
	for _, f := range files {
		if err := root.WriteFile(f.name, f.body, 0o644); err != nil {
			return Output{}, fmt.Errorf("theme: write %s: %w", f.name, err)
		}
		out.Files = append(out.Files, f.name)
		out.Bytes += len(f.body)
	}
	return out, nil
}
