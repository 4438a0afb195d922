package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlags(t *testing.T) {
	known := []string{"search", "Pricing", "recs"}
	tests := []struct {
		list   string
		want   string
		reason string
	}{
		{"", "pricing=disabled,recs=disabled,search=disabled", ""},
		{" ", "pricing=disabled,recs=disabled,search=disabled", ""},
		{"search", "pricing=disabled,recs=disabled,search=enabled", ""},
		{"SEARCH=required, pricing=on ,recs=off", "pricing=enabled,recs=disabled,search=required", ""},
		{"search=true,pricing=false,recs=enabled", "pricing=disabled,recs=enabled,search=enabled", ""},
		{"recs=disabled", "pricing=disabled,recs=disabled,search=disabled", ""},
		{"search,typo", "", "flag 2 is not a known flag (known: pricing, recs, search)"},
		{"search,,recs", "", "flag 2 is empty"},
		{"search=maybe", "", "flag 1: state must be enabled, disabled or required"},
		{"search,search=off", "", "flag 2 repeats an earlier flag"},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			f, err := ParseFlags(known, tt.list)
			if tt.reason != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Reason != tt.reason || !errors.Is(err, ErrInvalid) {
					t.Errorf("err = %v, want reason %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagsMethods(t *testing.T) {
	f, err := ParseFlags([]string{"a", "b", "c"}, "a,b=required")
	if err != nil {
		t.Fatal(err)
	}
	got := []any{f.Enabled("a"), f.Required("a"), f.Enabled("B"), f.Required("b"), f.Enabled("c"), f.State("zzz"), f.Known()}
	want := []any{true, false, true, true, false, FlagDisabled, []string{"a", "b", "c"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var zero Flags
	if zero.Enabled("a") || zero.String() != "" || len(zero.Known()) != 0 {
		t.Error("zero Flags not empty")
	}
	for s, want := range map[FlagState]string{FlagDisabled: "disabled", FlagEnabled: "enabled", FlagRequired: "required", 7: "flagstate(7)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

type withFlags struct {
	Features Flags `flags:"search,pricing" default:"search"`
}

func TestFlagsLoad(t *testing.T) {
	var w withFlags
	if _, err := Load(&w, Options{Env: map[string]string{"ENV": "test"}}); err != nil {
		t.Fatal(err)
	}
	if !w.Features.Enabled("search") || w.Features.Enabled("pricing") {
		t.Errorf("defaults: %v", w.Features)
	}
	if _, err := Load(&w, Options{Env: map[string]string{"ENV": "test", "FEATURES": "pricing=required"}}); err != nil {
		t.Fatal(err)
	}
	if w.Features.Enabled("search") || !w.Features.Required("pricing") {
		t.Errorf("env: %v", w.Features)
	}
	_, err := Load(&w, Options{Env: map[string]string{"ENV": "test", "FEATURES": "serach"}})
	if diff := cmp.Diff([]string{"FEATURES: flag 1 is not a known flag (known: pricing, search)"}, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
