package config

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
)

// ephemeral returns a fresh random development secret: 32 bytes from
// crypto/rand, base64url-encoded (43 characters).
func ephemeral() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// isPlaceholder reports whether the normalised value is a well-known dummy
// secret, including the ones in this package's own documentation and
// examples.
func isPlaceholder(norm string) bool {
	switch norm {
	case "changeme", "change-me", "change_me", "changeit", "secret", "secret-key", "secretkey",
		"password", "passw0rd", "default", "example", "test", "dev", "development",
		"dev-secret-key-change-in-production", "your-secret-key", "your-secret-key-here",
		"your-256-bit-secret", "supersecret", "super-secret", "super-secret-key",
		"placeholder", "replace-me", "todo",
		ExampleSigningKey:
		return true
	}
	for _, marker := range []string{"changeme", "change-me", "change_me", "change-in-production", "replace-me", "your-secret"} {
		if strings.Contains(norm, marker) {
			return true
		}
	}
	return false
}

// ExampleSigningKey is the signing key used in this package's examples. It
// is long enough but is rejected in staging and production like every
// well-known placeholder, so copying an example into production fails.
const ExampleSigningKey = "docs-example-signing-key-0123456789abcdef"

// weakKey returns why a signing key is too weak, or "".
func weakKey(v string) string {
	norm := strings.ToLower(strings.TrimSpace(v))
	if isPlaceholder(norm) {
		return "signing key is a well-known placeholder"
	}
	if len(v) < MinSigningKeyLen {
		return "signing key shorter than " + strconv.Itoa(MinSigningKeyLen) + " bytes"
	}
	if strings.Count(v, v[:1]) == len(v) {
		return "signing key repeats one character"
	}
	return ""
}
