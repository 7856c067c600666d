package timefmt

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0:00:00"},
		{999 * time.Millisecond, "0:00:00"},
		{4*time.Minute + 5*time.Second, "0:04:05"},
		{26 * time.Hour, "26:00:00"},
		{-90 * time.Second, "-0:01:30"},
	}
	for _, tt := range tests {
		if got := Clock(tt.in); got != tt.want {
			t.Errorf("Clock(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	if got := Seconds(12340 * time.Millisecond); got != "12.3s" {
		t.Errorf("Seconds = %q, want 12.3s", got)
	}
}
