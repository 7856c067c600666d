// Package router is a thin layer over net/http.ServeMux that adds route
// groups: sets of routes that share a path prefix and a middleware stack.
//
//	r := router.New()
//	r.Use(recoverer, requestID)
//	api := r.Group("/api", logging)
//	admin := api.Group("/admin", requireAdmin)
//	admin.HandleFunc("/users", listUsers) // GET /api/admin/users
package router

import "net/http"

// Router dispatches requests to the handlers registered on it and on its
// groups. It implements http.Handler.
type Router struct {
	mux  *http.ServeMux
	root *Group
}

// New returns an empty Router.
func New() *Router {
	r := &Router{mux: http.NewServeMux()}
	r.root = &Group{router: r}
	return r
}

// Use adds middleware to the router itself. It applies to routes and groups
// created after the call; routes and groups created earlier keep the
// middleware they were created with.
func (r *Router) Use(mws ...Middleware) {
	r.root.mws = extend(r.root.mws, mws)
}

// Group returns a group of routes under prefix that run the router's
// middleware followed by mws.
func (r *Router) Group(prefix string, mws ...Middleware) *Group {
	return r.root.Group(prefix, mws...)
}

// With returns a group without a prefix that runs the router's middleware
// followed by mws.
func (r *Router) With(mws ...Middleware) *Group {
	return r.root.With(mws...)
}

// Handle registers h for path, wrapped in the router's middleware.
func (r *Router) Handle(path string, h http.Handler) {
	r.root.Handle(path, h)
}

// HandleFunc registers f for path, wrapped in the router's middleware.
func (r *Router) HandleFunc(path string, f http.HandlerFunc) {
	r.root.Handle(path, f)
}

// ServeHTTP dispatches the request to the handler whose path matches it.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mux.ServeHTTP(w, req)
}
