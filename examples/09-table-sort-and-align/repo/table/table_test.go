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
