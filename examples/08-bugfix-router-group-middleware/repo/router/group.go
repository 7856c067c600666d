package router

import "net/http"

// Group is a set of routes that share a path prefix and a middleware stack.
// Groups are cheap; derive as many as needed with Group and With.
type Group struct {
	router *Router
	prefix string
	mws    []Middleware
}

// Group returns a sub-group whose prefix is g's prefix followed by prefix,
// and whose middleware is g's middleware followed by mws. g is not changed.
func (g *Group) Group(prefix string, mws ...Middleware) *Group {
	return &Group{router: g.router, prefix: g.prefix + prefix, mws: extend(g.mws, mws)}
}

// With returns a group with g's prefix and g's middleware followed by mws,
// for registering a few routes that need extra middleware. g is not changed.
func (g *Group) With(mws ...Middleware) *Group {
	return &Group{router: g.router, prefix: g.prefix, mws: extend(g.mws, mws)}
}

// Prefix returns the path prefix of the group.
func (g *Group) Prefix() string {
	return g.prefix
}

// Handle registers h for the group's prefix followed by path, wrapped in the
// group's middleware.
func (g *Group) Handle(path string, h http.Handler) {
	g.router.mux.Handle(g.prefix+path, Chain(h, g.mws...))
}

// HandleFunc registers f like Handle.
func (g *Group) HandleFunc(path string, f http.HandlerFunc) {
	g.Handle(path, f)
}
