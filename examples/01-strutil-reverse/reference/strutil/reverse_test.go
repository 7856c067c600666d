package strutil

import (
	"testing"
	"unicode/utf8"
)

func TestReverse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"a", "a"},
		{"ab", "ba"},
		{"hello", "olleh"},
		{"racecar", "racecar"},
		{"é", "é"},
		{"héllo", "olléh"},
		{"日本語", "語本日"},
		{"Hello, 世界!", "!界世 ,olleH"},
	}
	for _, tt := range tests {
		got := Reverse(tt.in)
		if got != tt.want {
			t.Errorf("Reverse(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Reverse(%q) = %q is not valid UTF-8", tt.in, got)
		}
	}
}
