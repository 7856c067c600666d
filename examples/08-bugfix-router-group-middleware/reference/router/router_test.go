package router

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// tag returns a middleware that records name in the X-Trace header.
func tag(name string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("X-Trace", name)
			next.ServeHTTP(w, r)
		})
	}
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

func trace(t *testing.T, h http.Handler, path string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, rec.Code)
	}
	return rec.Header().Values("X-Trace")
}

func TestGroups(t *testing.T) {
	r := New()
	r.Use(tag("recover"))
	api := r.Group("/api", tag("log"))
	api.HandleFunc("/status", ok)
	admin := api.Group("/admin", tag("auth"))
	admin.HandleFunc("/users", ok)
	r.HandleFunc("/health", ok)

	if got, want := trace(t, r, "/api/status"), []string{"recover", "log"}; !slices.Equal(got, want) {
		t.Errorf("/api/status trace = %v, want %v", got, want)
	}
	if got, want := trace(t, r, "/api/admin/users"), []string{"recover", "log", "auth"}; !slices.Equal(got, want) {
		t.Errorf("/api/admin/users trace = %v, want %v", got, want)
	}
	if got, want := trace(t, r, "/health"), []string{"recover"}; !slices.Equal(got, want) {
		t.Errorf("/health trace = %v, want %v", got, want)
	}
	if admin.Prefix() != "/api/admin" {
		t.Errorf("Prefix = %q", admin.Prefix())
	}
}

func TestWith(t *testing.T) {
	r := New()
	r.With(tag("slow")).HandleFunc("/report", ok)
	r.HandleFunc("/fast", ok)
	if got, want := trace(t, r, "/report"), []string{"slow"}; !slices.Equal(got, want) {
		t.Errorf("/report trace = %v, want %v", got, want)
	}
	if got := trace(t, r, "/fast"); len(got) != 0 {
		t.Errorf("/fast trace = %v, want none", got)
	}
}

func TestSiblingGroupsKeepTheirMiddleware(t *testing.T) {
	r := New()
	r.Use(tag("recover"), tag("reqid"))
	api := r.Group("/api", tag("log"))
	admin := api.Group("/admin", tag("auth"))
	public := api.Group("/public", tag("cache"))
	slow := api.With(tag("timeout"))
	admin.HandleFunc("/users", ok)
	public.HandleFunc("/docs", ok)
	slow.HandleFunc("/report", ok)
	api.HandleFunc("/status", ok)

	tests := map[string][]string{
		"/api/admin/users": {"recover", "reqid", "log", "auth"},
		"/api/public/docs": {"recover", "reqid", "log", "cache"},
		"/api/report":      {"recover", "reqid", "log", "timeout"},
		"/api/status":      {"recover", "reqid", "log"},
	}
	for path, want := range tests {
		if got := trace(t, r, path); !slices.Equal(got, want) {
			t.Errorf("%s trace = %v, want %v", path, got, want)
		}
	}
}
