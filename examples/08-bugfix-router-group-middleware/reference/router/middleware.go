package router

import "net/http"

// Middleware wraps a handler with extra behaviour, such as authentication,
// logging or setting response headers.
type Middleware func(http.Handler) http.Handler

// Chain wraps h in mws so that mws[0] is the outermost layer: a request
// passes through mws[0], mws[1], ... and finally reaches h.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// extend returns the middleware stack of a derived group: base followed by
// more. The result always has its own backing array: appending to base in
// place would let sibling groups derived from the same parent overwrite each
// other's middleware.
func extend(base, more []Middleware) []Middleware {
	out := make([]Middleware, 0, len(base)+len(more))
	out = append(out, base...)
	return append(out, more...)
}
