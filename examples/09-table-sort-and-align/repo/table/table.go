// Package table renders rows of text as an aligned plain-text table, for
// command-line reports.
//
//	t := table.New([]string{"NAME", "REQUESTS"})
//	t.Append("checkout", "1520")
//	t.Append("search", "98")
//	fmt.Print(t)
//
// prints
//
//	NAME      REQUESTS
//	--------  --------
//	checkout  1520
//	search    98
package table

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a plain-text table with a header row. Create one with New.
type Table struct {
	headers []string
	rows    [][]string
	sep     string
	rule    bool
}

// New returns an empty table with the given column headers.
func New(headers []string, opts ...Option) *Table {
	t := &Table{
		headers: append([]string(nil), headers...),
		sep:     "  ",
		rule:    true,
	}
	for _, opt := range opts {
		opt(t)
	}
	return t
}

// Append adds a row. Missing cells are left empty and cells beyond the
// number of columns are dropped.
func (t *Table) Append(cells ...string) {
	row := make([]string, len(t.headers))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// Len returns the number of rows, not counting the header.
func (t *Table) Len() int {
	return len(t.rows)
}

// Row returns a copy of the cells of row i (0-based). It panics if i is out
// of range.
func (t *Table) Row(i int) []string {
	return append([]string(nil), t.rows[i]...)
}

// Render writes the table to w: the header, a rule of dashes under each
// header (unless disabled with WithoutRule), then the rows in order. Each
// cell is padded with spaces to the width, in runes, of the widest cell in
// its column, and columns are joined with the separator. Trailing spaces are
// removed from every line.
func (t *Table) Render(w io.Writer) error {
	widths := make([]int, len(t.headers))
	for _, row := range append([][]string{t.headers}, t.rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}

	var b strings.Builder
	t.writeLine(&b, t.headers, widths)
	if t.rule {
		rule := make([]string, len(widths))
		for i, n := range widths {
			rule[i] = strings.Repeat("-", n)
		}
		t.writeLine(&b, rule, widths)
	}
	for _, row := range t.rows {
		t.writeLine(&b, row, widths)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLine writes one line of cells, padded to widths, followed by a
// newline.
func (t *Table) writeLine(b *strings.Builder, cells []string, widths []int) {
	var line strings.Builder
	for i, cell := range cells {
		if i > 0 {
			line.WriteString(t.sep)
		}
		line.WriteString(cell)
		line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)))
	}
	b.WriteString(strings.TrimRight(line.String(), " "))
	b.WriteByte('\n')
}

// String returns the rendered table.
func (t *Table) String() string {
	var b strings.Builder
	t.Render(&b)
	return b.String()
}
