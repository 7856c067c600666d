package router_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"example.com/gateway/router"
)

var (
	_ func() *router.Router                                            = router.New
	_ func(*router.Router, ...router.Middleware)                       = (*router.Router).Use
	_ func(*router.Router, string, ...router.Middleware) *router.Group = (*router.Router).Group
	_ func(*router.Router, ...router.Middleware) *router.Group         = (*router.Router).With
	_ func(*router.Group, string, ...router.Middleware) *router.Group  = (*router.Group).Group
	_ func(*router.Group, ...router.Middleware) *router.Group          = (*router.Group).With
	_ func(*router.Group, string, http.Handler)                        = (*router.Group).Handle
	_ func(http.Handler, ...router.Middleware) http.Handler            = router.Chain
	_ http.Handler                                                     = router.New()
)

func tag(name string) router.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("X-Trace", name)
			next.ServeHTTP(w, r)
		})
	}
}

// deny is an auth check that rejects every request.
func deny(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Trace", "deny")
		http.Error(w, "forbidden", http.StatusForbidden)
	})
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func expectTrace(t *testing.T, h http.Handler, path string, want ...string) {
	t.Helper()
	rec := get(h, path)
	if rec.Code != http.StatusOK {
		t.Errorf("GET %s: status %d, want 200", path, rec.Code)
		return
	}
	if got := rec.Header().Values("X-Trace"); !slices.Equal(got, want) {
		t.Errorf("GET %s: middleware ran %v, want %v", path, got, want)
	}
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func tags(ns []string) []router.Middleware {
	out := make([]router.Middleware, len(ns))
	for i, n := range ns {
		out[i] = tag(n)
	}
	return out
}

func TestAcceptanceAdminCheckNotReplacedBySibling(t *testing.T) {
	r := router.New()
	r.Use(tag("recover"), tag("reqid"))
	api := r.Group("/api", tag("log"))
	admin := api.Group("/admin", deny)
	public := api.Group("/public", tag("cache"))
	admin.HandleFunc("/users", ok)
	public.HandleFunc("/docs", ok)

	rec := get(r, "/api/admin/users")
	if rec.Code != http.StatusForbidden {
		t.Errorf("GET /api/admin/users: status %d, want 403 from the admin check (middleware ran %v)",
			rec.Code, rec.Header().Values("X-Trace"))
	}
	expectTrace(t, r, "/api/public/docs", "recover", "reqid", "log", "cache")
}

// Sibling groups derived from the same parent, with Group or With, must not
// share middleware, whatever the length of the parent's stack.
func TestAcceptanceSiblingsAreIndependent(t *testing.T) {
	for rootN := 0; rootN <= 6; rootN++ {
		for parentN := 0; parentN <= 3; parentN++ {
			t.Run(fmt.Sprintf("root%d_parent%d", rootN, parentN), func(t *testing.T) {
				r := router.New()
				rootNames := names("root", rootN)
				for _, m := range tags(rootNames) {
					r.Use(m) // one at a time, so the stack grows by append
				}
				parentNames := names("parent", parentN)
				parent := r.Group("/p", tags(parentNames)...)
				base := append(slices.Clone(rootNames), parentNames...)

				type child struct {
					g    *router.Group
					path string
					want []string
				}
				var children []child
				for i := 0; i < 3; i++ {
					own := names(fmt.Sprintf("group%d.", i), i+1)
					children = append(children, child{
						g:    parent.Group(fmt.Sprintf("/g%d", i), tags(own)...),
						path: fmt.Sprintf("/p/g%d/x", i),
						want: append(slices.Clone(base), own...),
					})
					own = names(fmt.Sprintf("with%d.", i), i+1)
					children = append(children, child{
						g:    parent.With(tags(own)...),
						path: fmt.Sprintf("/p/w%d", i),
						want: append(slices.Clone(base), own...),
					})
				}
				// Grandchildren of the first child, also siblings of each other.
				gc1 := children[0].g.Group("/a", tag("gc1"))
				gc2 := children[0].g.Group("/b", tag("gc2"))

				// Register only after every group exists.
				for i, c := range children {
					if i%2 == 0 {
						c.g.HandleFunc("/x", ok)
					} else {
						c.g.HandleFunc(fmt.Sprintf("/w%d", i/2), ok)
					}
				}
				gc1.HandleFunc("/x", ok)
				gc2.HandleFunc("/x", ok)
				parent.HandleFunc("/self", ok)

				for _, c := range children {
					expectTrace(t, r, c.path, c.want...)
				}
				expectTrace(t, r, "/p/g0/a/x", append(slices.Clone(children[0].want), "gc1")...)
				expectTrace(t, r, "/p/g0/b/x", append(slices.Clone(children[0].want), "gc2")...)
				expectTrace(t, r, "/p/self", base...)
			})
		}
	}
}

func TestAcceptanceUseAfterGroup(t *testing.T) {
	r := router.New()
	r.Use(tag("a"))
	r.Use(tag("b"))
	r.Use(tag("c"))
	x := r.Group("/x", tag("m"))
	w := r.With(tag("w"))
	r.Use(tag("d"))
	x.HandleFunc("/1", ok)
	w.HandleFunc("/w", ok)
	r.HandleFunc("/root", ok)
	expectTrace(t, r, "/x/1", "a", "b", "c", "m")
	expectTrace(t, r, "/w", "a", "b", "c", "w")
	expectTrace(t, r, "/root", "a", "b", "c", "d")
}

func TestAcceptanceChainOrder(t *testing.T) {
	h := router.Chain(http.HandlerFunc(ok), tag("outer"), tag("middle"), tag("inner"))
	rec := get(h, "/")
	if got, want := rec.Header().Values("X-Trace"), []string{"outer", "middle", "inner"}; !slices.Equal(got, want) {
		t.Errorf("Chain order = %v, want %v", got, want)
	}
	if rec.Body.String() != "ok" {
		t.Errorf("Chain body = %q, want ok", rec.Body.String())
	}
	rec = get(router.Chain(http.HandlerFunc(ok)), "/")
	if rec.Body.String() != "ok" || len(rec.Header().Values("X-Trace")) != 0 {
		t.Errorf("Chain without middleware changed the response")
	}
}

func TestAcceptancePrefixes(t *testing.T) {
	r := router.New()
	api := r.Group("/api")
	v1 := api.Group("/v1", tag("v1"))
	if v1.Prefix() != "/api/v1" || api.With(tag("z")).Prefix() != "/api" {
		t.Errorf("prefixes = %q, %q", v1.Prefix(), api.With(tag("z")).Prefix())
	}
	v1.HandleFunc("/items", ok)
	expectTrace(t, r, "/api/v1/items", "v1")
	if rec := get(r, "/api/items"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /api/items: status %d, want 404", rec.Code)
	}
}
