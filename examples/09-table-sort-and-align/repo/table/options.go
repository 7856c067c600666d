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
