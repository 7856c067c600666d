package timefmt

import (
	"strconv"
	"time"
)

// Compact formats d for people with at most two units, for example "45s",
// "4m 5s", "2h 30m" or "3d 4h": the largest non-zero unit among days (24h),
// hours, minutes and seconds, followed by the next smaller unit if that is
// non-zero. Smaller parts are dropped, not rounded. Durations under a second
// give "0s"; negative durations get a leading "-".
func Compact(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign = "-"
		d = -d
	}
	secs := int64(d / time.Second)
	if secs == 0 {
		return "0s"
	}
	parts := []struct {
		v    int64
		unit string
	}{
		{secs / 86400, "d"},
		{secs / 3600 % 24, "h"},
		{secs / 60 % 60, "m"},
		{secs % 60, "s"},
	}
	for i, p := range parts {
		if p.v == 0 {
			continue
		}
		out := sign + strconv.FormatInt(p.v, 10) + p.unit
		if i+1 < len(parts) && parts[i+1].v != 0 {
			out += " " + strconv.FormatInt(parts[i+1].v, 10) + parts[i+1].unit
		}
		return out
	}
	return "0s"
}
