package strutil_test

import (
	"testing"
	"unicode/utf8"

	"example.com/textkit/strutil"
)

func TestAcceptanceReverse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"a", "a"},
		{"é", "é"},
		{"ab", "ba"},
		{"hello", "olleh"},
		{"héllo", "olléh"},
		{"日本語", "語本日"},
		{"Hello, 世界!", "!界世 ,olleH"},
		{"racecar", "racecar"},
		{"a b c", "c b a"},
	}
	for _, tt := range tests {
		got := strutil.Reverse(tt.in)
		if got != tt.want {
			t.Errorf("Reverse(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Reverse(%q) = %q is not valid UTF-8", tt.in, got)
		}
	}
}

func TestAcceptanceReverseInvolution(t *testing.T) {
	for _, s := range []string{"", "x", "héllo", "日本語", "mixed ünïcödé and ascii"} {
		if got := strutil.Reverse(strutil.Reverse(s)); got != s {
			t.Errorf("Reverse(Reverse(%q)) = %q, want the input back", s, got)
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := strutil.Capitalize("go"); got != "Go" {
		t.Errorf("Capitalize(%q) = %q, want %q", "go", got, "Go")
	}
	if !strutil.IsPalindrome("Racecar") {
		t.Errorf("IsPalindrome(%q) = false, want true", "Racecar")
	}
	if strutil.IsPalindrome("golang") {
		t.Errorf("IsPalindrome(%q) = true, want false", "golang")
	}
}
