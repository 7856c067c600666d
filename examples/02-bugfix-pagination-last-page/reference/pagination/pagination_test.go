package pagination

import (
	"errors"
	"testing"
)

func TestTotalPages(t *testing.T) {
	tests := []struct {
		total, perPage, want int
	}{
		{0, 10, 0},
		{10, 10, 1},
		{20, 10, 2},
		{100, 25, 4},
		{11, 10, 2},
		{25, 10, 3},
		{1, 10, 1},
		{10, 0, 0},
	}
	for _, tt := range tests {
		if got := TotalPages(tt.total, tt.perPage); got != tt.want {
			t.Errorf("TotalPages(%d, %d) = %d, want %d", tt.total, tt.perPage, got, tt.want)
		}
	}
}

func TestBounds(t *testing.T) {
	start, end, err := Bounds(20, 2, 10)
	if err != nil {
		t.Fatalf("Bounds(20, 2, 10) error: %v", err)
	}
	if start != 10 || end != 20 {
		t.Errorf("Bounds(20, 2, 10) = [%d, %d), want [10, 20)", start, end)
	}
}

func TestBoundsErrors(t *testing.T) {
	if _, _, err := Bounds(20, 1, 0); !errors.Is(err, ErrInvalidPageSize) {
		t.Errorf("Bounds(20, 1, 0) error = %v, want ErrInvalidPageSize", err)
	}
	if _, _, err := Bounds(20, 0, 10); !errors.Is(err, ErrPageOutOfRange) {
		t.Errorf("Bounds(20, 0, 10) error = %v, want ErrPageOutOfRange", err)
	}
	if _, _, err := Bounds(20, 3, 10); !errors.Is(err, ErrPageOutOfRange) {
		t.Errorf("Bounds(20, 3, 10) error = %v, want ErrPageOutOfRange", err)
	}
}

func TestBoundsLastPartialPage(t *testing.T) {
	start, end, err := Bounds(25, 3, 10)
	if err != nil {
		t.Fatalf("Bounds(25, 3, 10) error: %v", err)
	}
	if start != 20 || end != 25 {
		t.Errorf("Bounds(25, 3, 10) = [%d, %d), want [20, 25)", start, end)
	}
	if _, _, err := Bounds(25, 4, 10); !errors.Is(err, ErrPageOutOfRange) {
		t.Errorf("Bounds(25, 4, 10) error = %v, want ErrPageOutOfRange", err)
	}
}

func TestSlice(t *testing.T) {
	items := []string{"a", "b", "c", "d"}
	got, err := Slice(items, 2, 2)
	if err != nil {
		t.Fatalf("Slice error: %v", err)
	}
	if len(got) != 2 || got[0] != "c" || got[1] != "d" {
		t.Errorf("Slice(items, 2, 2) = %v, want [c d]", got)
	}
}
