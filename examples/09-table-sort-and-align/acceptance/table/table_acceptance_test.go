package table_test

import (
	"slices"
	"testing"

	"example.com/reports/table"
)

var (
	_ func(...int) table.Option                    = table.WithAlignRight
	_ func(*table.Table, int) error                = (*table.Table).SortBy
	_ func([]string, ...table.Option) *table.Table = table.New
	_ func(string) table.Option                    = table.WithSeparator
	_ func() table.Option                          = table.WithoutRule
)

func render(t *testing.T, tb *table.Table) string {
	t.Helper()
	return tb.String()
}

func expect(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("rendered table:\n%s\nwant:\n%s", got, want)
	}
}

func latencyTable(opts ...table.Option) *table.Table {
	tb := table.New([]string{"NAME", "REQUESTS", "P99(ms)"}, opts...)
	tb.Append("checkout", "1520", "12.5")
	tb.Append("search", "98", "3")
	tb.Append("login", "7", "250.75")
	return tb
}

func TestAcceptanceAlignRight(t *testing.T) {
	expect(t, render(t, latencyTable(table.WithAlignRight(1, 2))), ""+
		"NAME      REQUESTS  P99(ms)\n"+
		"--------  --------  -------\n"+
		"checkout      1520     12.5\n"+
		"search          98        3\n"+
		"login            7   250.75\n")

	// Only the listed columns change; the header is aligned as well.
	expect(t, render(t, latencyTable(table.WithAlignRight(2))), ""+
		"NAME      REQUESTS  P99(ms)\n"+
		"--------  --------  -------\n"+
		"checkout  1520         12.5\n"+
		"search    98              3\n"+
		"login     7          250.75\n")

	expect(t, render(t, latencyTable(table.WithAlignRight(0), table.WithoutRule())), ""+
		"    NAME  REQUESTS  P99(ms)\n"+
		"checkout  1520      12.5\n"+
		"  search  98        3\n"+
		"   login  7         250.75\n")
}

func TestAcceptanceAlignRightDetails(t *testing.T) {
	// Runes, not bytes; other options still apply; unknown columns ignored;
	// short rows; no trailing spaces.
	tb := table.New([]string{"#", "CITY"}, table.WithAlignRight(0, 7, -1), table.WithSeparator(" | "))
	tb.Append("1", "Zürich")
	tb.Append("12", "São Paulo")
	tb.Append("123")
	expect(t, render(t, tb), ""+
		"  # | CITY\n"+
		"--- | ---------\n"+
		"  1 | Zürich\n"+
		" 12 | São Paulo\n"+
		"123 |\n")

	plain := render(t, latencyTable())
	expect(t, render(t, latencyTable(table.WithAlignRight())), plain)
	expect(t, render(t, latencyTable(table.WithAlignRight(3, 99, -2))), plain)
}

func rows(tb *table.Table) [][]string {
	var out [][]string
	for i := 0; i < tb.Len(); i++ {
		out = append(out, tb.Row(i))
	}
	return out
}

func column(tb *table.Table, col int) []string {
	var out []string
	for _, r := range rows(tb) {
		out = append(out, r[col])
	}
	return out
}

func TestAcceptanceSortByNumeric(t *testing.T) {
	tb := table.New([]string{"NAME", "REQUESTS", "P99(ms)"})
	tb.Append("checkout", "1520", "12.5")
	tb.Append("search", "98", "3")
	tb.Append("login", "7", "250.75")
	tb.Append("refund", "-3", "0.5")
	tb.Append("cart", "250", "1e2")
	tb.Append("home", "10", "9")

	if err := tb.SortBy(1); err != nil {
		t.Fatalf("SortBy(1) error: %v", err)
	}
	if got, want := column(tb, 1), []string{"-3", "7", "10", "98", "250", "1520"}; !slices.Equal(got, want) {
		t.Errorf("after SortBy(1), REQUESTS = %q, want %q", got, want)
	}
	if got, want := column(tb, 0), []string{"refund", "login", "home", "search", "cart", "checkout"}; !slices.Equal(got, want) {
		t.Errorf("after SortBy(1), rows were not moved as a whole: NAME = %q, want %q", got, want)
	}

	if err := tb.SortBy(2); err != nil {
		t.Fatalf("SortBy(2) error: %v", err)
	}
	if got, want := column(tb, 2), []string{"0.5", "3", "9", "12.5", "1e2", "250.75"}; !slices.Equal(got, want) {
		t.Errorf("after SortBy(2), P99 = %q, want %q", got, want)
	}
}

