package config

import (
	"fmt"
	"log/slog"

	"github.com/go-playground/validator/v10"
)

// Defaults used when the corresponding Options field is zero.
const (
	// DefaultMaxFileSize caps a KEY_FILE file.
	DefaultMaxFileSize = 64 << 10
	// maxEnvFileSize caps an env file.
	maxEnvFileSize = 1 << 20
	// MinSigningKeyLen is the minimum length in bytes of a signing key in
	// staging and production.
	MinSigningKeyLen = 32
)

// UnknownKeys chooses what Load does with a variable that starts with the
// prefix but matches no field (usually a typo). The zero value is
// [UnknownKeysError].
type UnknownKeys uint8

const (
	// UnknownKeysError makes an unknown key a problem in the returned error.
	UnknownKeysError UnknownKeys = iota
	// UnknownKeysWarn logs one warning per unknown key and lists them in
	// [Result.UnknownKeys].
	UnknownKeysWarn
	// UnknownKeysIgnore only lists them in [Result.UnknownKeys].
	UnknownKeysIgnore
)

// Options says where Load reads from and how strict it is. The zero Options reads the process
// environment with no prefix, no env files, no overrides, and treats
// unknown keys as errors (only possible with a prefix). Options is a plain
// value; Load does not keep or modify it.
type Options struct {
	// Prefix is prepended to every key, such as "DEVSKYY_". It may
	// contain only A-Z, a-z, 0-9 and _. With an empty prefix unknown keys
	// cannot be detected and the environment variable is "ENV".
	Prefix string

	// Env is the environment to read. Nil means the process environment
	// (os.Environ); tests pass a map, so that they never touch the
	// process. Use an empty non-nil map for an empty environment. It is
	// a map rather than a lookup function because detecting unknown keys
	// needs to list the variables under the prefix.
	Env map[string]string

	// Overrides beat every other source: full keys (with prefix) to
	// values, for example from command-line flags. An override key that
	// matches no field is always an error.
	Overrides map[string]string

	// EnvFiles are env files to read, in order; a later file beats an
	// earlier one, and every file is beaten by the environment. A named
	// file that does not exist is an error. Nil means none: Load never
	// reads ".env" unless asked.
	EnvFiles []string

	// AllowEnvFilesInProduction lets EnvFiles be read when the environment
	// is Production. Without it, naming env files in production is an
	// error.
	AllowEnvFilesInProduction bool

	// Expand enables $NAME and ${NAME} expansion inside env files. It
	// never applies to the environment, overrides or KEY_FILE contents.
	Expand bool

	// UnknownKeys chooses error (default), warning or ignore for variables
	// under Prefix that match no field.
	UnknownKeys UnknownKeys

	// MaxFileSize caps the size of a KEY_FILE file in bytes. Zero means
	// DefaultMaxFileSize (64 KiB).
	MaxFileSize int64

	// Validation, if not nil, is called with the validator Load uses, to
	// register custom tags and struct-level rules.
	Validation func(v *validator.Validate)

	// Logger receives the development-secret warnings, unknown-key
	// warnings and one debug line with the provenance. Nil means silent.
	Logger *slog.Logger
}

func (o *Options) check() error {
	for i := range len(o.Prefix) {
		if !isKeyByte(o.Prefix[i], false) {
			return fmt.Errorf("%w: prefix may contain only letters, digits and _", ErrDefinition)
		}
	}
	if o.UnknownKeys > UnknownKeysIgnore {
		return fmt.Errorf("%w: unknown UnknownKeys policy", ErrDefinition)
	}
	if o.MaxFileSize < 0 {
		return fmt.Errorf("%w: negative MaxFileSize", ErrDefinition)
	}
	return nil
}
