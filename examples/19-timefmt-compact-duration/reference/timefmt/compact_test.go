package timefmt

import (
	"testing"
	"time"
)

func TestCompact(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Second, "1m 30s"},
		{2*time.Hour + 30*time.Minute, "2h 30m"},
		{time.Hour + 30*time.Second, "1h"},
		{50*time.Hour + 5*time.Minute, "2d 2h"},
		{48*time.Hour + 5*time.Minute, "2d"},
		{time.Hour + 59*time.Minute + 59900*time.Millisecond, "1h 59m"},
		{-90 * time.Second, "-1m 30s"},
		{-300 * time.Millisecond, "0s"},
	}
	for _, tt := range tests {
		if got := Compact(tt.in); got != tt.want {
			t.Errorf("Compact(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
