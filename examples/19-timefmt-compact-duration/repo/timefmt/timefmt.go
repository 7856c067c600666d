// Package timefmt formats build and job durations for the build bot's chat
// messages and status page.
package timefmt

import (
	"fmt"
	"time"
)

// Clock formats d as a stopwatch reading, "h:mm:ss", for example "0:04:05"
// or "26:00:00". Fractions of a second are dropped. Negative durations get a
// leading minus sign.
func Clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign = "-"
		d = -d
	}
	total := int64(d / time.Second)
	h := total / 3600
	m := total / 60 % 60
	s := total % 60
	return fmt.Sprintf("%s%d:%02d:%02d", sign, h, m, s)
}

// Seconds formats d as a number of seconds with one decimal, for example
// "12.3s", as used in the per-step timing table.
func Seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
