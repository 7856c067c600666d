package textutil

import (
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"", 5, ""},
		{"hello", 5, "hello"},
		{"hello", 10, "hello"},
		{"Hello world", 8, "Hello w…"},
		{"Hello world", 7, "Hello…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"héllo wörld", 4, "hél…"},
		{"日本語のテキスト", 3, "日本…"},
		{"🙂🙂🙂", 2, "🙂…"},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q is not valid UTF-8", tt.in, tt.max, got)
		}
	}
}
