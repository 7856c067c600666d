package timefmt_test

import (
	"math"
	"testing"
	"time"

	"example.com/buildbot/timefmt"
)

var _ func(time.Duration) string = timefmt.Compact

const accDay = 24 * time.Hour

func TestAcceptanceCompact(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		// Under a second.
		{0, "0s"},
		{1, "0s"},
		{999 * time.Millisecond, "0s"},
		// Seconds only.
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 999*time.Millisecond, "59s"},
		// Minutes.
		{time.Minute, "1m"},
		{60*time.Second + 500*time.Millisecond, "1m"},
		{90 * time.Second, "1m 30s"},
		{4*time.Minute + 5*time.Second, "4m 5s"},
		{59*time.Minute + 59*time.Second, "59m 59s"},
		// Hours.
		{time.Hour, "1h"},
		{time.Hour + 30*time.Second, "1h"},
		{time.Hour + 59*time.Second, "1h"},
		{time.Hour + time.Minute, "1h 1m"},
		{time.Hour + 59*time.Minute + 59*time.Second + 900*time.Millisecond, "1h 59m"},
		{2*time.Hour + 30*time.Minute, "2h 30m"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "23h 59m"},
		// Days: 24 hours each, followed by hours only.
		{accDay, "1d"},
		{25 * time.Hour, "1d 1h"},
		{accDay + 59*time.Minute, "1d"},
		{accDay + 59*time.Minute + 59*time.Second, "1d"},
		{2*accDay + 5*time.Minute, "2d"},
		{3*accDay + 4*time.Hour, "3d 4h"},
		{3*accDay + 4*time.Hour + 59*time.Minute, "3d 4h"},
		{50 * time.Hour, "2d 2h"},
		{400 * accDay, "400d"},
		{400*accDay + 23*time.Hour + 59*time.Minute, "400d 23h"},
		{math.MaxInt64, "106751d 23h"},
		// Negative durations.
		{-1, "0s"},
		{-999 * time.Millisecond, "0s"},
		{-time.Second, "-1s"},
		{-90 * time.Second, "-1m 30s"},
		{-(time.Hour + 30*time.Second), "-1h"},
		{-(2*time.Hour + 30*time.Minute), "-2h 30m"},
		{-(3*accDay + 4*time.Hour + 5*time.Minute), "-3d 4h"},
	}
	for _, tt := range tests {
		if got := timefmt.Compact(tt.in); got != tt.want {
			t.Errorf("Compact(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := timefmt.Clock(4*time.Minute + 5*time.Second); got != "0:04:05" {
		t.Errorf("Clock = %q, want 0:04:05", got)
	}
	if got := timefmt.Clock(-90 * time.Second); got != "-0:01:30" {
		t.Errorf("Clock = %q, want -0:01:30", got)
	}
	if got := timefmt.Seconds(12340 * time.Millisecond); got != "12.3s" {
		t.Errorf("Seconds = %q, want 12.3s", got)
	}
}
