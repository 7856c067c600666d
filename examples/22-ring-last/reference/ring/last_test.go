package ring

import (
	"slices"
	"testing"
)

func TestLast(t *testing.T) {
	r := New(4)
	if got := r.Last(3); len(got) != 0 {
		t.Errorf("Last on empty ring = %v, want empty", got)
	}
	for i := 1; i <= 6; i++ { // wraps: holds 3 4 5 6
		r.Push(float64(i))
	}
	tests := []struct {
		n    int
		want []float64
	}{
		{0, []float64{}},
		{-1, []float64{}},
		{1, []float64{6}},
		{3, []float64{4, 5, 6}},
		{4, []float64{3, 4, 5, 6}},
		{10, []float64{3, 4, 5, 6}},
	}
	for _, tt := range tests {
		if got := r.Last(tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("Last(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestLastReturnsCopy(t *testing.T) {
	r := New(3)
	r.Push(1)
	r.Push(2)
	got := r.Last(2)
	got[0] = 99
	r.Push(3)
	r.Push(4)
	if !slices.Equal(got, []float64{99, 2}) {
		t.Errorf("earlier result changed to %v", got)
	}
	if again := r.Last(3); !slices.Equal(again, []float64{2, 3, 4}) {
		t.Errorf("Last(3) = %v, want [2 3 4]", again)
	}
}
