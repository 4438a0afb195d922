package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/devskyy/devskyy/config"
	"github.com/lmittmann/tint"
)

// Agent names; also the feature flags that switch them.
const (
	agentScanner     = "code-scanner"
	agentTheme       = "theme-builder"
	agentSizes       = "size-recommender"
	agentDiagnostics = "diagnostics"
)

// settings are the platform's configuration, read by config with the
// DEVSKYY_ prefix.
type settings struct {
	Env             config.Environment
	Addr            string                   `env:"ADDR" desc:"listen address host:port (development default 127.0.0.1:8080)"`
	DataDir         string                   `env:"DATA_DIR" desc:"directory of the ledger, models and registry (development default .devskyy)"`
	SecretKey       config.Secret            `env:"SECRET_KEY,signing" desc:"HS256 key that signs and verifies API tokens (32 bytes or more)"`
	Issuer          string                   `env:"TOKEN_ISSUER" default:"devskyy" desc:"required iss of API tokens"`
	Audience        string                   `env:"TOKEN_AUDIENCE" default:"devskyy-api" desc:"required aud of API tokens"`
	APIKeys         map[string]string        `env:"API_KEYS" desc:"API keys as id=role:subject:sha256hex, comma-separated"`
	Timeouts        map[string]time.Duration `env:"AGENT_TIMEOUTS" default:"code-scanner=30s,theme-builder=60s,size-recommender=120s,diagnostics=2s" desc:"per-agent attempt timeouts"`
	Features        config.Flags             `env:"FEATURES" flags:"code-scanner,theme-builder,size-recommender,diagnostics" default:"code-scanner,theme-builder,size-recommender,diagnostics" desc:"agents switched on (name, name=required, name=disabled)"`
	ScanRoot        string                   `env:"SCAN_ROOT" desc:"directory the code scanner may read (default: the current directory in development, DATA_DIR/scan otherwise)"`
	LedgerMaxBytes  int64                    `env:"LEDGER_MAX_BYTES" default:"1073741824" validate:"gte=0" desc:"retention: oldest ledger segments are deleted past this total size (0 keeps everything)"`
	LedgerMaxAge    time.Duration            `env:"LEDGER_MAX_AGE" default:"2160h" validate:"gte=0" desc:"retention: ledger segments older than this are deleted (0 keeps everything)"`
	ShutdownTimeout time.Duration            `env:"SHUTDOWN_TIMEOUT" default:"20s" validate:"gt=0" desc:"how long in-flight requests may take to finish on shutdown"`
	DrainDelay      time.Duration            `env:"DRAIN_DELAY" default:"0s" validate:"gte=0" desc:"how long readiness fails before the listener closes"`
}

// Validate is called by config.Load after the tags: outside development the
// listen address and data directory have no default.
func (s *settings) Validate() error {
	if s.Env == config.Development {
		return nil
	}
	var probs []*config.FieldError
	if s.Addr == "" {
		probs = append(probs, &config.FieldError{Key: "DEVSKYY_ADDR", Field: "Addr", Reason: "required outside development", Err: config.ErrMissing})
	}
	if s.DataDir == "" {
		probs = append(probs, &config.FieldError{Key: "DEVSKYY_DATA_DIR", Field: "DataDir", Reason: "required outside development", Err: config.ErrMissing})
	}
	if len(probs) == 0 {
		return nil
	}
	return &config.Error{Problems: probs}
}

func configOptions(dev bool, addr string, logger *slog.Logger) config.Options {
	o := config.Options{Prefix: "DEVSKYY_", Logger: logger, Overrides: map[string]string{}}
	if dev {
		o.Overrides["DEVSKYY_ENV"] = "development"
	}
	if addr != "" {
		o.Overrides["DEVSKYY_ADDR"] = addr
	}
	return o
}

func loadSettings(dev bool, addr string, logger *slog.Logger) (settings, error) {
	var s settings
	if _, err := config.Load(&s, configOptions(dev, addr, logger)); err != nil {
		return settings{}, err
	}
	if s.Env == config.Development {
		if s.Addr == "" {
			s.Addr = "127.0.0.1:8080"
		}
		if s.DataDir == "" {
			s.DataDir = ".devskyy"
		}
		if s.ScanRoot == "" {
			s.ScanRoot = "."
		}
	}
	return s, nil
}

func usage(w io.Writer) error {
	return config.Usage(w, &settings{}, config.Options{Prefix: "DEVSKYY_"})
}

// newLogger returns colour text logs in development and JSON otherwise.
func newLogger(dev bool, w io.Writer) *slog.Logger {
	if dev {
		noColor := true
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				noColor = false
			}
		}
		return slog.New(tint.NewTextHandler(w, &tint.Options{Level: slog.LevelInfo, TimeFormat: time.Kitchen, NoColor: noColor}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (s settings) timeout(agentName string) time.Duration {
	if d, ok := s.Timeouts[agentName]; ok {
		return d
	}
	return 30 * time.Second
}

func (s settings) String() string {
	return fmt.Sprintf("env=%s addr=%s data=%s", s.Env, s.Addr, s.DataDir)
}
