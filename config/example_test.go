package config_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/devskyy/devskyy/config"
)

type DBSettings struct {
	URL     string        `env:"URL,required" desc:"database URL"`
	Timeout time.Duration `default:"5s" validate:"gt=0"`
}

type Settings struct {
	Env        config.Environment
	ListenAddr string                   `env:"LISTEN_ADDR" default:":8080" desc:"HTTP listen address"`
	SigningKey config.Secret            `env:"SIGNING_KEY,signing" desc:"HMAC key for tokens"`
	Timeouts   map[string]time.Duration `env:"AGENT_TIMEOUTS" default:"search=5s"`
	Features   config.Flags             `env:"FEATURES" flags:"search,pricing" default:"search"`
	DB         DBSettings               `prefix:"DB_"`
}

func Example() {
	var s Settings
	res, err := config.Load(&s, config.Options{
		Prefix: "DEVSKYY_",
		Env: map[string]string{ // nil would read the process environment
			"DEVSKYY_ENV":            "development",
			"DEVSKYY_SIGNING_KEY":    config.ExampleSigningKey,
			"DEVSKYY_AGENT_TIMEOUTS": "search=2s,pricing=750ms",
			"DEVSKYY_DB_URL":         "postgres://db.internal/app",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Env, s.ListenAddr, s.DB.Timeout, s.Timeouts["pricing"])
	fmt.Println(s.Features.Enabled("search"), s.Features.Enabled("pricing"))
	fmt.Printf("%v %q %d bytes\n", s.SigningKey, s.SigningKey, s.SigningKey.Len())
	o, _ := res.Origin("DEVSKYY_LISTEN_ADDR")
	fmt.Println(o.Source)
	// Output:
	// development :8080 5s 750ms
	// true false
	// [REDACTED] "[REDACTED]" 41 bytes
	// default
}

func ExampleLoad_errors() {
	var s Settings
	_, err := config.Load(&s, config.Options{
		Prefix: "DEVSKYY_",
		Env: map[string]string{ // no DEVSKYY_ENV: production
			"DEVSKYY_SIGNING_KEY":    "changeme",
			"DEVSKYY_AGENT_TIMEOUTS": "search=soon",
			"DEVSKYY_LISTEN_ADR":     ":9090",
		},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrMissing))
	// Output:
	// config: 4 problems
	//   DEVSKYY_AGENT_TIMEOUTS: item 1: not a valid duration (such as 1m30s)
	//   DEVSKYY_DB_URL: required but not set
	//   DEVSKYY_LISTEN_ADR: unknown key (did you mean DEVSKYY_LISTEN_ADDR?)
	//   DEVSKYY_SIGNING_KEY: signing key is a well-known placeholder
	// true
}

func ExampleUsage() {
	_ = config.Usage(os.Stdout, Settings{}, config.Options{Prefix: "APP_"})
	// Output:
	// KEY                 TYPE                    DEFAULT     REQUIRED                SECRET       DESCRIPTION
	// APP_ENV             environment             production  no                      no           development, test, staging or production; unset or unknown means production
	// APP_LISTEN_ADDR     string                  :8080       no                      no           HTTP listen address
	// APP_SIGNING_KEY     secret                  -           in staging, production  signing key  HMAC key for tokens
	// APP_AGENT_TIMEOUTS  map of string=duration  search=5s   no                      no           -
	// APP_FEATURES        flags (search|pricing)  search      no                      no           -
	// APP_DB_URL          string                  -           yes                     no           database URL
	// APP_DB_TIMEOUT      duration                5s          no                      no           -
}

func ExampleWriteEnvExample() {
	_ = config.WriteEnvExample(os.Stdout, Settings{}, config.Options{Prefix: "APP_"})
	// Output:
	// # development, test, staging or production; unset or unknown means production
	// APP_ENV=development
	//
	// # HTTP listen address
	// # string
	// APP_LISTEN_ADDR=:8080
	//
	// # HMAC key for tokens
	// # secret, signing key, at least 32 bytes
	// APP_SIGNING_KEY=
	//
	// # map of string=duration
	// APP_AGENT_TIMEOUTS=search=5s
	//
	// # flags (search|pricing)
	// APP_FEATURES=search
	//
	// # database URL
	// # string, required
	// APP_DB_URL=
	//
	// # duration
	// APP_DB_TIMEOUT=5s
}

func ExampleSecret() {
	key := config.NewSecret("s3cr3t-value")
	fmt.Printf("%v %+v %#v %s %x\n", key, key, key, key, key)
	fmt.Println(len(key.Reveal()))
	// Output:
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]
	// 12
}

func ExampleFlags() {
	type Agents struct {
		// Search must start; pricing is optional; recs is off unless listed.
		Agents config.Flags `env:"AGENTS" flags:"search,pricing,recs" default:"search=required,pricing"`
	}
	var a Agents
	_, err := config.Load(&a, config.Options{Env: map[string]string{"ENV": "test"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range a.Agents.Known() {
		fmt.Println(name, a.Agents.State(name))
	}
	_, err = config.Load(&a, config.Options{Env: map[string]string{"ENV": "test", "AGENTS": "search,pricnig"}})
	fmt.Println(err)
	// Output:
	// pricing enabled
	// recs disabled
	// search required
	// config: 1 problem
	//   AGENTS: flag 2 is not a known flag (known: pricing, recs, search)
}
