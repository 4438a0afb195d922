package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/devskyy/devskyy/agent/agenthttp"
	"github.com/devskyy/devskyy/health"
	"github.com/devskyy/devskyy/internal/problem"
	"github.com/devskyy/devskyy/ledger"
	"github.com/devskyy/devskyy/rbac"
	"github.com/devskyy/devskyy/registry"
)

// Permissions of the platform's policy, each granted to a minimum role as in
// the seed's access table.
const (
	permAgentsRead     rbac.Permission = "agents:read"
	permAgentsExecute  rbac.Permission = "agents:execute"
	permModelsRead     rbac.Permission = "models:read"
	permModelsWrite    rbac.Permission = "models:write"
	permModelsActivate rbac.Permission = "models:activate"
	permLedgerRead     rbac.Permission = "ledger:read"
	permLedgerVerify   rbac.Permission = "ledger:verify"
	permMonitoringRead rbac.Permission = "monitoring:read"
)

const maxBodyBytes = 1 << 20

func (p *platform) buildRoutes() error {
	policy, err := rbac.NewPolicy(map[rbac.Permission]rbac.Role{
		permAgentsRead:     rbac.ReadOnly,
		permAgentsExecute:  rbac.APIUser,
		permModelsRead:     rbac.Admin,
		permModelsWrite:    rbac.Admin,
		permModelsActivate: rbac.Admin,
		permLedgerRead:     rbac.Admin,
		permLedgerVerify:   rbac.SuperAdmin,
		permMonitoringRead: rbac.Admin,
	})
	if err != nil {
		return err
	}
	p.mux, err = rbac.NewMux(rbac.Settings{Authenticator: p.auth, Policy: policy, OnDecision: p.onDecision})
	if err != nil {
		return err
	}
	ah, err := agenthttp.New(p.agents, agenthttp.Settings{Prefix: "/api/v1/agents", MaxBodyBytes: maxBodyBytes})
	if err != nil {
		return err
	}
	agentAccess := map[string]rbac.Access{http.MethodGet: permAgentsRead, http.MethodPost: permAgentsExecute}
	type route struct {
		pattern string
		access  rbac.Access
		h       http.Handler
	}
	var routes []route
	for _, r := range ah.Routes() {
		routes = append(routes, route{r.Method + " " + r.Pattern, agentAccess[r.Method], r.Handler})
	}
	routes = append(routes,
		route{"GET /api/v1/models", permModelsRead, http.HandlerFunc(p.listModels)},
		route{"GET /api/v1/models/{name}", permModelsRead, http.HandlerFunc(p.getModel)},
		route{"POST /api/v1/models/{name}/versions", permModelsWrite, http.HandlerFunc(p.registerModel)},
		route{"POST /api/v1/models/{name}/activate", permModelsActivate, http.HandlerFunc(p.activateModel)},
		route{"POST /api/v1/models/{name}/rollback", permModelsActivate, http.HandlerFunc(p.rollbackModel)},
		route{"GET /api/v1/ledger", permLedgerRead, http.HandlerFunc(p.queryLedger)},
		route{"GET /api/v1/ledger/groups", permLedgerRead, http.HandlerFunc(p.ledgerGroups)},
		route{"POST /api/v1/ledger/verify", permLedgerVerify, http.HandlerFunc(p.verifyLedger)},
		route{"GET /api/v1/monitoring/health", rbac.Public(), p.checker.Handler(health.GroupReady)},
		route{"GET /api/v1/monitoring/health/detailed", permMonitoringRead, verbose(p.checker.Handler(health.GroupReady))},
		route{"GET /api/v1/monitoring/metrics", permMonitoringRead, http.HandlerFunc(p.serveMetrics)},
		route{"GET /livez", rbac.Public(), p.checker.Handler(health.GroupLive)},
		route{"GET /readyz", rbac.Public(), p.checker.Handler(health.GroupReady)},
		route{"GET /startupz", rbac.Public(), p.checker.Handler(health.GroupStartup)},
	)
	for _, r := range routes {
		if err := p.mux.Handle(r.pattern, r.access, r.h); err != nil {
			return fmt.Errorf("platform: route %s: %w", r.pattern, err)
		}
	}
	return nil
}

