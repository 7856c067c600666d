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
// more.
func extend(base, more []Middleware) []Middleware {
	return append(base, more...)
}
