package rbac_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
)

func TestKeyValidation(t *testing.T) {
	k := testKeys()
	rk := k.rs.Material.(*rsa.PrivateKey)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPriv := k.ed.Material.(ed25519.PrivateKey)
	cases := []struct {
		name string
		key  rbac.Key
		ok   bool
	}{
		{"hmac 32 bytes", rbac.Key{ID: "a", Algorithm: "HS256", Material: make([]byte, 32)}, true},
		{"hmac 31 bytes", rbac.Key{ID: "a", Algorithm: "HS256", Material: make([]byte, 31)}, false},
		{"hs384 32 bytes", rbac.Key{ID: "a", Algorithm: "HS384", Material: make([]byte, 32)}, false},
		{"hs512 64 bytes", rbac.Key{ID: "a", Algorithm: "HS512", Material: make([]byte, 64)}, true},
		{"hmac as string", rbac.Key{ID: "a", Algorithm: "HS256", Material: strings.Repeat("k", 32)}, false},
		{"rsa public", rbac.Key{ID: "a", Algorithm: "RS256", Material: &rk.PublicKey}, true},
		{"pss public", rbac.Key{ID: "a", Algorithm: "PS256", Material: &rk.PublicKey}, true},
		{"rsa 1024 bits", rbac.Key{ID: "a", Algorithm: "RS256", Material: &small.PublicKey}, false},
		{"rsa private as verification key", rbac.Key{ID: "a", Algorithm: "RS256", Material: rk}, false},
		{"rsa key for HS256", rbac.Key{ID: "a", Algorithm: "HS256", Material: &rk.PublicKey}, false},
		{"ecdsa P-256 for ES256", rbac.Key{ID: "a", Algorithm: "ES256", Material: &k.es.Material.(*ecdsa.PrivateKey).PublicKey}, true},
		{"ecdsa P-384 for ES256", rbac.Key{ID: "a", Algorithm: "ES256", Material: &p384.PublicKey}, false},
		{"ed25519 public", rbac.Key{ID: "a", Algorithm: "EdDSA", Material: edPriv.Public()}, true},
		{"ed25519 private as verification key", rbac.Key{ID: "a", Algorithm: "EdDSA", Material: edPriv}, false},
		{"ed25519 short", rbac.Key{ID: "a", Algorithm: "EdDSA", Material: ed25519.PublicKey(make([]byte, 31))}, false},
		{"none algorithm", rbac.Key{ID: "a", Algorithm: "none", Material: make([]byte, 32)}, false},
		{"no id", rbac.Key{Algorithm: "HS256", Material: make([]byte, 32)}, false},
		{"long id", rbac.Key{ID: strings.Repeat("i", 257), Algorithm: "HS256", Material: make([]byte, 32)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rbac.NewKeySet(c.key)
			if (err == nil) != c.ok {
				t.Fatalf("NewKeySet: %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, rbac.ErrInvalidKey) {
				t.Errorf("error %v is not ErrInvalidKey", err)
			}
			if err != nil && strings.Contains(err.Error(), "kkkk") {
				t.Errorf("error contains key material: %v", err)
			}
		})
	}
	if _, err := rbac.NewKeySet(mustVerificationKey(t, k.hs), mustVerificationKey(t, k.hs)); !errors.Is(err, rbac.ErrInvalidKey) {
		t.Errorf("duplicate kid: %v", err)
	}
	signing := []struct {
		name string
		key  rbac.SigningKey
	}{
		{"rsa public as signing key", rbac.SigningKey{ID: "a", Algorithm: "RS256", Material: &rk.PublicKey}},
		{"nil rsa", rbac.SigningKey{ID: "a", Algorithm: "RS256", Material: (*rsa.PrivateKey)(nil)}},
		{"ecdsa public as signing key", rbac.SigningKey{ID: "a", Algorithm: "ES256", Material: &p384.PublicKey}},
		{"ed25519 public as signing key", rbac.SigningKey{ID: "a", Algorithm: "EdDSA", Material: edPriv.Public()}},
	}
	for _, c := range signing {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.key.VerificationKey(); !errors.Is(err, rbac.ErrInvalidKey) {
				t.Errorf("VerificationKey: %v", err)
			}
			if _, err := rbac.Mint(c.key, claims(rbac.Admin)); !errors.Is(err, rbac.ErrInvalidKey) {
				t.Errorf("Mint: %v", err)
			}
		})
	}
	var nilSet *rbac.KeySet
	if nilSet.Len() != 0 {
		t.Error("nil set has keys")
	}
}

