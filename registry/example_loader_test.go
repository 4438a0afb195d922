package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/devskyy/devskyy/registry"
)

// sizeModel is a small JSON model: it recommends a clothing size from a
// height in centimetres using upper bounds per size.
type sizeModel struct {
	Sizes []struct {
		Name        string  `json:"name"`
		MaxHeightCM float64 `json:"max_height_cm"`
	} `json:"sizes"`
}

// Recommend returns the first size whose bound covers heightCM.
func (m *sizeModel) Recommend(heightCM float64) string {
	for _, s := range m.Sizes {
		if heightCM <= s.MaxHeightCM {
			return s.Name
		}
	}
	return m.Sizes[len(m.Sizes)-1].Name
}

// Close releases nothing: the model is plain memory.
func (m *sizeModel) Close() error { return nil }

// loadSizeModel is the custom Loader: it opens the artifact inside the
// registry's root and strictly decodes at most 1 MiB of JSON.
func loadSizeModel(ctx context.Context, root *os.Root, v registry.Version) (*sizeModel, error) {
	f, err := root.Open(v.Artifact)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, 1<<20))
	dec.DisallowUnknownFields()
	var m sizeModel
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("size model: %w", err)
	}
	if len(m.Sizes) == 0 {
		return nil, errors.New("size model: no sizes")
	}
	return &m, nil
}

// checkSizeModel is the health check: a known input must give a sane answer.
func checkSizeModel(ctx context.Context, m *sizeModel) error {
	if m.Recommend(170) == "" {
		return errors.New("no recommendation for 170 cm")
	}
	return nil
}

func Example_jsonLoader() {
	dir, _ := os.MkdirTemp("", "models")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "size-1.0.0.json"),
		[]byte(`{"sizes":[{"name":"S","max_height_cm":165},{"name":"M","max_height_cm":180},{"name":"L","max_height_cm":999}]}`), 0o600)
	root, _ := os.OpenRoot(dir)
	defer root.Close()

	ctx := context.Background()
	reg, err := registry.New(ctx, registry.Settings[*sizeModel]{
		Root:   root,
		Loader: registry.LoaderFunc[*sizeModel](loadSizeModel),
		Check:  checkSizeModel,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Close()

	if _, err := reg.Register(ctx, registry.Registration{Model: "size", Version: "1.0.0", Artifact: "size-1.0.0.json"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.Activate(ctx, "size", "1.0.0", registry.Change{Who: "ci", Why: "first release"}); err != nil {
		fmt.Println(err)
		return
	}

	h, err := reg.Resolve("size")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Release()
	fmt.Println(h.Version(), h.Model().Recommend(172))
	// Output: 1.0.0 M
}
