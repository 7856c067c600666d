package slug

import (
	"strings"
	"testing"
)

func TestMake(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Hello, World!", "hello-world"},
		{"  Go 1.22 is out  ", "go-1-22-is-out"},
		{"Crème brûlée à la française", "creme-brulee-a-la-francaise"},
		{"Straße", "strasse"},
		{"日本語", ""},
		{"--already-slugged--", "already-slugged"},
	}
	for _, tt := range tests {
		if got := Make(tt.in); got != tt.want {
			t.Errorf("Make(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMakeTruncates(t *testing.T) {
	title := strings.Repeat("word ", 30)
	got := Make(title)
	if len(got) > MaxLen || strings.HasSuffix(got, "-") || !strings.HasSuffix(got, "word") {
		t.Errorf("Make(long title) = %q (%d bytes)", got, len(got))
	}
}

func TestUnique(t *testing.T) {
	taken := map[string]bool{"hello": true, "hello-2": true}
	if got := Unique("hello", func(s string) bool { return taken[s] }); got != "hello-3" {
		t.Errorf("Unique = %q, want hello-3", got)
	}
	if got := Unique("fresh", func(s string) bool { return taken[s] }); got != "fresh" {
		t.Errorf("Unique = %q, want fresh", got)
	}
}
