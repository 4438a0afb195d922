package rbac

import (
	"errors"
	"net/http"
	"strings"
)

// Authenticator turns a request's credentials into a [Principal].
//
// Authenticate returns an error wrapping [ErrNoCredentials] when the
// request carries no credential of the kind it handles (so that [Chain]
// may try the next one), an [*AuthError] when a credential is present but
// not acceptable, or the principal. It must not retain the request, must
// never put credential bytes in an error, and must be safe for concurrent
// use. Authenticators that do I/O honour r.Context().
//
// Challenge returns the WWW-Authenticate challenge sent with 401
// responses, such as `Bearer realm="api"`.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
	Challenge() string
}

// ErrNoCredentials reports a request without a credential the
// authenticator handles.
var ErrNoCredentials = errors.New("rbac: no credentials")

// Reason is why a decision went the way it did. The set is fixed: the
// constants below are the only values this package produces.
type Reason string

// The decision reasons.
const (
	ReasonAllowed          Reason = "allowed"           // authenticated and authorised
	ReasonPublic           Reason = "public"            // a Public route; no credentials checked
	ReasonMissingToken     Reason = "missing_token"     // no credential of a handled kind
	ReasonMalformedToken   Reason = "malformed_token"   // unparsable, oversized or duplicated credential
	ReasonBadAlgorithm     Reason = "bad_algorithm"     // algorithm not allowed or not the key's
	ReasonUnknownKey       Reason = "unknown_key"       // no key with the token's kid
	ReasonBadSignature     Reason = "bad_signature"     // signature does not verify
	ReasonExpired          Reason = "expired"           // exp in the past
	ReasonNotYetValid      Reason = "not_yet_valid"     // nbf or iat in the future
	ReasonInvalidClaims    Reason = "invalid_claims"    // iss, aud, sub, role, exp missing or out of bounds
	ReasonInvalidAPIKey    Reason = "invalid_api_key"   // unknown key id or wrong secret
	ReasonInsufficientRole Reason = "insufficient_role" // authenticated, role too low
	ReasonNoRoute          Reason = "no_route"          // no route matches the method and path
	ReasonError            Reason = "error"             // the authenticator failed in another way
)

// AuthError reports a credential that was present but not accepted. Its
// message names the reason only, never the credential.
type AuthError struct {
	// Reason is one of the Reason constants, never ReasonAllowed or ReasonPublic.
	Reason Reason
}

// Error returns "rbac: credential rejected: " and the reason.
func (e *AuthError) Error() string { return "rbac: credential rejected: " + string(e.Reason) }

func reject(r Reason) error { return &AuthError{Reason: r} }

// Chain returns an authenticator that tries each of as in order: the
// first that finds its kind of credential decides. When none does, the
// result wraps [ErrNoCredentials]. Its challenge lists theirs.
func Chain(as ...Authenticator) Authenticator {
	return chain(append([]Authenticator(nil), as...))
}

type chain []Authenticator

func (c chain) Authenticate(r *http.Request) (Principal, error) {
	for _, a := range c {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		return p, err
	}
	return Principal{}, ErrNoCredentials
}

func (c chain) Challenge() string {
	cs := make([]string, 0, len(c))
	for _, a := range c {
		cs = append(cs, a.Challenge())
	}
	return strings.Join(cs, ", ")
}

// credential extracts the credential of the given scheme from the
// Authorization header: exactly one header, at most limit bytes, the scheme
// matched without regard to case (RFC 9110), one or more spaces, then a
// token of RFC 6750 b64token characters. A header with another scheme, or
// none, is ErrNoCredentials.
func credential(h http.Header, scheme string, limit int) (string, error) {
	vs := h["Authorization"]
	switch {
	case len(vs) == 0:
		return "", ErrNoCredentials
	case len(vs) > 1:
		return "", reject(ReasonMalformedToken)
	}
	v := vs[0]
	if len(v) > limit {
		return "", reject(ReasonMalformedToken)
	}
	if len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) || v[len(scheme)] != ' ' {
		if v == "" || strings.EqualFold(v, scheme) {
			return "", reject(ReasonMalformedToken)
		}
		return "", ErrNoCredentials
	}
	tok := strings.TrimLeft(v[len(scheme):], " ")
	if !b64token(tok) {
		return "", reject(ReasonMalformedToken)
	}
	return tok, nil
}

// b64token reports whether s matches RFC 6750's
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func b64token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
