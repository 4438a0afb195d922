// Package agenthttp exposes an [agent.Registry] over HTTP: list the
// agents, describe one, execute one, and check one's health. Errors are RFC
// 9457 problem documents rendered from the agent error kinds; a remote
// caller sees only public messages and the execution id that finds the
// ledger entry, never an internal error text.
//
// # Routes
//
// Each route is its own http.Handler so that an authorising mux (package
// rbac) can guard each with its own role. [Handler.Routes] lists them with
// their Go 1.22 patterns; register each pattern as given, since the
// handlers read the {name} path value:
//
//	GET  /agents                list: name, kind, capabilities, status
//	GET  /agents/{name}         describe: info, schemas, status
//	POST /agents/{name}/run     execute with a JSON body, answer JSON
//	GET  /agents/{name}/health  application/health+json, 503 when failing
//
// A [Handler] is itself an http.Handler serving every route, for hosts
// that guard the whole prefix at once.
//
// # Execution
//
// The body of a run is capped (MaxBodyBytes, default 1 MiB; more is 413),
// must be JSON when a Content-Type is given (else 415), and is decoded
// strictly by [agent.Registry.RunJSON]: unknown fields and trailing data are
// 400. The request context is the execution's context: a client that
// disconnects cancels the execution. The request id for the ledger is taken
// from the context ([ledger.WithRequestID]) or, when absent, from the
// X-Request-Id header when it is a short token.
//
// A Handler is safe for concurrent use; its zero value is not usable.
package agenthttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/internal/problem"
	"github.com/devskyy/devskyy/ledger"
)

// Settings configure a [Handler]. The zero value means the defaults.
type Settings struct {
	// Prefix is the path prefix of the routes, without a trailing slash.
	// Default "/agents".
	Prefix string
	// MaxBodyBytes caps a run's request body. Default 1 MiB.
	MaxBodyBytes int64
}

// Route is one route: a method, a Go 1.22 mux pattern (without the
// method) and its handler, a plain value.
type Route struct {
	Method  string
	Pattern string
	Handler http.Handler
}

// Handler serves a registry over HTTP. Build it with [New]; the zero
// value is not usable. It is safe for concurrent use.
type Handler struct {
	reg    *agent.Registry
	prefix string
	max    int64
	mux    *http.ServeMux
}

// New returns the HTTP handlers of reg.
func New(reg *agent.Registry, s Settings) (*Handler, error) {
	if reg == nil {
		return nil, errors.New("agenthttp: nil registry")
	}
	if s.MaxBodyBytes < 0 {
		return nil, errors.New("agenthttp: negative MaxBodyBytes")
	}
	if s.Prefix == "" {
		s.Prefix = "/agents"
	}
	if !strings.HasPrefix(s.Prefix, "/") || strings.HasSuffix(s.Prefix, "/") || strings.ContainsAny(s.Prefix, "{} ") {
		return nil, fmt.Errorf("agenthttp: invalid prefix %q", s.Prefix)
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = 1 << 20
	}
	h := &Handler{reg: reg, prefix: s.Prefix, max: s.MaxBodyBytes, mux: http.NewServeMux()}
	for _, rt := range h.Routes() {
		h.mux.Handle(rt.Method+" "+rt.Pattern, rt.Handler)
	}
	return h, nil
}

// Routes returns the four routes, for registration one by one.
func (h *Handler) Routes() []Route {
	return []Route{
		{http.MethodGet, h.prefix, h.List()},
		{http.MethodGet, h.prefix + "/{name}", h.Describe()},
		{http.MethodPost, h.prefix + "/{name}/run", h.Execute()},
		{http.MethodGet, h.prefix + "/{name}/health", h.Health()},
	}
}

// ServeHTTP serves every route (405 and 404 come from http.ServeMux).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// List returns the handler listing every agent.
func (h *Handler) List() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type item struct {
			Name         string       `json:"name"`
			Kind         string       `json:"kind,omitempty"`
			Version      string       `json:"version,omitempty"`
			Description  string       `json:"description,omitempty"`
			Capabilities []string     `json:"capabilities,omitempty"`
			Status       agent.Status `json:"status"`
		}
		ds := h.reg.List()
		items := make([]item, len(ds))
		for i, d := range ds {
			items[i] = item{d.Name, d.Kind, d.Version, d.Description, d.Capabilities, d.Status}
		}
		writeJSON(w, r, http.StatusOK, "application/json", map[string]any{"agents": items})
	})
}

// Describe returns the handler describing one agent.
func (h *Handler) Describe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := h.name(r, "")
		d, ok := h.reg.Describe(name)
		if !ok {
			WriteError(w, r, &agent.Error{Kind: agent.KindNotFound})
			return
		}
		writeJSON(w, r, http.StatusOK, "application/json", d)
	})
}

