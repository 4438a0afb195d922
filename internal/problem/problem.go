// Package problem writes RFC 9457 problem documents
// (application/problem+json), the error body shared by every HTTP surface of
// the SDK.
//
// A problem sent to a remote caller carries generic text only. Details that
// would expose internals (error strings, stack traces, configuration values)
// never belong in a [Details]; put them in the ledger and send the ledger or
// execution id in [Details.ID] instead.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// Details is an RFC 9457 problem document. The zero value is not useful:
// Status must be set. Fields left empty are omitted from the body, except
// Type, which defaults to "about:blank", and Title, which defaults to the
// status text.
type Details struct {
	// Type is a URI reference identifying the problem type. Default "about:blank".
	Type string `json:"type"`
	// Title is a short, human-readable, generic summary. Default: http.StatusText(Status).
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail is an explanation specific to this occurrence. It must be safe to
	// show to the caller.
	Detail string `json:"detail,omitempty"`
	// Instance is a URI reference identifying this occurrence.
	Instance string `json:"instance,omitempty"`
	// ID finds the full record of this occurrence (a ledger, request or
	// execution id). An extension member.
	ID string `json:"id,omitempty"`
	// RetryAfter, when positive, is also sent as the Retry-After header in
	// whole seconds (rounded up by the caller). An extension member.
	RetryAfter int `json:"retry_after,omitempty"`
}

// Write sends p as the response: status, problem+json content type,
// nosniff, no-store and, when RetryAfter is positive, Retry-After. A HEAD
// request gets the headers without a body.
func Write(w http.ResponseWriter, r *http.Request, p Details) {
	if p.Status < 100 || p.Status > 999 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: only strings and ints
		body = []byte(`{"type":"about:blank","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(append(body, '\n'))
}
