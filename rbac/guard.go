package rbac

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/devskyy/devskyy/internal/problem"
)

// Settings configures [NewGuard] and [NewMux].
type Settings struct {
	// Authenticator checks credentials. Required; combine several with
	// [Chain].
	Authenticator Authenticator
	// Policy resolves [Permission] requirements. Default: an empty policy,
	// so that requiring any permission is an error at registration.
	Policy *Policy
	// OnDecision, when not nil, receives every decision, allowed or not,
	// synchronously on the request path before the response is written.
	// It must be safe for concurrent use and quick; hand slow work (a
	// ledger append) to a queue. A Decision never holds a credential.
	OnDecision func(context.Context, Decision)
	// Logger receives one Debug record per denial (never a credential).
	// Default nil: silent.
	Logger *slog.Logger
}

// Decision is the outcome of one access check, for audit and metrics. It
// never contains a token, key or Authorization header value.
type Decision struct {
	// Method is the request method; "OTHER" for a non-standard one.
	Method string
	// Route is the matched pattern, such as "GET /api/v1/agents/{id}";
	// "" when no route matched.
	Route string
	// Required describes the route's access: "role:admin",
	// "permission:agents:execute" or "public"; "" when no route matched.
	Required string
	// Subject, Role, TokenID and AuthMethod describe the authenticated
	// principal; they are zero when authentication did not succeed.
	Subject    string
	Role       Role
	TokenID    string
	AuthMethod AuthMethod
	// Allowed reports whether the request was let through.
	Allowed bool
	// Reason is why; one of the Reason constants.
	Reason Reason
}

// Guard enforces access on handlers: it authenticates, checks the role,
// reports the decision and stores the [Principal] in the request context.
// Denials get RFC 9457 problem bodies with generic text: 401 with
// WWW-Authenticate for missing or rejected credentials, 403 for a role too
// low, 503 when the authenticator itself fails. Every method, HEAD and
// OPTIONS included, is checked the same way.
//
// Create it with [NewGuard]; the zero value is not usable. A *Guard is
// immutable and safe for concurrent use. Most hosts use a [Mux], which
// makes a Guard for every route.
type Guard struct {
	auth      Authenticator
	policy    *Policy
	hook      func(context.Context, Decision)
	log       *slog.Logger
	challenge string
}

// NewGuard validates s and returns the guard.
func NewGuard(s Settings) (*Guard, error) {
	if s.Authenticator == nil {
		return nil, fmt.Errorf("%w: Authenticator is required", ErrInvalidSettings)
	}
	if s.Authenticator.Challenge() == "" {
		return nil, fmt.Errorf("%w: the authenticator has no WWW-Authenticate challenge", ErrInvalidSettings)
	}
	p := s.Policy
	if p == nil {
		p = &Policy{}
	}
	return &Guard{auth: s.Authenticator, policy: p, hook: s.OnDecision, log: s.Logger, challenge: s.Authenticator.Challenge()}, nil
}

// ErrNoAccess reports a route registered without an [Access].
var ErrNoAccess = errors.New("rbac: route has no access requirement")

// Require returns middleware that lets a request through only when it
// meets a. It fails with [ErrNoAccess] for a nil a, [ErrUnknownPermission]
// for a permission the policy lacks and [ErrInvalidRole] for a role that
// cannot be met. The decision's Route is the request's ServeMux pattern.
func (g *Guard) Require(a Access) (func(http.Handler) http.Handler, error) {
	gh, err := g.handler(a, "")
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		h := *gh
		h.next = next
		return &h
	}, nil
}

// handler resolves a into a guarded handler template without next.
func (g *Guard) handler(a Access, route string) (*guarded, error) {
	if a == nil {
		return nil, ErrNoAccess
	}
	req, public, err := a.resolve(g.policy)
	if err != nil {
		return nil, err
	}
	return &guarded{g: g, req: req, public: public, access: a.describe(), route: route}, nil
}

// guarded is one route's check in front of its handler.
type guarded struct {
	g      *Guard
	req    Role
	public bool
	access string
	route  string
	next   http.Handler
}

func (h *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Decision{Method: methodName(r.Method), Route: h.route, Required: h.access}
	if d.Route == "" {
		d.Route = r.Pattern
	}
	if h.public {
		d.Allowed, d.Reason = true, ReasonPublic
		h.g.report(r.Context(), &d)
		h.next.ServeHTTP(w, r)
		return
	}
	p, err := h.g.auth.Authenticate(r)
	if err != nil {
		var ae *AuthError
		switch {
		case errors.Is(err, ErrNoCredentials):
			d.Reason = ReasonMissingToken
		case errors.As(err, &ae):
			d.Reason = ae.Reason
		default:
			d.Reason = ReasonError
		}
		h.g.report(r.Context(), &d)
		if d.Reason == ReasonError {
			problem.Write(w, r, problem.Details{Status: http.StatusServiceUnavailable, Detail: "authentication is unavailable"})
			return
		}
		w.Header().Set("WWW-Authenticate", h.g.challenge)
		problem.Write(w, r, problem.Details{Status: http.StatusUnauthorized, Detail: "valid credentials are required"})
		return
	}
	d.Subject, d.Role, d.TokenID, d.AuthMethod = p.Subject, p.Role, p.TokenID, p.Method
	if !p.Role.Satisfies(h.req) {
		d.Reason = ReasonInsufficientRole
		h.g.report(r.Context(), &d)
		problem.Write(w, r, problem.Details{Status: http.StatusForbidden, Detail: "access denied"})
		return
	}
	d.Allowed, d.Reason = true, ReasonAllowed
	h.g.report(r.Context(), &d)
	h.next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
}

// report sends d to the hook and logs denials.
func (g *Guard) report(ctx context.Context, d *Decision) {
	if g.hook != nil {
		g.hook(ctx, *d)
	}
	if !d.Allowed && g.log != nil && g.log.Enabled(ctx, slog.LevelDebug) {
		g.log.LogAttrs(ctx, slog.LevelDebug, "rbac: access denied",
			slog.String("reason", string(d.Reason)),
			slog.String("method", d.Method),
			slog.String("route", d.Route),
			slog.String("required", d.Required),
			slog.String("subject", d.Subject),
			slog.String("role", d.Role.String()))
	}
}

// methodName returns m when it is a standard method and "OTHER" otherwise,
// so that request bytes of any shape never reach a decision or a log.
func methodName(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}
