// Package sla computes support-ticket deadlines, which count working days
// only.
package sla

import (
	"fmt"
	"time"
)

// dateLayout is the layout of holiday dates.
const dateLayout = "2006-01-02"

// Calendar knows which days are working days: Monday to Friday, except
// public holidays.
type Calendar struct {
	holidays map[string]bool // keyed by date in dateLayout
}

// NewCalendar returns a calendar with the given public holidays, written as
// "2006-01-02". It returns an error if a date is malformed.
func NewCalendar(holidays ...string) (*Calendar, error) {
	c := &Calendar{holidays: make(map[string]bool, len(holidays))}
	for _, h := range holidays {
		d, err := time.Parse(dateLayout, h)
		if err != nil {
			return nil, fmt.Errorf("sla: bad holiday %q: %w", h, err)
		}
		c.holidays[d.Format(dateLayout)] = true
	}
	return c, nil
}

// IsHoliday reports whether t falls on one of the calendar's holidays. The
// date is taken in t's own location.
func (c *Calendar) IsHoliday(t time.Time) bool {
	return c.holidays[t.Format(dateLayout)]
}

// IsWorkday reports whether t falls on a working day: Monday to Friday and
// not a holiday. The date is taken in t's own location.
func (c *Calendar) IsWorkday(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.IsHoliday(t)
}
