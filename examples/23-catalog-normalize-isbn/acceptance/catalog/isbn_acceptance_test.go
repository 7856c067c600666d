package catalog_test

import (
	"testing"

	"example.com/bookshop/catalog"
)

var _ func(string) (string, error) = catalog.NormalizeISBN

func TestAcceptanceNormalizeISBN13(t *testing.T) {
	tests := []struct{ in, want string }{
		{"9780306406157", "9780306406157"},
		{"978-0-306-40615-7", "9780306406157"},
		{"978 0 306 40615 7", "9780306406157"},
		{" 978-0-306-40615-7 ", "9780306406157"},
		{"978--0306406157", "9780306406157"},
		{"978-1-86197-271-2", "9781861972712"},
		{"978-3-16-148410-0", "9783161484100"},
		{"9780000000002", "9780000000002"},
		{"9789999999991", "9789999999991"},
		{"979-10-90636-07-1", "9791090636071"},
		{"9791234567896", "9791234567896"},
		{"9790000000001", "9790000000001"},
	}
	for _, tt := range tests {
		got, err := catalog.NormalizeISBN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestAcceptanceNormalizeISBN10(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0306406152", "9780306406157"},
		{"0-306-40615-2", "9780306406157"},
		{"0 306 40615 2", "9780306406157"},
		{"0-14-044913-2", "9780140449136"},
		{"0131103628", "9780131103627"},
		{"1-59327-220-0", "9781593272203"},
		{"0000000000", "9780000000002"},
		{"9999999999", "9789999999991"},
		// X (or x) as the check character stands for 10.
		{"080442957X", "9780804429573"},
		{"0-8044-2957-X", "9780804429573"},
		{"0-8044-2957-x", "9780804429573"},
		{"043942089X", "9780439420891"},
		{"3-16-148410-X", "9783161484100"},
		{"123456789X", "9781234567897"},
		{"123456789x", "9781234567897"},
	}
	for _, tt := range tests {
		got, err := catalog.NormalizeISBN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestAcceptanceNormalizeISBNInvalid(t *testing.T) {
	for _, in := range []string{
		// Empty or only separators.
		"",
		" ",
		"-",
		"- -",
		// Wrong check digit.
		"0306406153",
		"0306406151",
		"0804429570",
		"0804429571",
		"3161484100",
		"1234567890",
		"9780306406158",
		"9780306406150",
		"978-0-306-40615-2",
		"9791090636072",
		// Valid ISBN-13 checksum, but not a 978/979 prefix.
		"9770306406158",
		"9760306406159",
		"9800000000007",
		// X anywhere but the last position of an ISBN-10.
		"X306406152",
		"03064061X2",
		"978030640615X",
		"978080442957X",
		"080442957Y",
		// Wrong length.
		"030640615",
		"03064061522",
		"978030640615",
		"97803064061570",
		"9780306406157 9780306406157",
		// Other separators and characters are not removed.
		"0.306.40615.2",
		"0_306_40615_2",
		"0/306/40615/2",
		"0306406152\t",
		"\n9780306406157",
		"978\u00a00306406157",
		"ISBN 0306406152",
		"ISBN-13: 9780306406157",
		"isbn9780306406157",
		"+9780306406157",
		"０３０６４０６１５２",
		"٩٧٨٠٣٠٦٤٠٦١٥٧",
		"97803064O6157",
	} {
		got, err := catalog.NormalizeISBN(in)
		if err == nil || got != "" {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want \"\" and an error", in, got, err)
		}
	}
}

func TestAcceptanceNormalizeISBNIdempotent(t *testing.T) {
	for _, in := range []string{"0-306-40615-2", "0-8044-2957-x", "979-10-90636-07-1", "978 1 86197 271 2"} {
		first, err := catalog.NormalizeISBN(in)
		if err != nil {
			t.Fatalf("NormalizeISBN(%q): %v", in, err)
		}
		second, err := catalog.NormalizeISBN(first)
		if err != nil || second != first {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q again", first, second, err, first)
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := (catalog.Book{Title: "Dune", Author: "Frank Herbert"}).Label(); got != "Dune — Frank Herbert" {
		t.Errorf("Label = %q", got)
	}
	books := []catalog.Book{{Title: "Emma"}, {Title: "Dune"}}
	catalog.SortByTitle(books)
	if books[0].Title != "Dune" {
		t.Errorf("SortByTitle changed: %v", books)
	}
}
