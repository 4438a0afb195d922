package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/examples/platform/internal/codescan"
	"github.com/devskyy/devskyy/examples/platform/internal/sizing"
	"github.com/devskyy/devskyy/examples/platform/internal/theme"
	"github.com/devskyy/devskyy/registry"
)

// diagInput drives the diagnostics agent, which exists to show the runner's
// behaviour: a delay past its timeout gives 504, failures open its breaker.
type diagInput struct {
	Message string `json:"message" validate:"max=256"`
	DelayMS int    `json:"delay_ms,omitempty" validate:"gte=0,lte=60000"`
	Fail    bool   `json:"fail,omitempty"`
}

type diagOutput struct {
	Message string `json:"message"`
}

// errInternalDetail is what a failing diagnostics run returns: its text is for
// the logs and the ledger, never for the HTTP caller.
var errInternalDetail = errors.New("diagnostics: requested failure (internal detail: db=10.0.0.7 user=svc)")

func (p *platform) registerAgents() error {
	var err error
	if p.scan, err = openDir(p.s.ScanRoot, filepath.Join(p.s.DataDir, "scan")); err != nil {
		return fmt.Errorf("platform: scan root: %w", err)
	}
	if p.themes, err = openDir("", filepath.Join(p.s.DataDir, "themes")); err != nil {
		return fmt.Errorf("platform: themes directory: %w", err)
	}
	policy := func(name string, inFlight int) agent.Options {
		return agent.Options{
			Policy:   agent.Policy{Timeout: p.s.timeout(name), MaxInFlight: inFlight},
			Optional: !p.s.Features.Required(name),
		}
	}
	scanner := agent.Func(agent.Info{Name: agentScanner, Kind: "scanner", Version: "1.0.0",
		Description:  "scans a directory for hard-coded secrets, dev-secret defaults, shadowed imports, catch-all handlers and version-suffixed duplicates",
		Capabilities: []string{"code-scan", "security"}},
		func(ctx context.Context, in codescan.Input) (codescan.Output, error) {
			out, err := codescan.Scan(ctx, p.scan, in)
			if errors.Is(err, codescan.ErrBadPath) {
				return out, agent.Public(agent.KindInvalidInput, "path must be a relative path inside the scan root", err)
			}
			return out, err
		})
	if _, err := agent.Register(p.agents, scanner, policy(agentScanner, 4)); err != nil {
		return err
	}
	builder := agent.Func(agent.Info{Name: agentTheme, Kind: "builder", Version: "1.0.0",
		Description:  "builds a storefront theme from a validated request into a sandboxed directory",
		Capabilities: []string{"theme-build"}},
		func(ctx context.Context, in theme.Input) (theme.Output, error) {
			return theme.Build(ctx, p.themes, in)
		})
	if _, err := agent.Register(p.agents, builder, policy(agentTheme, 8)); err != nil {
		return err
	}
	recommender := agent.Func(agent.Info{Name: agentSizes, Kind: "model", Version: "1.0.0",
		Description:  "recommends a garment size with the active version of the size model",
		Capabilities: []string{"recommendation", "ml"}},
		func(ctx context.Context, in sizing.Input) (sizing.Output, error) {
			h, err := p.models.Resolve(sizeModel)
			if errors.Is(err, registry.ErrNotActive) {
				return sizing.Output{}, agent.Public(agent.KindUnavailable, "no size model is active", err)
			} else if err != nil {
				return sizing.Output{}, err
			}
			defer h.Release()
			out, err := h.Model().Recommend(in)
			if err != nil {
				return out, agent.Public(agent.KindInvalidInput, "measurements or fit not accepted", err)
			}
			return out, nil
		})
	if _, err := agent.Register(p.agents, recommender, policy(agentSizes, 32)); err != nil {
		return err
	}
	diag := agent.Func(agent.Info{Name: agentDiagnostics, Kind: "diagnostic", Version: "1.0.0",
		Description:  "echoes its message after an optional delay, or fails on request",
		Capabilities: []string{"diagnostics"}},
		func(ctx context.Context, in diagInput) (diagOutput, error) {
			if in.DelayMS > 0 {
				t := time.NewTimer(time.Duration(in.DelayMS) * time.Millisecond)
				defer t.Stop()
				select {
				case <-ctx.Done():
					return diagOutput{}, ctx.Err()
				case <-t.C:
				}
			}
			if in.Fail {
				return diagOutput{}, errInternalDetail
			}
			return diagOutput{Message: in.Message}, nil
		})
	_, err = agent.Register(p.agents, diag, policy(agentDiagnostics, 256))
	return err
}

// openDir opens dir as a root, or def (created) when dir is empty.
func openDir(dir, def string) (*os.Root, error) {
	if dir == "" {
		dir = def
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	return os.OpenRoot(dir)
}