// Health returns the handler checking one agent's health. It answers 200
// with status "pass" (idle, processing) or "warn" (degraded), and 503 with
// "fail" (error, disabled). The check's error is never sent. Every request
// runs the agent's own check: guard the route (rbac) or put a cache in front
// when checks are expensive.
func (h *Handler) Health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := h.name(r, "/health")
		st, err := h.reg.CheckHealth(r.Context(), name)
		if errors.Is(err, agent.KindNotFound) {
			WriteError(w, r, &agent.Error{Kind: agent.KindNotFound})
			return
		}
		verdict, code := "pass", http.StatusOK
		switch st {
		case agent.StatusDegraded:
			verdict = "warn"
		case agent.StatusError, agent.StatusDisabled:
			verdict, code = "fail", http.StatusServiceUnavailable
		}
		writeJSON(w, r, code, "application/health+json", map[string]string{
			"status": verdict, "serviceId": name, "description": st.String()})
	})
}

// response is the body of a successful run.
type response struct {
	ID         string          `json:"id,omitempty"`
	Outcome    agent.Outcome   `json:"outcome"`
	Attempts   int             `json:"attempts"`
	DurationMS float64         `json:"duration_ms"`
	Output     json.RawMessage `json:"output"`
}

// Execute returns the handler running one agent.
func (h *Handler) Execute() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := h.name(r, "/run")
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
				problem.Write(w, r, problem.Details{Status: http.StatusUnsupportedMediaType,
					Type: typePrefix + "unsupported-media-type", Detail: "the request body must be application/json"})
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.max))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				problem.Write(w, r, problem.Details{Status: http.StatusRequestEntityTooLarge,
					Type: typePrefix + "too-large", Detail: fmt.Sprintf("the request body exceeds %d bytes", h.max)})
				return
			}
			WriteError(w, r, &agent.Error{Kind: agent.KindCanceled, Err: err})
			return
		}
		ctx := r.Context()
		if ledger.RequestIDFrom(ctx) == "" {
			if id := r.Header.Get("X-Request-Id"); token(id) {
				ctx = ledger.WithRequestID(ctx, id)
			}
		}
		res := h.reg.RunJSON(ctx, name, body)
		if res.Err != nil {
			WriteError(w, r, res.Err)
			return
		}
		resp := response{Outcome: res.Outcome, Attempts: res.Attempts,
			DurationMS: float64(res.Duration) / float64(time.Millisecond), Output: res.Output}
		if !res.ID.IsZero() {
			resp.ID = res.ID.String()
		}
		writeJSON(w, r, http.StatusOK, "application/json", resp)
	})
}

// name returns the {name} path value, or parses it when the host's mux set
// none.
func (h *Handler) name(r *http.Request, suffix string) string {
	if n := r.PathValue("name"); n != "" {
		return n
	}
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, h.prefix+"/"), suffix)
	if strings.Contains(p, "/") {
		return ""
	}
	return p
}

// token reports whether s is a short id made of safe characters.
func token(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

const typePrefix = "urn:devskyy:problem:agent:"

var kindSlug = map[agent.Kind]string{
	agent.KindInternal: "internal", agent.KindInvalidInput: "invalid-input", agent.KindNotFound: "not-found",
	agent.KindDisabled: "disabled", agent.KindUnavailable: "unavailable", agent.KindBreakerOpen: "breaker-open",
	agent.KindOverloaded: "overloaded", agent.KindTimeout: "timeout", agent.KindCanceled: "canceled",
	agent.KindPanic: "internal", // a panic is nobody's business outside
}

// WriteError writes err as a problem document. Only the public message of
// an [*agent.Error] is sent, with its execution id; any other error is a
// generic 500. Unavailable, breaker-open and overloaded answers carry
// Retry-After (at least one second).
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *agent.Error
	if !errors.As(err, &ae) {
		ae = &agent.Error{Kind: agent.KindInternal}
	}
	slug, ok := kindSlug[ae.Kind]
	if !ok {
		slug = "internal"
	}
	d := problem.Details{Status: ae.Kind.HTTPStatus(), Type: typePrefix + slug, Detail: ae.PublicMessage()}
	if ae.Kind == agent.KindPanic {
		d.Detail = (&agent.Error{Kind: agent.KindInternal}).PublicMessage()
	}
	if !ae.ID.IsZero() {
		d.ID = ae.ID.String()
	}
	switch ae.Kind {
	case agent.KindUnavailable, agent.KindBreakerOpen, agent.KindOverloaded:
		d.RetryAfter = max(1, int(math.Ceil(ae.RetryAfter.Seconds())))
	}
	problem.Write(w, r, d)
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, ctype string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, r, &agent.Error{Kind: agent.KindInternal, Err: err})
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(b, '\n'))
	}
}