// verbose asks the health handler for details; it still shows them only when
// the authorizer agrees.
func verbose(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		q := r2.URL.Query()
		q.Set("verbose", "1")
		r2.URL.RawQuery = q.Encode()
		h.ServeHTTP(w, r2)
	})
}

// handler wraps the mux: request ids, security headers, a body limit, panic
// recovery and request metrics, outermost first.
func (p *platform) handler() http.Handler {
	return p.requestID(p.secure(p.recoverPanics(p.mux)))
}

// requestID accepts a well-formed X-Request-ID or makes one, returns it and
// puts it in the context where the ledger finds it.
func (p *platform) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = ledger.NewID().String()
		}
		w.Header().Set("X-Request-ID", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ledger.WithRequestID(r.Context(), id)))
		p.metrics.request(rec.status)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// secure sets the API's security headers and caps request bodies.
func (p *platform) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics records a handler's panic, with its stack, in the ledger and
// answers 500 with the entry's id. http.ErrAbortHandler keeps unwinding.
func (p *platform) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			id := ledger.NewID()
			_, err := p.led.Record(r.Context(), ledger.Entry{ID: id, Type: "panic", Severity: ledger.SeverityCritical, Component: "http",
				Message: fmt.Sprintf("panic serving %s %s", r.Method, r.URL.Path), Stack: string(debug.Stack()),
				Attrs: []slog.Attr{slog.String("value", fmt.Sprint(v))}})
			if err != nil {
				p.log.Error("recording a panic failed", "err", err)
			}
			problem.Write(w, r, problem.Details{Status: http.StatusInternalServerError, ID: id.String()})
		}()
		next.ServeHTTP(w, r)
	})
}

// onDecision counts decisions and queues denials for the ledger without
// blocking the request.
func (p *platform) onDecision(ctx context.Context, d rbac.Decision) {
	if d.Allowed {
		return
	}
	p.metrics.denials.Add(1)
	e := ledger.Entry{Type: "rbac.denied", Severity: ledger.SeverityLow, Component: "rbac", RequestID: ledger.RequestIDFrom(ctx),
		Message: "access denied: " + string(d.Reason),
		Attrs: []slog.Attr{slog.String("route", d.Route), slog.String("required", d.Required), slog.String("subject", d.Subject),
			slog.String("role", d.Role.String()), slog.String("reason", string(d.Reason))}}
	p.denialsMu.RLock()
	defer p.denialsMu.RUnlock()
	if p.denialsClosed {
		p.metrics.denialsDropped.Add(1)
		return
	}
	select {
	case p.denials <- e:
	default:
		p.metrics.denialsDropped.Add(1)
	}
}

// maxDenialEntries is how many denials a second reach the ledger. The rest
// are counted in devskyy_rbac_denials_unrecorded_total, and the next
// recorded denial carries their number as "suppressed": a flood of
// unauthenticated requests neither fills the ledger nor pushes older
// entries out through its size retention.
const maxDenialEntries = 10

func (p *platform) recordDenials() {
	var sec int64
	var n, skipped int
	for e := range p.denials {
		if now := time.Now().Unix(); now != sec {
			sec, n = now, 0
		}
		if n >= maxDenialEntries {
			skipped++
			p.metrics.denialsDropped.Add(1)
			continue
		}
		n++
		if skipped > 0 {
			e.Attrs = append(e.Attrs, slog.Int("suppressed", skipped))
			skipped = 0
		}
		if _, err := p.led.Record(context.Background(), e); err != nil && !errors.Is(err, ledger.ErrClosed) {
			p.log.Error("recording a denial failed", "err", err)
		}
	}
}

// writeJSON sends v as a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		problem.Write(w, nil, problem.Details{Status: http.StatusInternalServerError})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// decodeJSON strictly decodes a small request body into v.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("the body is not a valid JSON document of the expected shape")
	}
	if dec.More() {
		return errors.New("the body has trailing data")
	}
	return nil
}

