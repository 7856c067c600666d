package sla_test

import (
	"testing"
	"time"
	_ "time/tzdata" // America/New_York and Europe/Berlin without system zoneinfo

	"example.com/helpdesk/sla"
)

var _ func(*sla.Calendar, time.Time, int) time.Time = (*sla.Calendar).AddWorkdays

func accCalendar(t *testing.T, holidays ...string) *sla.Calendar {
	t.Helper()
	c, err := sla.NewCalendar(holidays...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// accAt parses "2006-01-02 15:04:05" in loc.
func accAt(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

type accCase struct {
	from string
	n    int
	want string
}

func accRun(t *testing.T, c *sla.Calendar, loc *time.Location, tests []accCase) {
	t.Helper()
	for _, tt := range tests {
		from, want := accAt(loc, tt.from), accAt(loc, tt.want)
		got := c.AddWorkdays(from, tt.n)
		if got.Format(time.RFC3339Nano) != want.Format(time.RFC3339Nano) || got.Location().String() != loc.String() {
			t.Errorf("AddWorkdays(%s %s, %d) = %s (%s), want %s",
				tt.from, loc, tt.n, got.Format(time.RFC3339Nano), got.Location(), want.Format(time.RFC3339Nano))
		}
	}
}

func TestAcceptanceAddWorkdaysWeekends(t *testing.T) {
	c := accCalendar(t)
	accRun(t, c, time.UTC, []accCase{
		// 2024-03-01 is a Friday; 2024-02-29 a Thursday.
		{"2024-03-01 10:30:00", 1, "2024-03-04 10:30:00"},
		{"2024-03-02 10:30:00", 1, "2024-03-04 10:30:00"},
		{"2024-03-03 10:30:00", 1, "2024-03-04 10:30:00"},
		{"2024-03-04 10:30:00", 1, "2024-03-05 10:30:00"},
		{"2024-03-06 08:00:00", 2, "2024-03-08 08:00:00"},
		{"2024-03-06 08:00:00", 3, "2024-03-11 08:00:00"},
		{"2024-03-04 00:00:00", 5, "2024-03-11 00:00:00"},
		{"2024-03-04 23:59:59", 20, "2024-04-01 23:59:59"},
		{"2024-03-01 12:00:00", -1, "2024-02-29 12:00:00"},
		{"2024-03-04 12:00:00", -1, "2024-03-01 12:00:00"},
		{"2024-03-02 12:00:00", -1, "2024-03-01 12:00:00"},
		{"2024-03-03 12:00:00", -1, "2024-03-01 12:00:00"},
		{"2024-03-03 12:00:00", -2, "2024-02-29 12:00:00"},
		{"2024-03-01 12:00:00", -10, "2024-02-16 12:00:00"},
		{"2024-01-01 09:15:00", 260, "2024-12-30 09:15:00"},
		{"2024-12-31 09:15:00", -260, "2024-01-02 09:15:00"},
		// n == 0 returns t unchanged, even on a weekend.
		{"2024-03-03 12:00:00", 0, "2024-03-03 12:00:00"},
		{"2024-03-04 12:00:00", 0, "2024-03-04 12:00:00"},
	})
}

func TestAcceptanceAddWorkdaysHolidays(t *testing.T) {
	c := accCalendar(t, "2024-03-29", "2024-04-01", "2024-12-25", "2024-12-26", "2025-01-01")
	accRun(t, c, time.UTC, []accCase{
		{"2024-12-24 09:00:00", 1, "2024-12-27 09:00:00"},
		{"2024-12-23 09:00:00", 3, "2024-12-30 09:00:00"},
		{"2024-12-25 09:00:00", 1, "2024-12-27 09:00:00"},
		{"2024-12-25 09:00:00", -1, "2024-12-24 09:00:00"},
		{"2024-12-27 09:00:00", -1, "2024-12-24 09:00:00"},
		{"2024-12-31 17:45:00", 1, "2025-01-02 17:45:00"},
		{"2025-01-02 09:00:00", -1, "2024-12-31 09:00:00"},
		{"2025-01-02 09:00:00", -2, "2024-12-30 09:00:00"},
		{"2024-12-01 09:00:00", 30, "2025-01-15 09:00:00"},
		{"2025-01-10 09:00:00", -15, "2024-12-17 09:00:00"},
		// Good Friday and Easter Monday around a weekend.
		{"2024-03-28 16:00:00", 1, "2024-04-02 16:00:00"},
		{"2024-04-02 16:00:00", -1, "2024-03-28 16:00:00"},
		{"2024-03-29 16:00:00", 0, "2024-03-29 16:00:00"},
	})
}

func TestAcceptanceAddWorkdaysKeepsClockAndLocation(t *testing.T) {
	c := accCalendar(t, "2024-12-25")
	// Friday 23:30 in New York (UTC-5 in winter) is already Saturday in UTC.
	est := time.FixedZone("EST", -5*3600)
	accRun(t, c, est, []accCase{
		{"2024-03-01 23:30:00", 1, "2024-03-04 23:30:00"},
		{"2024-03-01 23:30:00", -1, "2024-02-29 23:30:00"},
		// Christmas Eve 20:00 is already the 25th in UTC.
		{"2024-12-24 20:00:00", 1, "2024-12-26 20:00:00"},
		{"2024-12-24 20:00:00", -1, "2024-12-23 20:00:00"},
	})
	// Monday 00:30 in Tokyo is still Sunday in UTC.
	jst := time.FixedZone("JST", 9*3600)
	accRun(t, c, jst, []accCase{
		{"2024-03-04 00:30:00", -1, "2024-03-01 00:30:00"},
		{"2024-03-04 00:30:00", 1, "2024-03-05 00:30:00"},
		{"2024-03-02 00:30:00", 1, "2024-03-04 00:30:00"},
	})

	// Nanoseconds survive.
	from := time.Date(2024, 3, 1, 10, 30, 15, 123456789, jst)
	want := time.Date(2024, 3, 4, 10, 30, 15, 123456789, jst)
	if got := c.AddWorkdays(from, 1); !got.Equal(want) || got.Nanosecond() != 123456789 || got.Location() != jst {
		t.Errorf("AddWorkdays(%v, 1) = %v, want %v", from, got, want)
	}
	// n == 0 returns t unchanged.
	if got := c.AddWorkdays(from, 0); !got.Equal(from) || got.Nanosecond() != 123456789 || got.Location() != jst {
		t.Errorf("AddWorkdays(%v, 0) = %v, want it unchanged", from, got)
	}
}

func TestAcceptanceAddWorkdaysAcrossDST(t *testing.T) {
	c := accCalendar(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	accRun(t, c, ny, []accCase{
		// Clocks go forward on Sunday 2024-03-10 and back on Sunday 2024-11-03.
		{"2024-03-08 09:00:00", 1, "2024-03-11 09:00:00"},
		{"2024-03-11 09:00:00", -1, "2024-03-08 09:00:00"},
		{"2024-03-07 23:30:00", 2, "2024-03-11 23:30:00"},
		{"2024-11-01 09:00:00", 1, "2024-11-04 09:00:00"},
		{"2024-11-04 00:30:00", -1, "2024-11-01 00:30:00"},
		{"2024-10-28 17:00:00", 10, "2024-11-11 17:00:00"},
	})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	accRun(t, c, berlin, []accCase{
		// Clocks go forward on Sunday 2024-03-31 and back on Sunday 2024-10-27.
		{"2024-03-29 00:15:00", 1, "2024-04-01 00:15:00"},
		{"2024-04-01 23:45:00", -1, "2024-03-29 23:45:00"},
		{"2024-10-25 12:00:00", 1, "2024-10-28 12:00:00"},
	})
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	c := accCalendar(t, "2024-12-25")
	if !c.IsWorkday(accAt(time.UTC, "2024-12-24 09:00:00")) || c.IsWorkday(accAt(time.UTC, "2024-12-25 09:00:00")) {
		t.Errorf("IsWorkday changed")
	}
	if !c.IsHoliday(accAt(time.UTC, "2024-12-25 09:00:00")) {
		t.Errorf("IsHoliday changed")
	}
	if _, err := sla.NewCalendar("2024-13-01"); err == nil {
		t.Errorf("NewCalendar accepted month 13")
	}
}
