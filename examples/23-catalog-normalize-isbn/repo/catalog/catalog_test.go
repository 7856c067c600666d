package catalog

import "testing"

func TestLabel(t *testing.T) {
	if got := (Book{Title: "Dune", Author: "Frank Herbert"}).Label(); got != "Dune — Frank Herbert" {
		t.Errorf("Label = %q", got)
	}
	if got := (Book{Title: "Beowulf"}).Label(); got != "Beowulf" {
		t.Errorf("Label = %q", got)
	}
}

func TestSortByTitle(t *testing.T) {
	books := []Book{
		{Title: "Emma", Author: "Jane Austen"},
		{Title: "Dune", Author: "Frank Herbert"},
		{Title: "Emma", Author: "Anonymous"},
	}
	SortByTitle(books)
	want := []string{"Dune — Frank Herbert", "Emma — Anonymous", "Emma — Jane Austen"}
	for i, b := range books {
		if b.Label() != want[i] {
			t.Errorf("books[%d] = %q, want %q", i, b.Label(), want[i])
		}
	}
}
