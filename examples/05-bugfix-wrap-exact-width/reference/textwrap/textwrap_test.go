package textwrap

import (
	"slices"
	"testing"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, nil},
		{"   \n\t ", 10, nil},
		{"hello", 10, []string{"hello"}},
		{"the quick brown fox jumps over the lazy dog", 13,
			[]string{"the quick", "brown fox", "jumps over", "the lazy dog"}},
		{"a  b\n\nc", 0, []string{"a b c"}},
		{"supercalifragilistic is long", 8,
			[]string{"supercalifragilistic", "is long"}},
	}
	for _, tt := range tests {
		if got := Wrap(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestWrapExactFit(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"the quick brown fox jumps over the lazy dog", 12,
			[]string{"the quick", "brown fox", "jumps over", "the lazy dog"}},
		{"aaaa bbbb", 9, []string{"aaaa bbbb"}},
		{"aaaa bbbb cccc", 9, []string{"aaaa bbbb", "cccc"}},
		{"héllo wörld", 11, []string{"héllo wörld"}},
		{"abc", 3, []string{"abc"}},
	}
	for _, tt := range tests {
		if got := Wrap(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestFill(t *testing.T) {
	got := Fill("one two three four", 9)
	want := "one two\nthree\nfour"
	if got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
}

func TestIndent(t *testing.T) {
	got := Indent("usage:\n\n  run", "  ")
	want := "  usage:\n\n    run"
	if got != want {
		t.Errorf("Indent = %q, want %q", got, want)
	}
}
