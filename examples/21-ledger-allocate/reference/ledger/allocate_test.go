package ledger

import (
	"slices"
	"testing"
)

func TestAllocate(t *testing.T) {
	tests := []struct {
		total   Cents
		weights []int
		want    []Cents
	}{
		{100, []int{1, 1, 1}, []Cents{34, 33, 33}},
		{10, []int{1, 2}, []Cents{3, 7}},
		{17, []int{2, 3, 5}, []Cents{3, 5, 9}},
		{5, []int{0, 1, 0, 1}, []Cents{0, 3, 0, 2}},
		{0, []int{1, 2}, []Cents{0, 0}},
		{3, []int{4, 1, 4}, []Cents{2, 0, 1}},
	}
	for _, tt := range tests {
		got, err := Allocate(tt.total, tt.weights)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Allocate(%d, %v) = %v, %v; want %v", tt.total, tt.weights, got, err, tt.want)
		}
	}
}

func TestAllocateErrors(t *testing.T) {
	for _, w := range [][]int{nil, {}, {1, -1}, {0, 0}} {
		if got, err := Allocate(100, w); err == nil || got != nil {
			t.Errorf("Allocate(100, %v) = %v, %v; want nil and an error", w, got, err)
		}
	}
	if got, err := Allocate(-1, []int{1}); err == nil || got != nil {
		t.Errorf("Allocate(-1, [1]) = %v, %v; want nil and an error", got, err)
	}
}
