package textutil

import "testing"

func TestCollapseSpaces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"hello", "hello"},
		{"  hello \t world\n", "hello world"},
		{"a  b   c", "a b c"},
	}
	for _, tt := range tests {
		if got := CollapseSpaces(tt.in); got != tt.want {
			t.Errorf("CollapseSpaces(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWordCount(t *testing.T) {
	if got := WordCount("  one two\tthree\n"); got != 3 {
		t.Errorf("WordCount = %d, want 3", got)
	}
	if got := WordCount(""); got != 0 {
		t.Errorf("WordCount(\"\") = %d, want 0", got)
	}
}

func TestInitials(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ada lovelace", "AL"},
		{"  grace  brewster hopper ", "GBH"},
		{"élodie durand", "ÉD"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Initials(tt.in); got != tt.want {
			t.Errorf("Initials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
