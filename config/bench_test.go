package config

import (
	"testing"
	"time"
)

type platformSettings struct {
	Env        Environment
	ListenAddr string                   `env:"LISTEN_ADDR" default:":8080" validate:"hostname_port"`
	DataDir    string                   `env:"DATA_DIR,required"`
	SigningKey Secret                   `env:"SIGNING_KEY,signing"`
	Issuer     string                   `env:"TOKEN_ISSUER" default:"devskyy"`
	Audience   []string                 `env:"TOKEN_AUDIENCE" default:"api"`
	Timeouts   map[string]time.Duration `env:"AGENT_TIMEOUTS" default:"search=5s,pricing=2s"`
	Features   Flags                    `env:"FEATURES" flags:"search,pricing,recs" default:"search"`
	Shutdown   time.Duration            `default:"10s"`
	DB         struct {
		URL      string `env:"URL,required"`
		Password Secret
		MaxConns int `default:"10" validate:"min=1"`
	}
}

type plainSettings struct {
	Env        Environment
	ListenAddr string                   `env:"LISTEN_ADDR" default:":8080"`
	DataDir    string                   `env:"DATA_DIR,required"`
	SigningKey Secret                   `env:"SIGNING_KEY,signing"`
	Issuer     string                   `env:"TOKEN_ISSUER" default:"devskyy"`
	Audience   []string                 `env:"TOKEN_AUDIENCE" default:"api"`
	Timeouts   map[string]time.Duration `env:"AGENT_TIMEOUTS" default:"search=5s,pricing=2s"`
	Features   Flags                    `env:"FEATURES" flags:"search,pricing,recs" default:"search"`
	Shutdown   time.Duration            `default:"10s"`
	DB         struct {
		URL      string `env:"URL,required"`
		Password Secret
		MaxConns int `default:"10"`
	}
}

// BenchmarkLoad loads a platform-like struct (12 keys) from a map, with
// validate tags (which builds a validator per call) and without.
func BenchmarkLoad(b *testing.B) {
	env := map[string]string{
		"DEVSKYY_ENV":            "production",
		"DEVSKYY_DATA_DIR":       "/var/lib/devskyy",
		"DEVSKYY_SIGNING_KEY":    "k9V2m7Qx4Rt8Yp1Zs6Wn3Lb5Hc0Jd2Fg7Tq",
		"DEVSKYY_TOKEN_AUDIENCE": "api,admin",
		"DEVSKYY_AGENT_TIMEOUTS": "search=3s,pricing=750ms,recs=1s",
		"DEVSKYY_FEATURES":       "search,pricing=required",
		"DEVSKYY_DB_URL":         "postgres://db/app",
		"DEVSKYY_DB_PASSWORD":    "p4ssw0rd-from-vault",
		"PATH":                   "/usr/bin",
	}
	b.Run("validate-tags", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s platformSettings
			if _, err := Load(&s, Options{Prefix: "DEVSKYY_", Env: env}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no-validate-tags", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s plainSettings
			if _, err := Load(&s, Options{Prefix: "DEVSKYY_", Env: env}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseDotEnv(b *testing.B) {
	src := "# settings\nexport A=1\nB='single quoted'\nC=\"double \\n quoted\"\nD=plain value # comment\n"
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := parseDotEnv(src, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
