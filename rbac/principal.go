package rbac

import (
	"context"
	"time"
)

// AuthMethod says how a principal proved its identity.
type AuthMethod string

// The built-in authentication methods.
const (
	MethodJWT    AuthMethod = "jwt"     // a bearer JSON Web Token
	MethodAPIKey AuthMethod = "api_key" // an API key
)

// Principal is an authenticated caller: who, with which role, proved by
// which credential. It never holds the raw token or key. The zero value
// has role [None] and satisfies nothing. A Principal is a plain value,
// safe to copy and to share between goroutines.
type Principal struct {
	// Subject identifies the caller (the token's "sub", the API key's subject).
	Subject string
	// Role is the caller's role.
	Role Role
	// TokenID identifies the credential: the token's "jti" or the API key id.
	TokenID string
	// Method is how the caller authenticated.
	Method AuthMethod
	// Expires is when the credential stops being valid; zero when it does not expire.
	Expires time.Time
}

// principalKey is the context key of the principal; being unexported, no
// other package can set or read it except through this package.
type principalKey struct{}

// ContextWithPrincipal returns a copy of ctx carrying p. The middleware
// calls it after a successful check; hosts use it in tests and for
// in-process calls made on behalf of a caller.
func ContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the middleware stored in ctx, and
// false when there is none (public routes, unauthenticated contexts).
// Identity headers sent by clients (X-User, X-Role, ...) are never
// consulted.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
