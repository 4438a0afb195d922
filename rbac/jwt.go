package rbac

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidKey reports a key whose algorithm, type or size is not
// acceptable. The message never contains key material.
var ErrInvalidKey = errors.New("rbac: invalid key")

// ErrInvalidSettings reports settings that [NewJWT], [NewAPIKeys],
// [NewGuard] or [NewMux] cannot accept; the message names the field.
var ErrInvalidSettings = errors.New("rbac: invalid settings")

// Key is a JWT verification key, bound to one algorithm and one key id.
// Material must match the algorithm:
//
//	HS256, HS384, HS512   []byte of at least 32, 48, 64 bytes
//	RS*, PS*              *rsa.PublicKey of at least 2048 bits
//	ES256, ES384, ES512   *ecdsa.PublicKey on P-256, P-384, P-521
//	EdDSA                 ed25519.PublicKey
//
// Binding a key to its algorithm is what defeats algorithm confusion: a
// token naming HS256 is never checked against an RSA or Ed25519 key's
// bytes. The zero value is not a usable key. Treat a Key as immutable once
// it is in a [KeySet].
type Key struct {
	// ID is the key id ("kid" header) that selects this key. Required.
	ID string
	// Algorithm is the JWS "alg" this key verifies. Required.
	Algorithm string
	// Material is the public key or shared secret; see the table above.
	Material any
}

// SigningKey is a JWT signing key for [Mint], with the same ID and
// Algorithm rules as [Key]. Material is []byte for HS*, *rsa.PrivateKey,
// *ecdsa.PrivateKey or ed25519.PrivateKey. The zero value is not usable.
type SigningKey struct {
	// ID is written as the token's "kid". Required.
	ID string
	// Algorithm is the JWS "alg". Required.
	Algorithm string
	// Material is the private key or shared secret.
	Material any
}

// VerificationKey returns the [Key] that verifies tokens signed with k.
// For HMAC it shares the secret.
func (k SigningKey) VerificationKey() (Key, error) {
	if err := checkKey(k.ID, k.Algorithm, k.Material, true); err != nil {
		return Key{}, err
	}
	var pub any
	switch m := k.Material.(type) {
	case []byte:
		pub = slices.Clone(m)
	case *rsa.PrivateKey:
		pub = &m.PublicKey
	case *ecdsa.PrivateKey:
		pub = &m.PublicKey
	case ed25519.PrivateKey:
		pub = m.Public()
	}
	return Key{ID: k.ID, Algorithm: k.Algorithm, Material: pub}, nil
}

// checkKey validates the id, the algorithm and the material type and size.
func checkKey(id, alg string, m any, private bool) error {
	if id == "" || len(id) > 256 {
		return fmt.Errorf("%w: key id must be 1 to 256 bytes", ErrInvalidKey)
	}
	bad := fmt.Errorf("%w: key %q does not fit algorithm %q", ErrInvalidKey, id, alg)
	switch alg {
	case "HS256", "HS384", "HS512":
		b, ok := m.([]byte)
		need := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg]
		if !ok || len(b) < need {
			return fmt.Errorf("%w: key %q needs a secret of at least %d bytes", ErrInvalidKey, id, need)
		}
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		var pub *rsa.PublicKey
		if private {
			k, ok := m.(*rsa.PrivateKey)
			if !ok || k == nil {
				return bad
			}
			pub = &k.PublicKey
		} else if k, ok := m.(*rsa.PublicKey); ok {
			pub = k
		}
		if pub == nil || pub.N == nil || pub.N.BitLen() < 2048 {
			return bad
		}
	case "ES256", "ES384", "ES512":
		var pub *ecdsa.PublicKey
		if private {
			if k, ok := m.(*ecdsa.PrivateKey); ok && k != nil {
				pub = &k.PublicKey
			}
		} else if k, ok := m.(*ecdsa.PublicKey); ok {
			pub = k
		}
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		if pub == nil || pub.Curve != want {
			return bad
		}
	case "EdDSA":
		priv, _ := m.(ed25519.PrivateKey)
		pub, _ := m.(ed25519.PublicKey)
		if private && len(priv) != ed25519.PrivateKeySize || !private && len(pub) != ed25519.PublicKeySize {
			return bad
		}
	default:
		return fmt.Errorf("%w: algorithm %q is not supported", ErrInvalidKey, alg)
	}
	return nil
}

