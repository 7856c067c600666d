package sla

import "time"

// AddWorkdays returns the n-th working day after t (before t if n is
// negative), at the same clock time and in the same location as t. The day
// of t itself is not counted. AddWorkdays(t, 0) returns t.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if c.IsWorkday(t) {
			n--
		}
	}
	return t
}
