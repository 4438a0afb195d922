package health

import (
	"context"
	"net/http"
	"strings"

	"github.com/devskyy/devskyy/internal/problem"
)

// ContentType is the media type of the default response format, from the
// IETF draft "Health Check Response Format for HTTP APIs".
const ContentType = "application/health+json"

// headerValues are the header values the handlers assign without
// allocating. They are shared by every response of a Checker and must not
// be modified by middleware (replace them with Header().Set instead).
type headerValues struct {
	json, text, noStore, nosniff []string
}

func newHeaderValues() headerValues {
	return headerValues{
		json:    []string{ContentType},
		text:    []string{"text/plain; charset=utf-8"},
		noStore: []string{"no-store"},
		nosniff: []string{"nosniff"},
	}
}

// Handler returns the probe handler of a group: [GroupLive],
// [GroupReady], [GroupStartup] or a named group. It panics if there is no
// such group, like [http.ServeMux.Handle] on a bad pattern.
//
// The handler answers GET and HEAD with 200 when the group passes or warns,
// 503 when it fails or is unknown, Cache-Control: no-store, and a body
// encoded once per state change: application/health+json unless the Accept
// header starts with text/plain. The body holds the status only, unless the
// request asks ?verbose and [Settings.Authorize] allows it: then it holds
// every check, with outputs and timings. Each ?exclude=NAME (repeatable)
// leaves a check out of the group for this request. Other methods get 405.
//
// Served from the snapshot with no query, a probe takes no lock and
// allocates nothing; a group with OnDemand or Stale members refreshes them
// first when one has gone stale.
func (c *Checker) Handler(group string) http.Handler {
	gi, ok := c.groupIdx[group]
	if !ok {
		panic("health: no group " + group)
	}
	return &groupHandler{c: c, gi: gi, name: group}
}

// CheckHandler returns the handler of the per-check paths of a group, to
// be registered on a pattern with a {check} wildcard, e.g.
// "GET /readyz/{check}". It reports that one check's own status (an
// optional check's failure is a 503 here) and 404 for a check that is not
// in the group. Query and format are as for [Checker.Handler].
func (c *Checker) CheckHandler(group string) http.Handler {
	gi, ok := c.groupIdx[group]
	if !ok {
		panic("health: no group " + group)
	}
	return &groupHandler{c: c, gi: gi, name: group, perCheck: true}
}

// Mount registers the probes on mux under prefix (which may be empty):
// GET prefix/livez, /readyz and /startupz, every named group at
// prefix/health/NAME, and each with a /{check} sub-path.
func (c *Checker) Mount(mux *http.ServeMux, prefix string) {
	prefix = strings.TrimSuffix(prefix, "/")
	for _, g := range c.groups {
		var path string
		switch g.name {
		case GroupLive:
			path = "/livez"
		case GroupReady:
			path = "/readyz"
		case GroupStartup:
			path = "/startupz"
		default:
			path = "/health/" + g.name
		}
		mux.Handle("GET "+prefix+path, c.Handler(g.name))
		mux.Handle("GET "+prefix+path+"/{check}", c.CheckHandler(g.name))
	}
}

type groupHandler struct {
	c        *Checker
	gi       int
	name     string
	perCheck bool
}

func (h *groupHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem.Write(w, r, problem.Details{Status: http.StatusMethodNotAllowed})
		return
	}
	if h.perCheck {
		h.serveCheck(w, r)
		return
	}
	c := h.c
	s := c.snap.Load()
	g := &s.groups[h.gi]
	if g.stale {
		c.refreshMembers(r.Context(), c.groups[h.gi].members, s)
		s = c.snap.Load()
		g = &s.groups[h.gi]
	}
	text := wantsText(r)
	if r.URL.RawQuery == "" {
		c.write(w, r, g.code, g.bodies[variant(text, false)], text)
		return
	}
	q := r.URL.Query()
	verbose := q.Has("verbose") && c.set.Authorize != nil && c.set.Authorize(r)
	excl := q["exclude"]
	if len(excl) == 0 {
		c.write(w, r, g.code, g.bodies[variant(text, verbose)], text)
		return
	}
	exclude := make(map[string]bool, len(excl))
	for _, e := range excl {
		exclude[e] = true
	}
	members := c.groups[h.gi].members
	status, output := c.groupStatus(h.name, s, members, exclude)
	if h.name == GroupStartup && g.status == StatusPass && status != StatusPass {
		status, output = StatusPass, "" // latched
	}
	if !verbose {
		s, members = nil, nil
	}
	var body []byte
	if text {
		if verbose {
			body = encodeText(h.name, status, output, s, members, exclude)
		} else {
			body = []byte(status.String() + "\n")
		}
	} else {
		body = encodeJSON(status, output, s, members, exclude)
	}
	c.write(w, r, status.httpCode(), body, text)
}

func (h *groupHandler) serveCheck(w http.ResponseWriter, r *http.Request) {
	c := h.c
	i, ok := c.byName[r.PathValue("check")]
	members := c.groups[h.gi].members
	if !ok || !containsInt(members, i) {
		problem.Write(w, r, problem.Details{Status: http.StatusNotFound, Detail: "no such check in this group"})
		return
	}
	s := c.snap.Load()
	if s.checks[i].stale {
		c.refreshMembers(r.Context(), []int{i}, s)
		s = c.snap.Load()
	}
	cv := &s.checks[i]
	text := wantsText(r)
	verbose := r.URL.Query().Has("verbose") && c.set.Authorize != nil && c.set.Authorize(r)
	var body []byte
	switch {
	case text && verbose:
		body = appendTextLine(nil, cv)
	case text:
		body = []byte(cv.status.String() + "\n")
	case verbose:
		body = encodeJSON(cv.status, checkOutput(cv), s, []int{i}, nil)
	default:
		body = encodeJSON(cv.status, "", nil, nil, nil)
	}
	c.write(w, r, cv.status.httpCode(), body, text)
}

// refreshMembers refreshes the stale OnDemand and Stale checks among
// members and waits, at most until ctx is done, for those a probe must wait
// for: OnDemand ones, and Stale ones that have never produced a result.
func (c *Checker) refreshMembers(ctx context.Context, members []int, s *snapshot) {
	var waits []<-chan struct{}
	for _, m := range members {
		cv := &s.checks[m]
		if !cv.stale {
			continue
		}
		ch := c.refresh(c.checks[m], false)
		if cv.mode == OnDemand || cv.runs == 0 {
			waits = append(waits, ch)
		}
	}
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func variant(text, verbose bool) int {
	switch {
	case text && verbose:
		return bodyTextVerbose
	case text:
		return bodyText
	case verbose:
		return bodyJSONVerbose
	default:
		return bodyJSON
	}
}

// wantsText reports whether the request prefers plain text.
func wantsText(r *http.Request) bool {
	// The server canonicalises header keys: index the map directly rather
	// than canonicalising "Accept" again on every probe.
	a := r.Header["Accept"]
	return len(a) > 0 && strings.HasPrefix(a[0], "text/plain")
}

// write sends a response without allocating: the header values are shared
// slices.
func (c *Checker) write(w http.ResponseWriter, r *http.Request, code int, body []byte, text bool) {
	h := w.Header()
	if text {
		h["Content-Type"] = c.headers.text
	} else {
		h["Content-Type"] = c.headers.json
	}
	h["Cache-Control"] = c.headers.noStore
	h["X-Content-Type-Options"] = c.headers.nosniff
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
