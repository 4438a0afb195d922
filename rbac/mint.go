package rbac

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the contents of a token made by [Mint].
type Claims struct {
	// Subject is the "sub". Required.
	Subject string
	// Role is the "role", written in its text form. Required: ReadOnly
	// through SuperAdmin.
	Role Role
	// Issuer is the "iss". Required.
	Issuer string
	// Audience is the "aud". Required.
	Audience []string
	// ID is the "jti". Optional.
	ID string
	// IssuedAt is the "iat". Default: now.
	IssuedAt time.Time
	// NotBefore is the "nbf". Optional.
	NotBefore time.Time
	// Expires is the "exp". Required.
	Expires time.Time
}

// mintClaims is the JSON shape of a minted token.
type mintClaims struct {
	jwt.RegisteredClaims
	Role Role `json:"role"`
}

// Mint signs c with key and returns the compact token. It is meant for
// tests, tools and development modes: production tokens usually come from
// an identity provider. It refuses claims that [JWT] would reject anyway
// (no subject, issuer, audience or expiry; an invalid role), so a minted
// token never fails for a reason the caller could have seen.
func Mint(key SigningKey, c Claims) (string, error) {
	if err := checkKey(key.ID, key.Algorithm, key.Material, true); err != nil {
		return "", err
	}
	switch {
	case c.Subject == "":
		return "", errors.New("rbac: mint: Subject is required")
	case !c.Role.Satisfies(ReadOnly):
		return "", fmt.Errorf("rbac: mint: %w", ErrInvalidRole)
	case c.Issuer == "":
		return "", errors.New("rbac: mint: Issuer is required")
	case len(c.Audience) == 0:
		return "", errors.New("rbac: mint: Audience is required")
	case c.Expires.IsZero():
		return "", errors.New("rbac: mint: Expires is required")
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	mc := mintClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    c.Issuer,
			Audience:  jwt.ClaimStrings(c.Audience),
			ID:        c.ID,
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(c.Expires),
		},
		Role: c.Role,
	}
	if !c.NotBefore.IsZero() {
		mc.NotBefore = jwt.NewNumericDate(c.NotBefore)
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(key.Algorithm), mc)
	t.Header["kid"] = key.ID
	s, err := t.SignedString(key.Material)
	if err != nil {
		return "", errors.New("rbac: mint: signing failed")
	}
	return s, nil
}
