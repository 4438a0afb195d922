package sizing_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/devskyy/devskyy/examples/platform/internal/sizing"
	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T, version string) *sizing.Model {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "models", "size-recommender", version, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := sizing.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecommend(t *testing.T) {
	v1, v2 := load(t, "1.0.0"), load(t, "1.1.0")
	tests := []struct {
		name  string
		model *sizing.Model
		in    sizing.Input
		want  sizing.Output
	}{
		{"v1 small", v1, sizing.Input{ChestCM: 86, WaistCM: 72}, sizing.Output{Size: "S", Fit: "regular", ModelVersion: "1.0.0"}},
		{"v1 relaxed moves up", v1, sizing.Input{ChestCM: 88, WaistCM: 74, Fit: "relaxed"}, sizing.Output{Size: "M", Fit: "relaxed", ModelVersion: "1.0.0"}},
		{"v1 out of range", v1, sizing.Input{ChestCM: 200, WaistCM: 190}, sizing.Output{Size: "XL", Fit: "regular", ModelVersion: "1.0.0", OutOfRange: true}},
		{"v2 adds XXL", v2, sizing.Input{ChestCM: 120, WaistCM: 108}, sizing.Output{Size: "XXL", Fit: "regular", ModelVersion: "1.1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.model.Recommend(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := v1.Recommend(sizing.Input{ChestCM: 90, WaistCM: 80, Fit: "baggy"}); err == nil {
		t.Error("unknown fit accepted")
	}
	if _, err := v1.Recommend(sizing.Input{}); err == nil {
		t.Error("zero measurements accepted")
	}
	if v1.Close() != nil {
		t.Error("Close failed")
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":       `{`,
		"unknown field":  `{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[{"label":"S","chest_max":1,"waist_max":1}],"x":1}`,
		"trailing":       `{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[{"label":"S","chest_max":1,"waist_max":1}]} {}`,
		"no name":        `{"version":"1","ease":{},"sizes":[]}`,
		"no sizes":       `{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[]}`,
		"bad bound":      `{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[{"label":"S","chest_max":0,"waist_max":1}]}`,
		"not increasing": `{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[{"label":"S","chest_max":2,"waist_max":2},{"label":"M","chest_max":1,"waist_max":3}]}`,
		"missing ease":   `{"name":"m","version":"1","ease":{"slim":0},"sizes":[{"label":"S","chest_max":1,"waist_max":1}]}`,
		"too large":      string(make([]byte, sizing.MaxModelSize+1)),
	} {
		if _, err := sizing.Parse([]byte(doc)); !errors.Is(err, sizing.ErrBadModel) {
			t.Errorf("%s: error = %v, want ErrBadModel", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"name":"m","version":"1","ease":{"slim":0,"regular":1,"relaxed":2},"sizes":[{"label":"S","chest_max":1,"waist_max":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sizing.Parse(data)
		if err != nil {
			return
		}
		if _, err := m.Recommend(sizing.Input{ChestCM: 90, WaistCM: 80}); err != nil {
			t.Fatalf("valid model cannot recommend: %v", err)
		}
	})
}
