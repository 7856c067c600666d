package ledger

import (
	"slices"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{1234, "12.34"},
		{-5, "-0.05"},
		{100000, "1000.00"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Cents(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestSplitEvenly(t *testing.T) {
	if got := SplitEvenly(100, 3); !slices.Equal(got, []Cents{34, 33, 33}) {
		t.Errorf("SplitEvenly(100, 3) = %v", got)
	}
	if got := SplitEvenly(10, 5); !slices.Equal(got, []Cents{2, 2, 2, 2, 2}) {
		t.Errorf("SplitEvenly(10, 5) = %v", got)
	}
	if got := SplitEvenly(10, 0); got != nil {
		t.Errorf("SplitEvenly(10, 0) = %v, want nil", got)
	}
	if got := Sum(SplitEvenly(1001, 7)); got != 1001 {
		t.Errorf("Sum = %v, want 10.01", got)
	}
}
