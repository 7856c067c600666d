package stats

import "sort"

// Median returns the median of xs: the middle value after sorting, or the
// mean of the two middle values when len(xs) is even. It returns 0 if xs is
// empty. xs itself is not modified.
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	sorted := make([]float64, n)
	copy(sorted, xs)
	sort.Float64s(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