func badRequest(w http.ResponseWriter, r *http.Request, detail string) {
	problem.Write(w, r, problem.Details{Status: http.StatusBadRequest, Detail: detail, ID: ledger.RequestIDFrom(r.Context())})
}

// modelError answers a registry error: client mistakes by kind, anything
// else as a generic failure recorded in the ledger.
func (p *platform) modelError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *registry.ActivationError
	switch {
	case errors.Is(err, registry.ErrNotFound):
		problem.Write(w, r, problem.Details{Status: http.StatusNotFound, Detail: "no such model or version"})
		return
	case errors.Is(err, registry.ErrImmutable), errors.Is(err, registry.ErrConflict):
		problem.Write(w, r, problem.Details{Status: http.StatusConflict, Detail: "the version or alias changed; reload and retry"})
		return
	case errors.As(err, &ae):
		id := p.recordFailure(r, "model.activation", err)
		problem.Write(w, r, problem.Details{Status: http.StatusUnprocessableEntity, Detail: "the version failed its " + ae.Step + " step; the previous version keeps serving", ID: id})
		return
	case errors.Is(err, registry.ErrInvalid), errors.Is(err, registry.ErrInvalidArtifact):
		badRequest(w, r, "the model, version or artifact is not valid")
		return
	}
	problem.Write(w, r, problem.Details{Status: http.StatusInternalServerError, ID: p.recordFailure(r, "model.error", err)})
}

func (p *platform) recordFailure(r *http.Request, typ string, err error) string {
	id := ledger.NewID()
	if _, rerr := p.led.Record(r.Context(), ledger.Entry{ID: id, Type: typ, Severity: ledger.SeverityHigh, Component: "http",
		Message: err.Error(), Attrs: []slog.Attr{slog.String("route", r.Pattern)}}); rerr != nil {
		p.log.Error("recording a failure failed", "err", rerr)
	}
	return id.String()
}

func who(r *http.Request) string {
	if pr, ok := rbac.PrincipalFrom(r.Context()); ok {
		return pr.Subject
	}
	return ""
}

func (p *platform) listModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.models.Search(registry.Query{}))
}

func (p *platform) getModel(w http.ResponseWriter, r *http.Request) {
	m, err := p.models.Model(r.PathValue("name"))
	if err != nil {
		p.modelError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (p *platform) registerModel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Version  string            `json:"version"`
		Artifact string            `json:"artifact"`
		Tags     []string          `json:"tags"`
		Metadata map[string]string `json:"metadata"`
	}
	if err := decodeJSON(r, &body); err != nil {
		badRequest(w, r, err.Error())
		return
	}
	v, err := p.models.Register(r.Context(), registry.Registration{Model: r.PathValue("name"), Version: body.Version,
		Artifact: body.Artifact, Tags: body.Tags, Metadata: body.Metadata, Who: who(r)})
	if err != nil {
		p.modelError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (p *platform) activateModel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Version string `json:"version"`
		Why     string `json:"why"`
	}
	if err := decodeJSON(r, &body); err != nil {
		badRequest(w, r, err.Error())
		return
	}
	name := r.PathValue("name")
	if err := p.models.Activate(r.Context(), name, body.Version, registry.Change{Who: who(r), Why: body.Why}); err != nil {
		p.modelError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"model": name, "active": body.Version})
}

func (p *platform) rollbackModel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To  string `json:"to"`
		Why string `json:"why"`
	}
	if err := decodeJSON(r, &body); err != nil {
		badRequest(w, r, err.Error())
		return
	}
	name := r.PathValue("name")
	active, err := p.models.Rollback(r.Context(), name, body.To, registry.Change{Who: who(r), Why: body.Why})
	if err != nil {
		p.modelError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"model": name, "active": active})
}