func TestAcceptanceSortByText(t *testing.T) {
	tb := table.New([]string{"SERVICE", "REGION"}, table.WithoutRule())
	tb.Append("search", "eu")
	tb.Append("checkout", "us")
	tb.Append("auth", "eu")
	tb.Append("Billing", "us")
	tb.Append("cart", "ap")
	if err := tb.SortBy(0); err != nil {
		t.Fatalf("SortBy(0) error: %v", err)
	}
	if got, want := column(tb, 0), []string{"Billing", "auth", "cart", "checkout", "search"}; !slices.Equal(got, want) {
		t.Errorf("after SortBy(0) = %q, want %q", got, want)
	}
	// Stable: equal regions keep the current (name) order.
	if err := tb.SortBy(1); err != nil {
		t.Fatalf("SortBy(1) error: %v", err)
	}
	want := [][]string{
		{"cart", "ap"},
		{"auth", "eu"},
		{"search", "eu"},
		{"Billing", "us"},
		{"checkout", "us"},
	}
	if got := rows(tb); !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("after SortBy(1) rows = %q, want %q", got, want)
	}
	expect(t, render(t, tb), ""+
		"SERVICE   REGION\n"+
		"cart      ap\n"+
		"auth      eu\n"+
		"search    eu\n"+
		"Billing   us\n"+
		"checkout  us\n")
}

func TestAcceptanceSortByStableManyEqual(t *testing.T) {
	tb := table.New([]string{"ID", "PRIORITY"})
	var wantIDs []string
	for i := 0; i < 40; i++ {
		prio := []string{"2", "1", "3"}[i%3]
		tb.Append(string(rune('A'+i%26))+string(rune('a'+i/26)), prio)
	}
	for _, p := range []string{"1", "2", "3"} {
		for i := 0; i < 40; i++ {
			if []string{"2", "1", "3"}[i%3] == p {
				wantIDs = append(wantIDs, string(rune('A'+i%26))+string(rune('a'+i/26)))
			}
		}
	}
	if err := tb.SortBy(1); err != nil {
		t.Fatalf("SortBy(1) error: %v", err)
	}
	if got := column(tb, 0); !slices.Equal(got, wantIDs) {
		t.Errorf("SortBy is not stable:\n got %q\nwant %q", got, wantIDs)
	}
}

func TestAcceptanceSortByOutOfRange(t *testing.T) {
	tb := latencyTable()
	before := rows(tb)
	for _, col := range []int{-1, 3, 100} {
		if err := tb.SortBy(col); err == nil {
			t.Errorf("SortBy(%d) on a 3-column table returned nil error", col)
		}
	}
	if got := rows(tb); !slices.EqualFunc(got, before, slices.Equal[[]string]) {
		t.Errorf("failed SortBy changed the rows: %q, want %q", got, before)
	}
	empty := table.New([]string{"A"})
	if err := empty.SortBy(0); err != nil {
		t.Errorf("SortBy(0) on a table without rows: %v", err)
	}
}

func TestAcceptanceExistingRendering(t *testing.T) {
	tb := table.New([]string{"K", "V", "NOTE"}, table.WithSeparator(" | "), table.WithoutRule())
	tb.Append("ä", "1")
	tb.Append("bb", "22", "x", "dropped")
	expect(t, render(t, tb), ""+
		"K  | V  | NOTE\n"+
		"ä  | 1  |\n"+
		"bb | 22 | x\n")
	expect(t, render(t, latencyTable()), ""+
		"NAME      REQUESTS  P99(ms)\n"+
		"--------  --------  -------\n"+
		"checkout  1520      12.5\n"+
		"search    98        3\n"+
		"login     7         250.75\n")
}