func TestNewJWTSettings(t *testing.T) {
	ks, err := rbac.NewKeySet(mustVerificationKey(t, testKeys().hs))
	if err != nil {
		t.Fatal(err)
	}
	good := rbac.JWTSettings{Algorithms: []string{"HS256"}, Keys: ks, Issuer: "i", Audience: "a"}
	cases := []struct {
		name string
		edit func(*rbac.JWTSettings)
	}{
		{"no algorithms", func(s *rbac.JWTSettings) { s.Algorithms = nil }},
		{"none algorithm", func(s *rbac.JWTSettings) { s.Algorithms = []string{"HS256", "none"} }},
		{"no keys", func(s *rbac.JWTSettings) { s.Keys = nil }},
		{"empty keys", func(s *rbac.JWTSettings) { s.Keys = &rbac.KeySet{} }},
		{"key algorithm not allowed", func(s *rbac.JWTSettings) { s.Algorithms = []string{"EdDSA"} }},
		{"no issuer", func(s *rbac.JWTSettings) { s.Issuer = "" }},
		{"no audience", func(s *rbac.JWTSettings) { s.Audience = "" }},
		{"leeway too large", func(s *rbac.JWTSettings) { s.Leeway = 3 * time.Minute }},
		{"negative leeway", func(s *rbac.JWTSettings) { s.Leeway = -time.Second }},
		{"negative lifetime", func(s *rbac.JWTSettings) { s.MaxLifetime = -time.Second }},
		{"header cap too small", func(s *rbac.JWTSettings) { s.MaxHeaderBytes = 100 }},
		{"realm with quote", func(s *rbac.JWTSettings) { s.Realm = `a"b` }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := good
			c.edit(&s)
			if a, err := rbac.NewJWT(s); !errors.Is(err, rbac.ErrInvalidSettings) || a != nil {
				t.Fatalf("NewJWT = %v, %v; want ErrInvalidSettings", a, err)
			}
		})
	}
	s := good
	s.Realm, s.Leeway, s.MaxLifetime, s.MaxHeaderBytes = "platform", time.Minute, time.Hour, 1024
	a, err := rbac.NewJWT(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Challenge(); got != `Bearer realm="platform"` {
		t.Errorf("Challenge = %q", got)
	}
}

func TestJWTVerifyAndLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := testKeys()
		ks, err := rbac.NewKeySet(mustVerificationKey(t, k.ed))
		if err != nil {
			t.Fatal(err)
		}
		a, err := rbac.NewJWT(rbac.JWTSettings{Algorithms: []string{"EdDSA"}, Keys: ks, Issuer: testIssuer,
			Audience: testAudience, Leeway: 30 * time.Second, MaxLifetime: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		c := claims(rbac.Developer)
		c.NotBefore = time.Now()
		tok := mint(t, k.ed, c)
		p, err := a.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		want := rbac.Principal{Subject: "user-1", Role: rbac.Developer, TokenID: "jti-1", Method: rbac.MethodJWT, Expires: c.Expires.Truncate(time.Second)}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("principal (-want +got):\n%s", diff)
		}
		// Within the leeway after exp the token still works; after it, it does not.
		time.Sleep(time.Hour + 20*time.Second)
		if _, err := a.Verify(tok); err != nil {
			t.Errorf("within leeway: %v", err)
		}
		time.Sleep(20 * time.Second)
		var ae *rbac.AuthError
		if _, err := a.Verify(tok); !errors.As(err, &ae) || ae.Reason != rbac.ReasonExpired {
			t.Errorf("after leeway: %v", err)
		}
		if strings.Contains(ae.Error(), tok) || ae.Error() != "rbac: credential rejected: expired" {
			t.Errorf("error text %q", ae.Error())
		}
		long := claims(rbac.Developer)
		long.Expires = time.Now().Add(3 * time.Hour)
		if _, err := a.Verify(mint(t, k.ed, long)); !errors.As(err, &ae) || ae.Reason != rbac.ReasonInvalidClaims {
			t.Errorf("beyond MaxLifetime: %v", err)
		}
	})
}

func TestJWTKeyRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		old := rbac.SigningKey{ID: "k1", Algorithm: "HS256", Material: bytes.Repeat([]byte{1}, 32)}
		next := rbac.SigningKey{ID: "k2", Algorithm: "HS256", Material: bytes.Repeat([]byte{2}, 32)}
		set1, err := rbac.NewKeySet(mustVerificationKey(t, old))
		if err != nil {
			t.Fatal(err)
		}
		both, err := rbac.NewKeySet(mustVerificationKey(t, old), mustVerificationKey(t, next))
		if err != nil {
			t.Fatal(err)
		}
		set2, err := rbac.NewKeySet(mustVerificationKey(t, next))
		if err != nil {
			t.Fatal(err)
		}
		a, err := rbac.NewJWT(rbac.JWTSettings{Algorithms: []string{"HS256"}, Keys: set1, Issuer: testIssuer, Audience: testAudience})
		if err != nil {
			t.Fatal(err)
		}
		t1, t2 := mint(t, old, claims(rbac.Admin)), mint(t, next, claims(rbac.Admin))
		// Verify concurrently while rotating: each verification sees one whole set.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 50 {
					if _, err := a.Verify(t1); err != nil {
						var ae *rbac.AuthError
						if !errors.As(err, &ae) || ae.Reason != rbac.ReasonUnknownKey {
							t.Errorf("old token during rotation: %v", err)
						}
					}
				}
			})
		}
		for _, ks := range []*rbac.KeySet{both, set2} {
			if err := a.SetKeys(ks); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if _, err := a.Verify(t2); err != nil {
			t.Errorf("new token after rotation: %v", err)
		}
		if _, err := a.Verify(t1); err == nil {
			t.Error("old token accepted after its key was removed")
		}
		if err := a.SetKeys(nil); !errors.Is(err, rbac.ErrInvalidSettings) {
			t.Errorf("SetKeys(nil): %v", err)
		}
		ed, err := rbac.NewKeySet(mustVerificationKey(t, testKeys().ed))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetKeys(ed); !errors.Is(err, rbac.ErrInvalidSettings) {
			t.Errorf("SetKeys with a disallowed algorithm: %v", err)
		}
	})
}

func TestMintErrors(t *testing.T) {
	k := testKeys().hs
	cases := []struct {
		name string
		edit func(*rbac.Claims)
	}{
		{"no subject", func(c *rbac.Claims) { c.Subject = "" }},
		{"no role", func(c *rbac.Claims) { c.Role = rbac.None }},
		{"bad role", func(c *rbac.Claims) { c.Role = rbac.Role(8) }},
		{"no issuer", func(c *rbac.Claims) { c.Issuer = "" }},
		{"no audience", func(c *rbac.Claims) { c.Audience = nil }},
		{"no expiry", func(c *rbac.Claims) { c.Expires = time.Time{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := claims(rbac.Admin)
			c.edit(&cl)
			if s, err := rbac.Mint(k, cl); err == nil || s != "" {
				t.Fatalf("Mint = %q, %v; want an error", s, err)
			}
		})
	}
	pss := rbac.SigningKey{ID: "p", Algorithm: "PS256", Material: testKeys().rs.Material}
	if _, err := rbac.Mint(pss, claims(rbac.Admin)); err != nil {
		t.Errorf("PS256 mint: %v", err)
	}
}
