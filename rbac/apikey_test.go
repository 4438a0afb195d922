package rbac_test

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/devskyy/devskyy/rbac"
	"github.com/google/go-cmp/cmp"
)

func TestAPIKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key, digest, err := rbac.NewAPIKey("ci-bot", bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key, "ci-bot.") || len(key) != len("ci-bot.")+43 {
			t.Fatalf("key format: %d bytes", len(key))
		}
		if digest != rbac.DigestAPIKey(key) {
			t.Fatal("digest mismatch")
		}
		other, otherDigest, err := rbac.NewAPIKey("old", nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := rbac.NewAPIKeys(rbac.APIKeySettings{Keys: []rbac.APIKey{
			{ID: "ci-bot", Digest: digest, Subject: "svc:ci", Role: rbac.APIUser},
			{ID: "old", Digest: otherDigest, Subject: "svc:old", Role: rbac.Admin, Expires: time.Now().Add(time.Minute)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			auth   string
			want   rbac.Principal
			reason rbac.Reason
		}{
			{"valid", "ApiKey " + key, rbac.Principal{Subject: "svc:ci", Role: rbac.APIUser, TokenID: "ci-bot", Method: rbac.MethodAPIKey}, ""},
			{"scheme case", "apikey " + key, rbac.Principal{Subject: "svc:ci", Role: rbac.APIUser, TokenID: "ci-bot", Method: rbac.MethodAPIKey}, ""},
			{"wrong secret", "ApiKey ci-bot." + strings.Repeat("A", 43), rbac.Principal{}, rbac.ReasonInvalidAPIKey},
			{"secret of another key", "ApiKey ci-bot." + strings.SplitN(other, ".", 2)[1], rbac.Principal{}, rbac.ReasonInvalidAPIKey},
			{"unknown id", "ApiKey nobody." + strings.Repeat("A", 43), rbac.Principal{}, rbac.ReasonInvalidAPIKey},
			{"no dot", "ApiKey cibot", rbac.Principal{}, rbac.ReasonMalformedToken},
			{"bad id", "ApiKey CI.x", rbac.Principal{}, rbac.ReasonMalformedToken},
			{"oversized", "ApiKey ci-bot." + strings.Repeat("A", 600), rbac.Principal{}, rbac.ReasonMalformedToken},
			{"bearer scheme", "Bearer " + key, rbac.Principal{}, ""},
		}
		for _, c := range cases {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", c.auth)
			p, err := a.Authenticate(r)
			var ae *rbac.AuthError
			switch {
			case c.name == "bearer scheme":
				if !errors.Is(err, rbac.ErrNoCredentials) {
					t.Errorf("%s: %v, want ErrNoCredentials", c.name, err)
				}
			case c.reason == "":
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
			case !errors.As(err, &ae) || ae.Reason != c.reason:
				t.Errorf("%s: %v, want %s", c.name, err, c.reason)
			}
			if diff := cmp.Diff(c.want, p); diff != "" {
				t.Errorf("%s: principal (-want +got):\n%s", c.name, diff)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "ApiKey "+other)
		if p, err := a.Authenticate(r); err != nil || p.Role != rbac.Admin {
			t.Fatalf("old key before expiry: %v, %v", p, err)
		}
		time.Sleep(time.Minute)
		var ae *rbac.AuthError
		if _, err := a.Authenticate(r); !errors.As(err, &ae) || ae.Reason != rbac.ReasonExpired {
			t.Errorf("old key after expiry: %v", err)
		}
		if err := a.SetKeys(nil); err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "ApiKey "+key)
		if _, err := a.Authenticate(r); !errors.As(err, &ae) || ae.Reason != rbac.ReasonInvalidAPIKey {
			t.Errorf("after removing all keys: %v", err)
		}
		if got := a.Challenge(); got != `ApiKey realm="api"` {
			t.Errorf("Challenge = %q", got)
		}
	})
}

func TestAPIKeySettings(t *testing.T) {
	d := rbac.DigestAPIKey("a.b")
	bad := []struct {
		name string
		s    rbac.APIKeySettings
		want error
	}{
		{"small header cap", rbac.APIKeySettings{MaxHeaderBytes: 10}, rbac.ErrInvalidSettings},
		{"negative header cap", rbac.APIKeySettings{MaxHeaderBytes: -1}, rbac.ErrInvalidSettings},
		{"realm with newline", rbac.APIKeySettings{Realm: "a\nb"}, rbac.ErrInvalidSettings},
		{"bad id", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "A B", Digest: d, Subject: "s", Role: rbac.Admin}}}, rbac.ErrInvalidKey},
		{"no subject", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "a", Digest: d, Role: rbac.Admin}}}, rbac.ErrInvalidKey},
		{"no role", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "a", Digest: d, Subject: "s"}}}, rbac.ErrInvalidRole},
		{"out of range role", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "a", Digest: d, Subject: "s", Role: 9}}}, rbac.ErrInvalidRole},
		{"no digest", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "a", Subject: "s", Role: rbac.Admin}}}, rbac.ErrInvalidKey},
		{"duplicate id", rbac.APIKeySettings{Keys: []rbac.APIKey{{ID: "a", Digest: d, Subject: "s", Role: rbac.Admin}, {ID: "a", Digest: d, Subject: "t", Role: rbac.Admin}}}, rbac.ErrInvalidKey},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if a, err := rbac.NewAPIKeys(c.s); !errors.Is(err, c.want) || a != nil {
				t.Fatalf("NewAPIKeys = %v, %v; want %v", a, err, c.want)
			}
		})
	}
	a, err := rbac.NewAPIKeys(rbac.APIKeySettings{Realm: "ops", MaxHeaderBytes: 256})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Challenge(); got != `ApiKey realm="ops"` {
		t.Errorf("Challenge = %q", got)
	}
	if _, _, err := rbac.NewAPIKey("Bad Id", nil); !errors.Is(err, rbac.ErrInvalidKey) {
		t.Errorf("NewAPIKey bad id: %v", err)
	}
	if _, _, err := rbac.NewAPIKey(strings.Repeat("a", 65), nil); !errors.Is(err, rbac.ErrInvalidKey) {
		t.Errorf("NewAPIKey long id: %v", err)
	}
	if _, _, err := rbac.NewAPIKey("ok", iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Error("NewAPIKey ignored a randomness failure")
	}
}