// ledgerFilter reads the package's filters from the query string.
func ledgerFilter(r *http.Request) (ledger.Filter, int, error) {
	q := r.URL.Query()
	f := ledger.Filter{Type: q.Get("type"), Component: q.Get("component"), RequestID: q.Get("request_id"), RunID: q.Get("run_id"), Fingerprint: q.Get("fingerprint")}
	var err error
	if s := q.Get("since"); s != "" {
		if f.Since, err = time.Parse(time.RFC3339, s); err != nil {
			return f, 0, errors.New("since must be an RFC 3339 time")
		}
	}
	if s := q.Get("until"); s != "" {
		if f.Until, err = time.Parse(time.RFC3339, s); err != nil {
			return f, 0, errors.New("until must be an RFC 3339 time")
		}
	}
	if s := q.Get("min_severity"); s != "" {
		if err := f.MinSeverity.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
			return f, 0, errors.New("min_severity must be one of INFO, LOW, MEDIUM, HIGH, CRITICAL")
		}
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 1000 {
			return f, 0, errors.New("limit must be an integer from 1 to 1000")
		}
	}
	return f, limit, nil
}

func (p *platform) queryLedger(w http.ResponseWriter, r *http.Request) {
	f, limit, err := ledgerFilter(r)
	if err != nil {
		badRequest(w, r, err.Error())
		return
	}
	entries := []entryView{}
	for e, err := range p.led.Query(r.Context(), f) {
		if err != nil {
			problem.Write(w, r, problem.Details{Status: http.StatusInternalServerError, ID: p.recordFailure(r, "ledger.query", err)})
			return
		}
		entries = append(entries, viewOf(e))
		if len(entries) > limit {
			entries = entries[1:] // keep the newest
		}
	}
	writeJSON(w, http.StatusOK, entries)
}

func (p *platform) ledgerGroups(w http.ResponseWriter, r *http.Request) {
	f, _, err := ledgerFilter(r)
	if err != nil {
		badRequest(w, r, err.Error())
		return
	}
	groups, err := p.led.Groups(r.Context(), f)
	if err != nil {
		problem.Write(w, r, problem.Details{Status: http.StatusInternalServerError, ID: p.recordFailure(r, "ledger.groups", err)})
		return
	}
	writeJSON(w, http.StatusOK, groups)
}

func (p *platform) verifyLedger(w http.ResponseWriter, r *http.Request) {
	rep, err := p.led.Verify(r.Context())
	if err != nil {
		id := p.recordFailure(r, "ledger.verify", err)
		writeJSON(w, http.StatusConflict, map[string]any{"ok": false, "id": id})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "report": rep})
}

// entryView is the JSON form of a ledger entry in the API.
type entryView struct {
	ID          string          `json:"id"`
	Seq         uint64          `json:"seq"`
	Time        time.Time       `json:"time"`
	Severity    ledger.Severity `json:"severity"`
	Type        string          `json:"type"`
	Message     string          `json:"message"`
	Component   string          `json:"component,omitempty"`
	RequestID   string          `json:"request_id,omitempty"`
	RunID       string          `json:"run_id,omitempty"`
	Fingerprint string          `json:"fingerprint"`
	Attrs       map[string]any  `json:"attrs,omitempty"`
	Stack       string          `json:"stack,omitempty"`
	Redactions  int             `json:"redactions,omitempty"`
}

func viewOf(e ledger.Entry) entryView {
	v := entryView{ID: e.ID.String(), Seq: e.Seq, Time: e.Time, Severity: e.Severity, Type: e.Type, Message: e.Message,
		Component: e.Component, RequestID: e.RequestID, RunID: e.RunID, Fingerprint: e.Fingerprint, Stack: e.Stack, Redactions: e.Redactions}
	if len(e.Attrs) > 0 {
		v.Attrs = attrMap(e.Attrs)
	}
	return v
}

func attrMap(as []slog.Attr) map[string]any {
	m := make(map[string]any, len(as))
	for _, a := range as {
		if a.Value.Kind() == slog.KindGroup {
			m[a.Key] = attrMap(a.Value.Group())
			continue
		}
		m[a.Key] = a.Value.Resolve().Any()
	}
	return m
}
