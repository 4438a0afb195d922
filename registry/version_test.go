package registry_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/devskyy/devskyy/registry"
	"github.com/google/go-cmp/cmp"
)

func TestCompareVersionsOrder(t *testing.T) {
	// Sorted ascending; the semver part follows the semver.org example.
	want := []string{
		"99999999999999999999.0.0", // overflows 64 bits: not semver, natural order
		"build-2", "build-10", "latest", "v0.0.0-20240101",
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.0+build.1", "1.0.0+build.2", "v1.0.1", "1.2.0", "1.10.0", "2.0.0",
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, registry.CompareVersions)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestCompareVersionsCases(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0+a", "1.0.0", 1}, // equal precedence, bytewise tie-break
		{"v1.0.0", "1.0.0", 1},
		{"01.0.0", "1.0.0", -1}, // leading zero: not semver
		{"1.0.0-01", "1.0.0-1", -1},
		{"1.0", "1.0.0", -1},
		{"1.0.0-", "1.0.0", -1},
		{"1.0.0+", "1.0.0", -1},
		{"1.0.0-a..b", "0.0.1", -1},
		{"1.0.0-a_b", "0.0.1", -1},
		{"a10", "a9", 1},
		{"a", "ab", -1},
		{"2.0.0-1", "2.0.0-a", -1},
		{"2.0.0-a", "2.0.0-1", 1},
		{"2.0.0-0a", "2.0.0-00", 1},
	}
	for _, tt := range tests {
		if got := registry.CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestConstraint(t *testing.T) {
	versions := []string{"0.1.0", "0.1.5", "0.2.0", "1.0.0-rc.1", "1.0.0", "1.4.2", "1.5.0", "2.0.0", "2.0.0-beta", "nightly"}
	tests := []struct {
		c    string
		want []string
	}{
		{"", versions},
		{">=1.0.0", []string{"1.0.0", "1.4.2", "1.5.0", "2.0.0"}},
		{">1.0.0 <2", []string{"1.4.2", "1.5.0"}},
		{"<=1.4.2,!=1.0.0", []string{"0.1.0", "0.1.5", "0.2.0", "1.4.2"}},
		{"^1.4", []string{"1.4.2", "1.5.0"}},
		{"~1.4.0", []string{"1.4.2"}},
		{"^0.1", []string{"0.1.0", "0.1.5"}},
		{"=1.0.0-rc.1", []string{"1.0.0-rc.1"}},
		{"1.5", []string{"1.5.0"}},
		{"v1.5.0", []string{"1.5.0"}},
		{">=2.0.0-alpha", []string{"2.0.0", "2.0.0-beta"}},
	}
	for _, tt := range tests {
		c, err := registry.ParseConstraint(tt.c)
		if err != nil {
			t.Fatalf("ParseConstraint(%q): %v", tt.c, err)
		}
		if c.String() != tt.c {
			t.Errorf("String() = %q", c.String())
		}
		got := []string{}
		for _, v := range versions {
			if c.Match(v) {
				got = append(got, v)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.c, diff)
		}
	}
	for _, bad := range []string{"!1.0.0", ">=x", "1.2.3.4", "^", ">=1.01", string(make([]byte, 200))} {
		if _, err := registry.ParseConstraint(bad); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("ParseConstraint(%q): %v", bad, err)
		}
	}
}
