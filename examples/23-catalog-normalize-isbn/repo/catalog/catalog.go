// Package catalog holds the book records of the shop's catalogue.
package catalog

import "sort"

// Book is one catalogue entry.
type Book struct {
	Title  string
	Author string
	ISBN   string // 13 digits, no hyphens, once imported
	Cents  int64  // price
}

// Label returns the line shown in search results: "Title — Author".
func (b Book) Label() string {
	if b.Author == "" {
		return b.Title
	}
	return b.Title + " — " + b.Author
}

// SortByTitle sorts books by title, then by author, in place.
func SortByTitle(books []Book) {
	sort.SliceStable(books, func(i, j int) bool {
		if books[i].Title != books[j].Title {
			return books[i].Title < books[j].Title
		}
		return books[i].Author < books[j].Author
	})
}
