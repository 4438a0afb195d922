// Package sizing is the platform example's model-backed agent: a garment size
// recommender whose model is a small JSON document, versioned and served
// through the registry package.
//
// A model is a table of sizes, each with the largest chest and waist
// measurement (in centimetres) it fits, plus a per-fit ease added to the
// body's measurements before lookup. Parse is strict: unknown fields,
// trailing data, unsorted or non-positive bounds are errors.
package sizing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxModelSize caps a model document.
const MaxModelSize = 64 << 10

// Size is one row of the model.
type Size struct {
	Label    string  `json:"label"`
	ChestMax float64 `json:"chest_max"`
	WaistMax float64 `json:"waist_max"`
}

// Model is a parsed size model. It is immutable and safe for concurrent use.
type Model struct {
	Name    string             `json:"name"`
	Version string             `json:"version"`
	Ease    map[string]float64 `json:"ease"`
	Sizes   []Size             `json:"sizes"`
}

// Input is a recommendation request.
type Input struct {
	ChestCM float64 `json:"chest_cm" validate:"gt=40,lt=250"`
	WaistCM float64 `json:"waist_cm" validate:"gt=30,lt=250"`
	Fit     string  `json:"fit,omitempty" validate:"omitempty,oneof=slim regular relaxed"`
}

// Output is a recommendation.
type Output struct {
	Size         string `json:"size"`
	Fit          string `json:"fit"`
	ModelVersion string `json:"model_version"`
	// OutOfRange reports whether the measurements fall past the largest size
	// (Size is then the largest one).
	OutOfRange bool `json:"out_of_range,omitempty"`
}

// ErrBadModel matches every Parse error.
var ErrBadModel = errors.New("sizing: invalid model")

// Parse decodes and checks a model document.
func Parse(data []byte) (*Model, error) {
	if len(data) > MaxModelSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadModel, MaxModelSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: not a model document", ErrBadModel)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrBadModel)
	}
	if m.Name == "" || m.Version == "" {
		return nil, fmt.Errorf("%w: name and version are required", ErrBadModel)
	}
	if len(m.Sizes) == 0 {
		return nil, fmt.Errorf("%w: no sizes", ErrBadModel)
	}
	for i, s := range m.Sizes {
		if s.Label == "" || s.ChestMax <= 0 || s.WaistMax <= 0 {
			return nil, fmt.Errorf("%w: size %d needs a label and positive bounds", ErrBadModel, i)
		}
		if i > 0 && (s.ChestMax <= m.Sizes[i-1].ChestMax || s.WaistMax <= m.Sizes[i-1].WaistMax) {
			return nil, fmt.Errorf("%w: size %d bounds must increase", ErrBadModel, i)
		}
	}
	for _, fit := range []string{"slim", "regular", "relaxed"} {
		if _, ok := m.Ease[fit]; !ok {
			return nil, fmt.Errorf("%w: ease for fit %q is missing", ErrBadModel, fit)
		}
	}
	return &m, nil
}

// Recommend returns the smallest size whose bounds fit the measurements plus
// the fit's ease.
func (m *Model) Recommend(in Input) (Output, error) {
	fit := in.Fit
	if fit == "" {
		fit = "regular"
	}
	ease, ok := m.Ease[fit]
	if !ok {
		return Output{}, errors.New("sizing: fit must be slim, regular or relaxed")
	}
	if in.ChestCM <= 0 || in.WaistCM <= 0 {
		return Output{}, errors.New("sizing: measurements must be positive")
	}
	chest, waist := in.ChestCM+ease, in.WaistCM+ease
	for _, s := range m.Sizes {
		if chest <= s.ChestMax && waist <= s.WaistMax {
			return Output{Size: s.Label, Fit: fit, ModelVersion: m.Version}, nil
		}
	}
	last := m.Sizes[len(m.Sizes)-1]
	return Output{Size: last.Label, Fit: fit, ModelVersion: m.Version, OutOfRange: true}, nil
}

// Close releases nothing; it lets a *Model serve as a registry model.
func (m *Model) Close() error { return nil }
