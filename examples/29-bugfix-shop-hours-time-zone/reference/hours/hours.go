// Package hours answers "is this shop open?" for shops in any time zone.
package hours

import (
	"fmt"
	"time"
)

// Clock is a time of day in minutes after midnight, from 0 (00:00) to
// 1440 (24:00).
type Clock int

// ParseClock parses "HH:MM" (24-hour clock). "24:00" is allowed so that a
// span can run to the end of the day.
func ParseClock(s string) (Clock, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 {
		return 0, fmt.Errorf("hours: invalid time of day %q", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("hours: invalid time of day %q", s)
	}
	return Clock(h*60 + m), nil
}

// String formats c as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Span is the opening time [Open, Close) of one day: the shop opens at
// Open and is closed again from Close on.
type Span struct{ Open, Close Clock }

// Shop is a shop with weekly opening hours.
type Shop struct {
	Name string
	// Location is the shop's time zone. Opening hours are local times in
	// that zone. A nil Location means UTC.
	Location *time.Location
	// Week holds the opening hours of each weekday. A day that is not in
	// the map is a closed day.
	Week map[time.Weekday]Span
}

func (s Shop) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// IsOpen reports whether the shop is open at the instant t. The time zone
// t happens to be expressed in does not matter: 08:30 UTC and 09:30 in
// Berlin (in winter) are the same instant and give the same answer.
func (s Shop) IsOpen(t time.Time) bool {
	t = t.In(s.location())
	span, ok := s.Week[t.Weekday()]
	if !ok {
		return false
	}
	now := Clock(t.Hour()*60 + t.Minute())
	return span.Open <= now && now < span.Close
}

// NextOpening returns the first instant at or after t at which the shop is
// open: t itself if the shop is open at t, otherwise the next opening time.
// It reports false if the shop has no opening hours at all. The result is
// expressed in the shop's time zone.
func (s Shop) NextOpening(t time.Time) (time.Time, bool) {
	loc := s.location()
	local := t.In(loc)
	for i := 0; i <= 7; i++ {
		y, m, d := local.Date()
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		span, ok := s.Week[day.Weekday()]
		if !ok || span.Open >= span.Close {
			continue
		}
		y, m, d = day.Date()
		open := time.Date(y, m, d, 0, int(span.Open), 0, 0, loc)
		closing := time.Date(y, m, d, 0, int(span.Close), 0, 0, loc)
		if !local.Before(closing) {
			continue
		}
		if !local.Before(open) {
			return local, true
		}
		return open, true
	}
	return time.Time{}, false
}
