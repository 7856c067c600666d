// Package pagination splits a list of items into fixed-size pages.
// Page numbers are 1-based.
package pagination

import (
	"errors"
	"fmt"
)

// ErrInvalidPageSize is returned when the page size is not positive.
var ErrInvalidPageSize = errors.New("pagination: page size must be positive")

// ErrPageOutOfRange is returned when a page number is below 1 or past the last page.
var ErrPageOutOfRange = errors.New("pagination: page out of range")

// TotalPages returns how many pages of size perPage are needed to show
// total items. It returns 0 when there are no items or perPage is not positive.
func TotalPages(total, perPage int) int {
	if total <= 0 || perPage <= 0 {
		return 0
	}
	pages := total / perPage
	if total%perPage != 0 {
		pages++
	}
	return pages
}

// Bounds returns the half-open index range [start, end) of the items shown
// on the given page, for use as items[start:end].
func Bounds(total, page, perPage int) (start, end int, err error) {
	if perPage <= 0 {
		return 0, 0, ErrInvalidPageSize
	}
	if page < 1 || page > TotalPages(total, perPage) {
		return 0, 0, fmt.Errorf("%w: page %d of %d", ErrPageOutOfRange, page, TotalPages(total, perPage))
	}
	start = (page - 1) * perPage
	end = start + perPage
	if end > total {
		end = total
	}
	return start, end, nil
}

// Slice returns the items shown on the given page.
func Slice[T any](items []T, page, perPage int) ([]T, error) {
	start, end, err := Bounds(len(items), page, perPage)
	if err != nil {
		return nil, err
	}
	return items[start:end], nil
}
