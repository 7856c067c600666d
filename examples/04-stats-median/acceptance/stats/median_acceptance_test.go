package stats_test

import (
	"math"
	"slices"
	"testing"

	"example.com/telemetry/stats"
)

var _ func([]float64) float64 = stats.Median

func TestAcceptanceMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{}, 0},
		{[]float64{7}, 7},
		{[]float64{-3.5}, -3.5},
		{[]float64{1, 2}, 1.5},
		{[]float64{2, 1}, 1.5},
		{[]float64{1, 2, 3}, 2},
		{[]float64{3, 1, 2}, 2},
		{[]float64{9, 1, 5, 3, 7}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 40, 20, 30}, 25},
		{[]float64{-5, 10}, 2.5},
		{[]float64{-1, -2, -3, -4}, -2.5},
		{[]float64{5, 5, 5, 1}, 5},
		{[]float64{1, 1, 100, 1000, 2, 2}, 2},
		{[]float64{0.1, 0.2, 0.3}, 0.2},
		{[]float64{120, 80, 95, 4000, 101, 99}, 100},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		got := stats.Median(in)
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAcceptanceMedianLeavesInputAlone(t *testing.T) {
	inputs := [][]float64{
		{3, 1, 2},
		{4, 1, 3, 2},
		{120, 80, 95, 4000, 101, 99},
		{5, 4, 3, 2, 1},
	}
	for _, xs := range inputs {
		orig := slices.Clone(xs)
		stats.Median(xs)
		if !slices.Equal(xs, orig) {
			t.Errorf("Median reordered the caller's slice: got %v, want %v", xs, orig)
		}
	}
	// A sub-slice must not disturb the backing array beyond it either.
	backing := []float64{9, 8, 7, 6, 5}
	stats.Median(backing[:3])
	if !slices.Equal(backing, []float64{9, 8, 7, 6, 5}) {
		t.Errorf("Median modified the backing array: %v", backing)
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	xs := []float64{3, -1, 7, 2}
	if got := stats.Sum(xs); got != 11 {
		t.Errorf("Sum = %v, want 11", got)
	}
	if got := stats.Mean(xs); got != 2.75 {
		t.Errorf("Mean = %v, want 2.75", got)
	}
	if stats.Min(xs) != -1 || stats.Max(xs) != 7 {
		t.Errorf("Min/Max = %v/%v, want -1/7", stats.Min(xs), stats.Max(xs))
	}
	if got := stats.StdDev([]float64{2, 4, 4, 4, 5, 5, 7, 9}); math.Abs(got-2) > 1e-9 {
		t.Errorf("StdDev = %v, want 2", got)
	}
}
