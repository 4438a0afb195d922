// Package config fills a host's settings struct from the environment, env
// files and KEY_FILE files, validates it, and hands back either a complete
// value or one error that lists every problem. It is the only package of
// the SDK that reads the environment; no other SDK package imports it: the
// host's main passes each package its own settings.
//
// # The model
//
// The host declares a struct with tags and calls [Load]:
//
//	type Settings struct {
//		Env        config.Environment       // filled with the resolved environment
//		ListenAddr string                   `env:"LISTEN_ADDR" default:":8080" desc:"HTTP listen address"`
//		DataDir    string                   `env:"DATA_DIR,required"`
//		SigningKey config.Secret            `env:"SIGNING_KEY,signing" desc:"HMAC key for tokens"`
//		Issuer     string                   `default:"devskyy" validate:"required"` // key ISSUER
//		Timeouts   map[string]time.Duration `env:"AGENT_TIMEOUTS" default:"search=5s"`
//		Features   config.Flags             `env:"FEATURES" flags:"search,pricing" default:"search"`
//		DB         DBSettings               `prefix:"DB_"` // keys DEVSKYY_DB_...
//	}
//
//	var s Settings
//	res, err := config.Load(&s, config.Options{Prefix: "DEVSKYY_"})
//
// Tags:
//
//   - env:"NAME[,required][,signing]": the key, without the prefix. Without
//     a name the key is the field name in upper snake case (ListenAddr ->
//     LISTEN_ADDR). env:"-" skips the field; unexported fields are skipped.
//     required: the key must be set (an empty value counts as unset).
//     signing: the field is a [Secret] used as a signing key (see below).
//   - default:"value": used when no source sets the key. A default on a
//     required field or on a secret is a definition error ([ErrDefinition]),
//     as is a default that does not decode.
//   - validate:"...": rules of github.com/go-playground/validator/v10, run on
//     the filled struct; [Options.Validation] registers custom rules and
//     struct-level rules. A Validate() error method on the settings type
//     runs last; it may return a [*FieldError] or [*Error] to name keys.
//   - desc:"...": a description for [Usage] and [WriteEnvExample].
//   - prefix:"DB_": on a nested struct field, the prefix of its keys
//     (after Options.Prefix). Without it a nested field named DB uses
//     "DB_"; an embedded struct uses none.
//   - sep:";": the item separator of a slice or map (default ",").
//   - flags:"a,b,c": the known flags of a [Flags] field (required there).
//
// Field types: string, bool, all int, uint and float kinds,
// [time.Duration], [net/url.URL] (must be absolute), any type whose pointer
// implements [encoding.TextUnmarshaler] (time.Time, netip.Addr, slog.Level,
// ...), []byte (raw), [Secret], [Flags], [Environment], slices of those
// ("a,b,c"), maps of those ("k1=v1,k2=v2"), pointers to those (nil when
// unset, so "unset" and "zero" differ) and nested structs. Anything else is
// a definition error.
//
// # Sources and precedence
//
// For each key, the first source that has a non-empty value wins:
//
//  1. [Options.Overrides] (for example command-line flags; values only,
//     an override of KEY_FILE is an error);
//  2. the environment ([Options.Env], or the process environment);
//  3. the file named by KEY_FILE (Docker and Kubernetes secrets), read
//     from the environment or an env file: at most [Options.MaxFileSize]
//     bytes, one trailing newline trimmed, regular files only (a
//     directory, FIFO or device is refused without blocking); KEY and
//     KEY_FILE both set is an [ErrConflict];
//  4. [Options.EnvFiles], later files beating earlier ones;
//  5. the default tag.
//
// Load fills a fresh value and copies it to *dst only when there is no
// problem at all: on error *dst is left untouched, and on success every
// field is overwritten (fields the loader skips become zero).
//
// An empty value counts as unset at every level, so "KEY=" never hides a
// default and never satisfies required. An explicitly set "0" or "false"
// is set. [Result.Origins] records the source of every key (provenance),
// with secret values redacted; with a Logger, Load writes it as one debug
// line.
//
// # Environments
//
// The variable <Prefix>ENV (DEVSKYY_ENV with prefix "DEVSKYY_") selects
// [Development], [Test], [Staging] or [Production]. It is read from the
// overrides and the environment only, never from an env file or a
// KEY_FILE, so a file cannot lower the security level. Unset, empty or
// unknown means Production: the loader fails closed.
//
//   - Production and staging: every secret must be set (as if required);
//     a signing key must be at least [MinSigningKeyLen] bytes, not a single
//     repeated character, and not a well-known placeholder ("changeme",
//     "secret", "dev-secret-key-change-in-production", [ExampleSigningKey],
//     ...). In production env files are refused unless
//     [Options.AllowEnvFilesInProduction] is set.
//   - Test: a missing secret that is not required stays unset.
//   - Development: a missing [Secret] field gets an ephemeral value from
//     crypto/rand, and Load logs exactly one warning per such key, naming
//     the key, never the value, saying it will not survive a restart.
//
// # Errors
//
// Load returns one [*Error] listing every problem: missing keys, values
// that do not decode, validation failures, weak secrets, KEY/KEY_FILE
// conflicts, unreadable sources and, with a prefix, unknown keys under the
// prefix (typos: [Options.UnknownKeys] chooses error, warning or ignore; a
// close known key is suggested). Problems are sorted by key, one line per
// key. Each is a [*FieldError] with the key, the Go field path, a reason
// and a sentinel ([ErrMissing], [ErrInvalid], ...) for [errors.Is].
//
// Errors name keys, never values. Reasons are written by this package ("not
// a valid duration"), never passed through from strconv or a
// TextUnmarshaler, and no error of Load contains a configured value or raw
// input (env file syntax errors give a line number, not the text). As
// defence in depth, any secret value that appears in a reason (say, in the
// text of a host's Validate error) is replaced with [Redacted].
//
// # Secrets
//
// A [Secret] prints as [Redacted] through every fmt verb, String,
// GoString, slog and JSON or text marshalling, also inside nested structs,
// slices and maps; only [Secret.Reveal] and [Secret.Bytes] give the value.
//
// # Feature flags
//
// A [Flags] field is read from one comma list such as
// "search,pricing=required,recs=disabled" and declares its known flags in a
// flags tag; naming an unknown flag is an error. A host turns optional
// components on and off with [Flags.Enabled] and fails at startup when a
// [Flags.Required] component cannot start, instead of silently degrading.
//
// # Env files
//
// The package has its own strict env file parser rather than
// github.com/joho/godotenv, because godotenv accepts malformed lines
// silently, has no line-numbered errors, and its errors and expansion
// rules are not under our control for the no-leak rule. The grammar: one
// KEY=value per line, optional "export ", # comments (at line start or
// after a space), unquoted values (trimmed), 'single-quoted' values
// (literal, may span lines), "double-quoted" values (escapes \n \r \t \\ \"
// \$ \`, may span lines), a UTF-8 BOM and CRLF accepted. There is no
// command substitution: a backquote or $( outside single quotes is an
// error. $NAME and ${NAME} are expanded only with [Options.Expand], from
// the environment and earlier keys; an undefined name is an error. A key
// defined twice in one file is an error. Naming a file that does not exist
// is an error; Load never reads ".env" on its own.
//
// # Self-documentation
//
// [Usage] writes a table of keys, types, defaults, required and secret
// markers and descriptions; [WriteEnvExample] writes a .env.example with
// secrets left blank, which the parser reads back.
//
// # Cost
//
// Load is a startup call: a dozen keys take well under a millisecond. When
// any field has a validate tag (or Options.Validation is set) Load builds a
// fresh validator, which is most of that time; without tags it is skipped.
//
// # Zero values and concurrency
//
// The zero [Options] reads the process environment without a prefix. Load
// keeps no state between calls (no cache, no package variables) and may be
// called concurrently; it does not start goroutines. [Secret], [Flags],
// [Environment] and [Result] are immutable values, safe for concurrent
// use once returned.
package config
