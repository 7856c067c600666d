package table

// Option configures a Table; pass options to New.
type Option func(*Table)

// WithSeparator sets the string written between columns. The default is two
// spaces.
func WithSeparator(sep string) Option {
	return func(t *Table) {
		t.sep = sep
	}
}

// WithoutRule disables the line of dashes under the header.
func WithoutRule() Option {
	return func(t *Table) {
		t.rule = false
	}
}

// WithAlignRight right-aligns the given columns (0-based): their cells,
// including the header, are padded on the left instead of on the right.
// Use it for numeric columns. Columns that do not exist are ignored.
func WithAlignRight(cols ...int) Option {
	return func(t *Table) {
		if t.right == nil {
			t.right = make(map[int]bool)
		}
		for _, c := range cols {
			t.right[c] = true
		}
	}
}
