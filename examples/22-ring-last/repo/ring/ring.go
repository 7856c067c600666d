// Package ring keeps the most recent sensor readings in a fixed amount of
// memory.
package ring

// Ring is a fixed-capacity buffer of float64 readings. When it is full,
// pushing a new reading overwrites the oldest one. The zero value is not
// usable; create rings with New.
type Ring struct {
	buf   []float64
	start int // index in buf of the oldest reading
	n     int // number of readings stored
}

// New returns an empty ring that holds up to capacity readings. It panics
// if capacity is less than 1.
func New(capacity int) *Ring {
	if capacity < 1 {
		panic("ring: capacity must be at least 1")
	}
	return &Ring{buf: make([]float64, capacity)}
}

// Push adds v as the newest reading, overwriting the oldest one if the ring
// is full.
func (r *Ring) Push(v float64) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

// Len returns the number of readings stored.
func (r *Ring) Len() int { return r.n }

// Cap returns the maximum number of readings the ring holds.
func (r *Ring) Cap() int { return len(r.buf) }

// Latest returns the newest reading, or false if the ring is empty.
func (r *Ring) Latest() (float64, bool) {
	if r.n == 0 {
		return 0, false
	}
	return r.buf[(r.start+r.n-1)%len(r.buf)], true
}
