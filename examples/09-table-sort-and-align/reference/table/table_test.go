package table

import "testing"

func TestRender(t *testing.T) {
	tb := New([]string{"NAME", "REQUESTS"})
	tb.Append("checkout", "1520")
	tb.Append("search", "98")
	want := "" +
		"NAME      REQUESTS\n" +
		"--------  --------\n" +
		"checkout  1520\n" +
		"search    98\n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestOptionsAndShortRows(t *testing.T) {
	tb := New([]string{"K", "V", "NOTE"}, WithSeparator(" | "), WithoutRule())
	tb.Append("ä", "1")
	tb.Append("bb", "22", "x", "dropped")
	want := "" +
		"K  | V  | NOTE\n" +
		"ä  | 1  |\n" +
		"bb | 22 | x\n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if tb.Len() != 2 || len(tb.Row(1)) != 3 {
		t.Errorf("Len = %d, Row(1) = %q", tb.Len(), tb.Row(1))
	}
}

func TestAlignRight(t *testing.T) {
	tb := New([]string{"NAME", "REQUESTS"}, WithAlignRight(1))
	tb.Append("checkout", "1520")
	tb.Append("search", "98")
	want := "" +
		"NAME      REQUESTS\n" +
		"--------  --------\n" +
		"checkout      1520\n" +
		"search          98\n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSortBy(t *testing.T) {
	tb := New([]string{"NAME", "REQUESTS"})
	tb.Append("search", "98")
	tb.Append("checkout", "1520")
	tb.Append("login", "7")
	if err := tb.SortBy(1); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"login", "search", "checkout"} {
		if got := tb.Row(i)[0]; got != want {
			t.Errorf("after SortBy(1), row %d = %q, want %q", i, got, want)
		}
	}
	if err := tb.SortBy(0); err != nil {
		t.Fatal(err)
	}
	if got := tb.Row(0)[0]; got != "checkout" {
		t.Errorf("after SortBy(0), row 0 = %q, want checkout", got)
	}
	if err := tb.SortBy(2); err == nil {
		t.Errorf("SortBy(2) on a 2-column table returned nil")
	}
}
