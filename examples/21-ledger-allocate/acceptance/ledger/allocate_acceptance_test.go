package ledger_test

import (
	"math/rand"
	"slices"
	"testing"

	"example.com/splitbill/ledger"
)

var _ func(ledger.Cents, []int) ([]ledger.Cents, error) = ledger.Allocate

func TestAcceptanceAllocate(t *testing.T) {
	tests := []struct {
		total   ledger.Cents
		weights []int
		want    []ledger.Cents
	}{
		{100, []int{1}, []ledger.Cents{100}},
		{0, []int{1}, []ledger.Cents{0}},
		{0, []int{1, 2, 3}, []ledger.Cents{0, 0, 0}},
		{1000, []int{50, 30, 20}, []ledger.Cents{500, 300, 200}},
		{100, []int{1, 1, 1}, []ledger.Cents{34, 33, 33}},
		{100, []int{2, 2, 2}, []ledger.Cents{34, 33, 33}},
		{1, []int{1, 1, 1}, []ledger.Cents{1, 0, 0}},
		{2, []int{1, 1, 1}, []ledger.Cents{1, 1, 0}},
		{20, []int{1, 1, 1, 1, 1, 1}, []ledger.Cents{4, 4, 3, 3, 3, 3}},
		{7, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []ledger.Cents{1, 1, 1, 1, 1, 1, 1, 0, 0, 0}},
		{999, []int{1, 1, 1, 1}, []ledger.Cents{250, 250, 250, 249}},
		// The leftover cent goes to the largest remainder, not to the first part.
		{10, []int{1, 2}, []ledger.Cents{3, 7}},
		{17, []int{2, 3, 5}, []ledger.Cents{3, 5, 9}},
		{17, []int{5, 3, 2}, []ledger.Cents{9, 5, 3}},
		{101, []int{3, 1}, []ledger.Cents{76, 25}},
		{101, []int{1, 3}, []ledger.Cents{25, 76}},
		// ... and not to the largest weight.
		{8, []int{5, 5, 3}, []ledger.Cents{3, 3, 2}},
		// Equal remainders: earlier parts first.
		{99, []int{2, 1, 1, 2}, []ledger.Cents{33, 17, 16, 33}},
		{5, []int{0, 1, 0, 1}, []ledger.Cents{0, 3, 0, 2}},
		{3, []int{4, 1, 4}, []ledger.Cents{2, 0, 1}},
		{5000, []int{3, 3, 1}, []ledger.Cents{2143, 2143, 714}},
		// Zero weights get nothing.
		{1, []int{0, 0, 3}, []ledger.Cents{0, 0, 1}},
		{2, []int{0, 0, 5}, []ledger.Cents{0, 0, 2}},
		{123457, []int{7, 11, 13, 17, 19}, []ledger.Cents{12899, 20269, 23954, 31325, 35010}},
		// Large amounts must stay exact (no float64).
		{1_000_000_000_000, []int{1_000_000, 1, 1}, []ledger.Cents{999_998_000_004, 999_998, 999_998}},
		{1_000_000_000_000, []int{999_999, 1_000_000, 3}, []ledger.Cents{499_999_000_001, 499_999_500_000, 1_499_999}},
		{1_000_000_000_000, []int{1, 1, 1, 1, 1, 1, 1}, []ledger.Cents{142_857_142_858, 142_857_142_857, 142_857_142_857, 142_857_142_857, 142_857_142_857, 142_857_142_857, 142_857_142_857}},
	}
	for _, tt := range tests {
		weights := slices.Clone(tt.weights)
		got, err := ledger.Allocate(tt.total, weights)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Allocate(%d, %v) = %d, %v; want %d, nil", tt.total, tt.weights, got, err, tt.want)
		}
		if !slices.Equal(weights, tt.weights) {
			t.Errorf("Allocate(%d, %v) modified weights to %v", tt.total, tt.weights, weights)
		}
	}
}

func TestAcceptanceAllocateErrors(t *testing.T) {
	tests := []struct {
		total   ledger.Cents
		weights []int
	}{
		{100, nil},
		{100, []int{}},
		{0, []int{}},
		{100, []int{0}},
		{100, []int{0, 0, 0}},
		{0, []int{0, 0}},
		{100, []int{-1}},
		{100, []int{1, -1, 2}},
		{100, []int{3, -1}},
		{-1, []int{1}},
		{-100, []int{1, 2}},
	}
	for _, tt := range tests {
		got, err := ledger.Allocate(tt.total, tt.weights)
		if err == nil || got != nil {
			t.Errorf("Allocate(%d, %v) = %d, %v; want nil and an error", tt.total, tt.weights, got, err)
		}
	}
}

// accOracle hands out the leftover cents one at a time by scanning for the
// largest remaining remainder.
func accOracle(total int64, weights []int) []ledger.Cents {
	var sum int64
	for _, w := range weights {
		sum += int64(w)
	}
	out := make([]ledger.Cents, len(weights))
	rems := make([]int64, len(weights))
	left := total
	for i, w := range weights {
		out[i] = ledger.Cents(total * int64(w) / sum)
		rems[i] = total * int64(w) % sum
		left -= int64(out[i])
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		out[best]++
		rems[best] = -1
	}
	return out
}

func TestAcceptanceAllocateSweep(t *testing.T) {
	rng := rand.New(rand.NewSource(18))
	for n := 0; n < 2000; n++ {
		weights := make([]int, 1+rng.Intn(8))
		for i := range weights {
			weights[i] = rng.Intn(12)
		}
		weights[rng.Intn(len(weights))]++ // at least one non-zero weight
		total := rng.Int63n(100_000)
		got, err := ledger.Allocate(ledger.Cents(total), weights)
		want := accOracle(total, weights)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Allocate(%d, %v) = %d, %v; want %d, nil", total, weights, got, err, want)
		}
		if ledger.Sum(got) != ledger.Cents(total) {
			t.Fatalf("Allocate(%d, %v) = %d does not add up", total, weights, got)
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := ledger.SplitEvenly(100, 3); !slices.Equal(got, []ledger.Cents{34, 33, 33}) {
		t.Errorf("SplitEvenly(100, 3) = %v", got)
	}
	if got := ledger.Cents(-5).String(); got != "-0.05" {
		t.Errorf("String = %q, want -0.05", got)
	}
	if got := ledger.Sum([]ledger.Cents{1, 2, 3}); got != 6 {
		t.Errorf("Sum = %v", got)
	}
}
