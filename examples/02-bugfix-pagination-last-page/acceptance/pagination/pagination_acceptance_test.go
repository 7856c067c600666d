package pagination_test

import (
	"errors"
	"testing"

	"example.com/listing/pagination"
)

func TestAcceptanceTotalPages(t *testing.T) {
	tests := []struct {
		total, perPage, want int
	}{
		{0, 10, 0},
		{-5, 10, 0},
		{10, 0, 0},
		{10, -1, 0},
		{1, 10, 1},
		{9, 10, 1},
		{10, 10, 1},
		{11, 10, 2},
		{20, 10, 2},
		{25, 10, 3},
		{100, 25, 4},
		{101, 25, 5},
		{7, 1, 7},
	}
	for _, tt := range tests {
		if got := pagination.TotalPages(tt.total, tt.perPage); got != tt.want {
			t.Errorf("TotalPages(%d, %d) = %d, want %d", tt.total, tt.perPage, got, tt.want)
		}
	}
}

func TestAcceptanceBounds(t *testing.T) {
	tests := []struct {
		total, page, perPage int
		start, end           int
	}{
		{20, 1, 10, 0, 10},
		{20, 2, 10, 10, 20},
		{25, 1, 10, 0, 10},
		{25, 3, 10, 20, 25},
		{3, 1, 10, 0, 3},
		{11, 2, 10, 10, 11},
	}
	for _, tt := range tests {
		start, end, err := pagination.Bounds(tt.total, tt.page, tt.perPage)
		if err != nil {
			t.Errorf("Bounds(%d, %d, %d) error: %v", tt.total, tt.page, tt.perPage, err)
			continue
		}
		if start != tt.start || end != tt.end {
			t.Errorf("Bounds(%d, %d, %d) = [%d, %d), want [%d, %d)", tt.total, tt.page, tt.perPage, start, end, tt.start, tt.end)
		}
	}
}

func TestAcceptanceBoundsErrors(t *testing.T) {
	tests := []struct {
		total, page, perPage int
		want                 error
	}{
		{20, 1, 0, pagination.ErrInvalidPageSize},
		{20, 0, 10, pagination.ErrPageOutOfRange},
		{20, 3, 10, pagination.ErrPageOutOfRange},
		{25, 4, 10, pagination.ErrPageOutOfRange},
		{0, 1, 10, pagination.ErrPageOutOfRange},
	}
	for _, tt := range tests {
		if _, _, err := pagination.Bounds(tt.total, tt.page, tt.perPage); !errors.Is(err, tt.want) {
			t.Errorf("Bounds(%d, %d, %d) error = %v, want %v", tt.total, tt.page, tt.perPage, err, tt.want)
		}
	}
}

func TestAcceptanceSliceLastPartialPage(t *testing.T) {
	items := make([]int, 25)
	for i := range items {
		items[i] = i
	}
	var seen []int
	for page := 1; page <= pagination.TotalPages(len(items), 10); page++ {
		got, err := pagination.Slice(items, page, 10)
		if err != nil {
			t.Fatalf("Slice(items, %d, 10) error: %v", page, err)
		}
		seen = append(seen, got...)
	}
	if len(seen) != len(items) {
		t.Fatalf("paging through 25 items at 10 per page yielded %d items, want 25", len(seen))
	}
	for i, v := range seen {
		if v != i {
			t.Fatalf("item %d = %d, want %d", i, v, i)
		}
	}
	last, err := pagination.Slice(items, 3, 10)
	if err != nil {
		t.Fatalf("Slice(items, 3, 10) error: %v", err)
	}
	if len(last) != 5 || last[0] != 20 || last[4] != 24 {
		t.Errorf("Slice(items, 3, 10) = %v, want [20 21 22 23 24]", last)
	}
}
