package problem_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/devskyy/devskyy/internal/problem"
	"github.com/google/go-cmp/cmp"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		in         problem.Details
		wantStatus int
		wantBody   map[string]any
		wantRetry  string
	}{
		{
			name:       "defaults",
			method:     http.MethodGet,
			in:         problem.Details{Status: http.StatusNotFound},
			wantStatus: 404,
			wantBody:   map[string]any{"type": "about:blank", "title": "Not Found", "status": 404.0},
		},
		{
			name:       "all fields",
			method:     http.MethodPost,
			in:         problem.Details{Type: "urn:x", Title: "t", Status: 503, Detail: "d", Instance: "/i", ID: "abc", RetryAfter: 7},
			wantStatus: 503,
			wantBody:   map[string]any{"type": "urn:x", "title": "t", "status": 503.0, "detail": "d", "instance": "/i", "id": "abc", "retry_after": 7.0},
			wantRetry:  "7",
		},
		{
			name:       "invalid status becomes 500",
			method:     http.MethodGet,
			in:         problem.Details{Status: 42},
			wantStatus: 500,
			wantBody:   map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0},
		},
		{
			name:       "head has no body",
			method:     http.MethodHead,
			in:         problem.Details{Status: 401},
			wantStatus: 401,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			problem.Write(rec, httptest.NewRequest(tt.method, "/", nil), tt.in)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != problem.ContentType {
				t.Errorf("content type = %q", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("nosniff = %q", got)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if tt.wantBody == nil {
				if rec.Body.Len() != 0 {
					t.Errorf("body = %q, want empty", rec.Body.String())
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteNilRequest(t *testing.T) {
	rec := httptest.NewRecorder()
	problem.Write(rec, nil, problem.Details{Status: 400})
	if rec.Code != 400 || rec.Body.Len() == 0 {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func ExampleWrite() {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/agents/x", nil)
	problem.Write(rec, req, problem.Details{Status: http.StatusServiceUnavailable, ID: "01J0", RetryAfter: 30})
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"))
	fmt.Print(rec.Body.String())
	// Output:
	// 503 30
	// {"type":"about:blank","title":"Service Unavailable","status":503,"id":"01J0","retry_after":30}
}
