package textutil_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/notify/textutil"
)

var _ func(string, int) string = textutil.Truncate

func TestAcceptanceTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		// Fits: unchanged, including trailing spaces and exact fits.
		{"", 0, ""},
		{"", 1, ""},
		{"", 10, ""},
		{"a", 1, "a"},
		{"hello", 5, "hello"},
		{"hello", 6, "hello"},
		{"hello ", 6, "hello "},
		{"  padded  ", 10, "  padded  "},
		{"héllo", 5, "héllo"},
		{"日本語", 3, "日本語"},
		{"🙂🙂", 2, "🙂🙂"},
		// Too long: max-1 runes, then the ellipsis.
		{"hello", 4, "hel…"},
		{"Hello world", 8, "Hello w…"},
		{"Hello world", 9, "Hello wo…"},
		{"Hello world", 10, "Hello wor…"},
		{"abcdef", 2, "a…"},
		// Trailing whitespace of the kept part is removed.
		{"Hello world", 7, "Hello…"},
		{"Hello   world", 8, "Hello…"},
		{"Hello\tworld", 7, "Hello…"},
		{"Hello \n world", 8, "Hello…"},
		{"  leading", 3, "…"},
		{"a b c d e", 4, "a b…"},
		// Leading whitespace is kept.
		{"  hello world", 6, "  hel…"},
		// max of 1, 0 or negative.
		{"hello", 1, "…"},
		{"日本", 1, "…"},
		{"hello", 0, ""},
		{"hello", -1, ""},
		{"hello", -100, ""},
		{"a", 0, ""},
		// Multi-byte runes are never split.
		{"héllo wörld", 3, "hé…"},
		{"héllo wörld", 9, "héllo wö…"},
		{"ééééé", 4, "ééé…"},
		{"日本語のテキスト", 3, "日本…"},
		{"日本語のテキスト", 7, "日本語のテキ…"},
		{"🙂🙂🙂", 2, "🙂…"},
		{"a🙂b🙂c", 4, "a🙂b…"},
		{"Grüße aus Köln!", 6, "Grüße…"},
		// The input may already contain an ellipsis.
		{"wait… what", 6, "wait……"},
	}
	for _, tt := range tests {
		got := textutil.Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestAcceptanceTruncateProperties(t *testing.T) {
	inputs := []string{
		"The quick brown fox jumps over the lazy dog",
		"Größenänderung der Datenbank läuft …",
		"東京都の天気予報: 晴れ時々くもり",
		"🙂 👍 🎉 emoji everywhere 🎉 👍 🙂",
		"mixed ascii and ünïcödé, with spaces   and\ttabs",
	}
	for _, in := range inputs {
		n := utf8.RuneCountInString(in)
		for max := -2; max <= n+2; max++ {
			got := textutil.Truncate(in, max)
			if !utf8.ValidString(got) {
				t.Fatalf("Truncate(%q, %d) = %q is not valid UTF-8", in, max, got)
			}
			switch {
			case max <= 0:
				if got != "" {
					t.Fatalf("Truncate(%q, %d) = %q, want \"\"", in, max, got)
				}
			case n <= max:
				if got != in {
					t.Fatalf("Truncate(%q, %d) = %q, want the input unchanged", in, max, got)
				}
			default:
				if c := utf8.RuneCountInString(got); c > max {
					t.Fatalf("Truncate(%q, %d) = %q has %d runes, more than %d", in, max, got, c, max)
				}
				if !strings.HasSuffix(got, "…") || strings.HasSuffix(got, "...") {
					t.Fatalf("Truncate(%q, %d) = %q, want it to end in a single '…'", in, max, got)
				}
				kept := strings.TrimSuffix(got, "…")
				if !strings.HasPrefix(in, kept) {
					t.Fatalf("Truncate(%q, %d) = %q is not a prefix of the input plus '…'", in, max, got)
				}
				if strings.TrimRight(kept, " \t\n") != kept {
					t.Fatalf("Truncate(%q, %d) = %q has whitespace before the '…'", in, max, got)
				}
			}
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := textutil.CollapseSpaces("  hello \t world\n"); got != "hello world" {
		t.Errorf("CollapseSpaces = %q, want %q", got, "hello world")
	}
	if got := textutil.WordCount("one two three"); got != 3 {
		t.Errorf("WordCount = %d, want 3", got)
	}
	if got := textutil.Initials("ada lovelace"); got != "AL" {
		t.Errorf("Initials = %q, want AL", got)
	}
}
