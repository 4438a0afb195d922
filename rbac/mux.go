package rbac

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/devskyy/devskyy/internal/problem"
)

// ErrInvalidRoute reports a pattern that http.ServeMux refuses (malformed,
// or conflicting with a registered one), or a nil handler.
var ErrInvalidRoute = errors.New("rbac: invalid route")

// Route is one row of a [Mux]'s route table.
type Route struct {
	// Method is the pattern's method, or "" for a pattern that matches
	// every method. A GET route also serves HEAD, as in http.ServeMux.
	Method string `json:"method"`
	// Pattern is the host and path part of the pattern, "/api/v1/agents/{id}".
	Pattern string `json:"pattern"`
	// Access is "public", "role:<role>" or "permission:<name>".
	Access string `json:"access"`
	// MinRole is the lowest role let through; None for a public route.
	MinRole Role `json:"min_role"`
}

// Mux is an http.ServeMux (Go 1.22 patterns) on which every route states
// its access. [Mux.Handle] refuses a route without an [Access] or with a
// permission the policy does not define, so no endpoint is unprotected by
// omission. The check is bound to the route's handler: whatever path the
// request used, the handler that runs is guarded by its own route's
// access, so path variants ("//admin", "/admin/", "/%2e%2e/admin",
// "/ADMIN") cannot reach a handler without its check. http.ServeMux cleans
// paths by redirecting; requests that match no route get 404 or 405 (with
// Allow) as RFC 9457 problems and a "no_route" decision.
//
// Create it with [NewMux]; the zero value is not usable. It is safe for
// concurrent use, including registering while serving.
type Mux struct {
	g     *Guard
	inner *http.ServeMux

	mu     sync.Mutex // guards routes
	routes []Route
}

// NewMux validates s and returns an empty mux.
func NewMux(s Settings) (*Mux, error) {
	g, err := NewGuard(s)
	if err != nil {
		return nil, err
	}
	return &Mux{g: g, inner: http.NewServeMux()}, nil
}

// Handle registers h for pattern (http.ServeMux syntax, such as
// "GET /api/v1/agents/{id}") behind access a: a [Role], a [Permission]
// or [Public]. It returns [ErrNoAccess] when a is nil,
// [ErrUnknownPermission] or [ErrInvalidRole] when a cannot be met, and
// [ErrInvalidRoute] for a nil handler or a pattern that http.ServeMux
// rejects; nothing is registered then.
func (m *Mux) Handle(pattern string, a Access, h http.Handler) error {
	gh, err := m.g.handler(a, pattern)
	if err != nil {
		return fmt.Errorf("%w (route %q)", err, pattern)
	}
	if h == nil {
		return fmt.Errorf("%w: %q has a nil handler", ErrInvalidRoute, pattern)
	}
	gh.next = h
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := register(m.inner, pattern, gh); err != nil {
		return err
	}
	method, rest := splitPattern(pattern)
	m.routes = append(m.routes, Route{Method: method, Pattern: rest, Access: gh.access, MinRole: gh.req})
	return nil
}

// register turns http.ServeMux's registration panic into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrInvalidRoute, v)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// splitPattern separates the method from the rest, as http.ServeMux does.
func splitPattern(p string) (method, rest string) {
	i := strings.IndexAny(p, " \t")
	if i < 0 {
		return "", p
	}
	return p[:i], strings.TrimLeft(p[i+1:], " \t")
}

// HandleFunc is [Mux.Handle] for a function.
func (m *Mux) HandleFunc(pattern string, a Access, f func(http.ResponseWriter, *http.Request)) error {
	if f == nil {
		return fmt.Errorf("%w: %q has a nil handler", ErrInvalidRoute, pattern)
	}
	return m.Handle(pattern, a, http.HandlerFunc(f))
}

// Routes returns the route table sorted by pattern, then method, for
// documentation and audit.
func (m *Mux) Routes() []Route {
	m.mu.Lock()
	rs := slices.Clone(m.routes)
	m.mu.Unlock()
	slices.SortFunc(rs, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Pattern, b.Pattern), strings.Compare(a.Method, b.Method))
	})
	return rs
}

// ServeHTTP dispatches r to its route's guarded handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pat := m.inner.Handler(r); pat == "" {
		m.g.report(r.Context(), &Decision{Method: methodName(r.Method), Reason: ReasonNoRoute})
		w = &missWriter{ResponseWriter: w, r: r}
	}
	m.inner.ServeHTTP(w, r)
}

// missWriter turns http.ServeMux's plain-text 404 and 405 into problems,
// keeping the Allow header; redirects pass through.
type missWriter struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool
}

func (w *missWriter) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		w.swallow = true
		h := w.Header()
		h.Del("Content-Type")
		problem.Write(w.ResponseWriter, w.r, problem.Details{Status: code})
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *missWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
