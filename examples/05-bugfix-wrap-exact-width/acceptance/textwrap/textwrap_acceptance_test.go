package textwrap_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/clihelp/textwrap"
)

func TestAcceptanceWrapExactWidth(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		// Lines that are exactly width runes long must stay on one line.
		{"abc", 3, []string{"abc"}},
		{"ab c", 4, []string{"ab c"}},
		{"aaaa bbbb", 9, []string{"aaaa bbbb"}},
		{"aaaa bbbb cccc", 9, []string{"aaaa bbbb", "cccc"}},
		{"aaaa bbbb cccc", 14, []string{"aaaa bbbb cccc"}},
		{"the quick brown fox jumps over the lazy dog", 12,
			[]string{"the quick", "brown fox", "jumps over", "the lazy dog"}},
		{"the quick brown fox jumps over the lazy dog", 19,
			[]string{"the quick brown fox", "jumps over the lazy", "dog"}},
		{"-v, --verbose  print every request as it is sent", 20,
			[]string{"-v, --verbose print", "every request as it", "is sent"}},
		{"héllo wörld", 11, []string{"héllo wörld"}},
		{"日本 語で", 5, []string{"日本 語で"}},
		{"日本 語で 書く", 5, []string{"日本 語で", "書く"}},
		{"a b c d", 1, []string{"a", "b", "c", "d"}},
		{"a b c d", 3, []string{"a b", "c d"}},
	}
	for _, tt := range tests {
		if got := textwrap.Wrap(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestAcceptanceWrapUnchangedCases(t *testing.T) {
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
		{"a b c", -4, []string{"a b c"}},
		{"supercalifragilistic is long", 8,
			[]string{"supercalifragilistic", "is long"}},
		{"x supercalifragilistic y", 5,
			[]string{"x", "supercalifragilistic", "y"}},
		{"aaaa bbbb", 8, []string{"aaaa", "bbbb"}},
	}
	for _, tt := range tests {
		if got := textwrap.Wrap(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// Every line fits, no words are lost, and each line is filled greedily: the
// first word of the next line would not have fitted on it.
func TestAcceptanceWrapInvariants(t *testing.T) {
	text := "Usage: deploy [flags] TARGET. Deploys the current build to TARGET, " +
		"waiting for health checks to pass before switching traffic. " +
		"Use --dry-run to print the plan without changing anything."
	for width := 1; width <= 40; width++ {
		lines := textwrap.Wrap(text, width)
		if got, want := strings.Join(lines, " "), strings.Join(strings.Fields(text), " "); got != want {
			t.Fatalf("width %d: words changed: %q", width, got)
		}
		for i, l := range lines {
			n := utf8.RuneCountInString(l)
			if n > width && strings.Contains(l, " ") {
				t.Errorf("width %d: line %q is %d runes long", width, l, n)
			}
			if i+1 < len(lines) {
				next := strings.Fields(lines[i+1])[0]
				if n+1+utf8.RuneCountInString(next) <= width {
					t.Errorf("width %d: %q would fit after %q", width, next, l)
				}
			}
		}
	}
}

func TestAcceptanceFill(t *testing.T) {
	if got, want := textwrap.Fill("one two three four", 7), "one two\nthree\nfour"; got != want {
		t.Errorf("Fill(_, 7) = %q, want %q", got, want)
	}
	if got, want := textwrap.Fill("one two three four", 9), "one two\nthree\nfour"; got != want {
		t.Errorf("Fill(_, 9) = %q, want %q", got, want)
	}
	if got, want := textwrap.Indent("usage:\n\n  run", "  "), "  usage:\n\n    run"; got != want {
		t.Errorf("Indent = %q, want %q", got, want)
	}
}
