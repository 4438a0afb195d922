package rbac

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// APIKey is the stored form of an API key: its id, the SHA-256 digest of
// the whole key, and who it stands for. The secret itself is never stored.
//
// An API key is written "<id>.<secret>" and sent as
//
//	Authorization: ApiKey <id>.<secret>
//
// The id is 1 to 64 characters of [a-z0-9_-] and is not secret (it selects
// the record and appears in decisions as the token id); the secret made by
// [NewAPIKey] is 32 random bytes in unpadded base64url. The digest covers
// "<id>.<secret>", binding the secret to its id.
type APIKey struct {
	// ID selects the record. Required, unique.
	ID string
	// Digest is DigestAPIKey of the full key. Required.
	Digest [sha256.Size]byte
	// Subject is the principal's subject. Required.
	Subject string
	// Role is the principal's role: ReadOnly through SuperAdmin.
	Role Role
	// Expires, when not zero, is when the key stops working.
	Expires time.Time
}

// NewAPIKey creates a key with the given id and 32 bytes from random
// (crypto/rand when nil). It returns the key, to hand to its owner once,
// and the digest to store in an [APIKey].
func NewAPIKey(id string, random io.Reader) (key string, digest [sha256.Size]byte, err error) {
	if !validKeyID(id) {
		return "", digest, fmt.Errorf("%w: an API key id must be 1 to 64 characters of [a-z0-9_-]", ErrInvalidKey)
	}
	if random == nil {
		random = rand.Reader
	}
	var b [32]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", digest, fmt.Errorf("rbac: reading randomness: %w", err)
	}
	key = id + "." + base64.RawURLEncoding.EncodeToString(b[:])
	return key, DigestAPIKey(key), nil
}

// DigestAPIKey returns the SHA-256 digest of a full key, "<id>.<secret>".
func DigestAPIKey(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// APIKeySettings configures [NewAPIKeys]. Every zero field has a default.
type APIKeySettings struct {
	// Keys are the accepted keys. Default: none (every key is refused
	// until SetKeys installs some).
	Keys []APIKey
	// MaxHeaderBytes caps the Authorization header. Default 512.
	MaxHeaderBytes int
	// Realm is sent in the WWW-Authenticate challenge. Default "api".
	Realm string
}

// APIKeys authenticates "Authorization: ApiKey <id>.<secret>" requests
// against stored digests, looked up by id and compared in constant time.
// Create it with [NewAPIKeys]; the zero value is not usable. It is safe for
// concurrent use; [APIKeys.SetKeys] swaps the whole set atomically and the
// request path takes no lock.
type APIKeys struct {
	keys      atomic.Pointer[map[string]APIKey]
	maxHeader int
	challenge string
}

// NewAPIKeys validates s and returns the authenticator.
func NewAPIKeys(s APIKeySettings) (*APIKeys, error) {
	if s.MaxHeaderBytes < 0 || s.MaxHeaderBytes > 0 && s.MaxHeaderBytes < 128 {
		return nil, fmt.Errorf("%w: MaxHeaderBytes must be at least 128", ErrInvalidSettings)
	}
	if strings.ContainsAny(s.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: Realm must not contain quotes, backslashes or line breaks", ErrInvalidSettings)
	}
	a := &APIKeys{maxHeader: s.MaxHeaderBytes, challenge: `ApiKey realm="api"`}
	if a.maxHeader == 0 {
		a.maxHeader = 512
	}
	if s.Realm != "" {
		a.challenge = `ApiKey realm="` + s.Realm + `"`
	}
	if err := a.SetKeys(s.Keys); err != nil {
		return nil, err
	}
	return a, nil
}

// SetKeys validates keys and replaces the whole set atomically.
func (a *APIKeys) SetKeys(keys []APIKey) error {
	m := make(map[string]APIKey, len(keys))
	for _, k := range keys {
		switch {
		case !validKeyID(k.ID):
			return fmt.Errorf("%w: an API key id must be 1 to 64 characters of [a-z0-9_-]", ErrInvalidKey)
		case k.Subject == "":
			return fmt.Errorf("%w: API key %q has no subject", ErrInvalidKey, k.ID)
		case !k.Role.Satisfies(ReadOnly):
			return fmt.Errorf("%w: API key %q", ErrInvalidRole, k.ID)
		case k.Digest == [sha256.Size]byte{}:
			return fmt.Errorf("%w: API key %q has no digest", ErrInvalidKey, k.ID)
		}
		if _, dup := m[k.ID]; dup {
			return fmt.Errorf("%w: duplicate API key id %q", ErrInvalidKey, k.ID)
		}
		m[k.ID] = k
	}
	a.keys.Store(&m)
	return nil
}

// Challenge returns `ApiKey realm="<Realm>"`.
func (a *APIKeys) Challenge() string { return a.challenge }

// Authenticate checks the API key of r. See [Authenticator].
func (a *APIKeys) Authenticate(r *http.Request) (Principal, error) {
	key, err := credential(r.Header, "ApiKey", a.maxHeader)
	if err != nil {
		return Principal{}, err
	}
	id, _, ok := strings.Cut(key, ".")
	if !ok || !validKeyID(id) {
		return Principal{}, reject(ReasonMalformedToken)
	}
	rec, found := (*a.keys.Load())[id]
	got := DigestAPIKey(key)
	// Compare even when the id is unknown, so both paths cost the same.
	if subtle.ConstantTimeCompare(got[:], rec.Digest[:]) != 1 || !found {
		return Principal{}, reject(ReasonInvalidAPIKey)
	}
	if !rec.Expires.IsZero() && !time.Now().Before(rec.Expires) {
		return Principal{}, reject(ReasonExpired)
	}
	return Principal{Subject: rec.Subject, Role: rec.Role, TokenID: rec.ID, Method: MethodAPIKey, Expires: rec.Expires}, nil
}
