package ring

// Last returns up to n of the most recent readings, oldest first, in a newly
// allocated slice. It returns an empty slice if n <= 0 or the ring is empty.
func (r *Ring) Last(n int) []float64 {
	if n > r.n {
		n = r.n
	}
	if n < 0 {
		n = 0
	}
	out := make([]float64, n)
	first := r.start + r.n - n // position of the oldest reading returned
	for i := range out {
		out[i] = r.buf[(first+i)%len(r.buf)]
	}
	return out
}