// KeySet is an immutable set of verification keys, indexed by key id.
// Build one with [NewKeySet] and install it with [JWT.SetKeys] to rotate
// keys. The zero value is an empty set. A *KeySet is safe for concurrent
// use.
type KeySet struct {
	keys map[string]Key
}

// NewKeySet validates keys and returns the set. Key ids must be unique.
func NewKeySet(keys ...Key) (*KeySet, error) {
	ks := &KeySet{keys: make(map[string]Key, len(keys))}
	for _, k := range keys {
		if err := checkKey(k.ID, k.Algorithm, k.Material, false); err != nil {
			return nil, err
		}
		if _, dup := ks.keys[k.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate key id %q", ErrInvalidKey, k.ID)
		}
		if b, ok := k.Material.([]byte); ok {
			k.Material = slices.Clone(b)
		}
		ks.keys[k.ID] = k
	}
	return ks, nil
}

// Len returns the number of keys in the set.
func (ks *KeySet) Len() int {
	if ks == nil {
		return 0
	}
	return len(ks.keys)
}

// JWTSettings configures [NewJWT]. Algorithms, Keys, Issuer and Audience
// are required; the other fields default when zero.
type JWTSettings struct {
	// Algorithms lists the accepted "alg" values, for example
	// []string{"EdDSA"}. Required; "none" is never accepted. Every key in
	// Keys must use one of them.
	Algorithms []string
	// Keys are the verification keys, chosen by the token's "kid". Required.
	Keys *KeySet
	// Issuer is the required "iss". Required.
	Issuer string
	// Audience is the audience this service is; the token's "aud" (a
	// string or an array) must contain it. Required.
	Audience string
	// Leeway is the clock skew allowed on exp, nbf and iat. Default 0;
	// at most 2 minutes.
	Leeway time.Duration
	// MaxLifetime rejects tokens whose exp is further than this in the
	// future, so that a leaked long-lived token is useless. Default 24h.
	MaxLifetime time.Duration
	// MaxHeaderBytes caps the Authorization header, checked before any
	// parsing. Default 4096, at least 256.
	MaxHeaderBytes int
	// Realm is sent in the WWW-Authenticate challenge. Default "api".
	Realm string
}

// maxLeeway caps JWTSettings.Leeway.
const maxLeeway = 2 * time.Minute

// JWT authenticates "Authorization: Bearer <token>" requests carrying a
// JSON Web Token with a "role" claim (a role's text form). Create it with
// [NewJWT]; the zero value is not usable. It is safe for concurrent use,
// and [JWT.SetKeys] may run while requests are verified: the key set is an
// immutable snapshot behind an atomic pointer, read without a lock.
type JWT struct {
	keys      atomic.Pointer[KeySet]
	algs      []string
	parser    *jwt.Parser
	keyfunc   jwt.Keyfunc
	maxLife   time.Duration
	leeway    time.Duration
	maxHeader int
	challenge string
}

// NewJWT validates s and returns the authenticator.
func NewJWT(s JWTSettings) (*JWT, error) {
	switch {
	case len(s.Algorithms) == 0:
		return nil, fmt.Errorf("%w: Algorithms is required", ErrInvalidSettings)
	case s.Keys.Len() == 0:
		return nil, fmt.Errorf("%w: Keys is required", ErrInvalidSettings)
	case s.Issuer == "":
		return nil, fmt.Errorf("%w: Issuer is required", ErrInvalidSettings)
	case s.Audience == "":
		return nil, fmt.Errorf("%w: Audience is required", ErrInvalidSettings)
	case s.Leeway < 0 || s.Leeway > maxLeeway:
		return nil, fmt.Errorf("%w: Leeway must be between 0 and %v", ErrInvalidSettings, maxLeeway)
	case s.MaxLifetime < 0:
		return nil, fmt.Errorf("%w: MaxLifetime must not be negative", ErrInvalidSettings)
	case s.MaxHeaderBytes != 0 && s.MaxHeaderBytes < 256:
		return nil, fmt.Errorf("%w: MaxHeaderBytes must be at least 256", ErrInvalidSettings)
	case strings.ContainsAny(s.Realm, "\"\\\r\n"):
		return nil, fmt.Errorf("%w: Realm must not contain quotes, backslashes or line breaks", ErrInvalidSettings)
	}
	for _, alg := range s.Algorithms {
		if err := checkAlg(alg); err != nil {
			return nil, err
		}
	}
	a := &JWT{
		algs:      slices.Clone(s.Algorithms),
		maxLife:   s.MaxLifetime,
		leeway:    s.Leeway,
		maxHeader: s.MaxHeaderBytes,
	}
	if a.maxLife == 0 {
		a.maxLife = 24 * time.Hour
	}
	if a.maxHeader == 0 {
		a.maxHeader = 4096
	}
	realm := s.Realm
	if realm == "" {
		realm = "api"
	}
	a.challenge = `Bearer realm="` + realm + `"`
	if err := a.SetKeys(s.Keys); err != nil {
		return nil, err
	}
	a.parser = jwt.NewParser(
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(s.Issuer),
		jwt.WithAudience(s.Audience),
		jwt.WithLeeway(s.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	)
	a.keyfunc = a.lookup
	return a, nil
}

// checkAlg reports an algorithm outside the supported set.
func checkAlg(alg string) error {
	switch alg {
	case "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA":
		return nil
	}
	return fmt.Errorf("%w: algorithm %q is not supported", ErrInvalidSettings, alg)
}

// SetKeys installs ks as the verification keys, atomically: a request sees
// either the old set or the new one. Every key's algorithm must be one of
// the configured algorithms, and the set must not be empty.
func (a *JWT) SetKeys(ks *KeySet) error {
	if ks.Len() == 0 {
		return fmt.Errorf("%w: the key set is empty", ErrInvalidSettings)
	}
	for _, k := range ks.keys {
		if !slices.Contains(a.algs, k.Algorithm) {
			return fmt.Errorf("%w: key %q uses an algorithm that is not allowed", ErrInvalidSettings, k.ID)
		}
	}
	a.keys.Store(ks)
	return nil
}

// Challenge returns `Bearer realm="<Realm>"`.
func (a *JWT) Challenge() string { return a.challenge }

// tokenClaims are the claims read from a token. Role stays raw until the
// signature has been verified, so that an edited role is reported as a
// bad signature, not as a decoding error.
type tokenClaims struct {
	jwt.RegisteredClaims
	Role json.RawMessage `json:"role"`
}

// lookup is the jwt.Keyfunc: it checks the algorithm against the allowed
// list and against the key chosen by kid.
func (a *JWT) lookup(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if !slices.Contains(a.algs, alg) {
		return nil, reject(ReasonBadAlgorithm)
	}
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 4.1.11: no extension is understood, so none may be critical.
		return nil, reject(ReasonMalformedToken)
	}
	kid, _ := t.Header["kid"].(string)
	k, ok := a.keys.Load().keys[kid]
	if !ok {
		return nil, reject(ReasonUnknownKey)
	}
	if k.Algorithm != alg {
		return nil, reject(ReasonBadAlgorithm)
	}
	return k.Material, nil
}

// Authenticate verifies the bearer token of r. See [Authenticator].
func (a *JWT) Authenticate(r *http.Request) (Principal, error) {
	tok, err := credential(r.Header, "Bearer", a.maxHeader)
	if err != nil {
		return Principal{}, err
	}
	return a.Verify(tok)
}

// Verify checks a token outside HTTP (a CLI, a queue consumer) exactly as
// [JWT.Authenticate] checks a bearer token.
func (a *JWT) Verify(token string) (Principal, error) {
	if len(token) > a.maxHeader || strings.Count(token, ".") != 2 {
		return Principal{}, reject(ReasonMalformedToken)
	}
	var c tokenClaims
	if _, err := a.parser.ParseWithClaims(token, &c, a.keyfunc); err != nil {
		return Principal{}, reject(jwtReason(err))
	}
	if c.Subject == "" || c.ExpiresAt.After(time.Now().Add(a.maxLife+a.leeway)) {
		return Principal{}, reject(ReasonInvalidClaims)
	}
	var name string
	if err := json.Unmarshal(c.Role, &name); err != nil {
		return Principal{}, reject(ReasonInvalidClaims)
	}
	role, err := ParseRole(name)
	if err != nil || !role.Satisfies(ReadOnly) {
		return Principal{}, reject(ReasonInvalidClaims)
	}
	return Principal{Subject: c.Subject, Role: role, TokenID: c.ID, Method: MethodJWT, Expires: c.ExpiresAt.Time}, nil
}

// jwtReason maps a jwt/v5 error to a decision reason.
func jwtReason(err error) Reason {
	var ae *AuthError
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ReasonMalformedToken
	case errors.As(err, &ae):
		return ae.Reason
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return ReasonBadAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ReasonBadSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ReasonNotYetValid
	}
	return ReasonInvalidClaims
}
