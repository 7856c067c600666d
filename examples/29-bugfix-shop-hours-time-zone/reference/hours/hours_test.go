package hours

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func clock(s string) Clock {
	c, err := ParseClock(s)
	if err != nil {
		panic(err)
	}
	return c
}

func berlinShop(t *testing.T) Shop {
	weekday := Span{clock("09:00"), clock("18:00")}
	return Shop{
		Name:     "Berlin Mitte",
		Location: mustLoad(t, "Europe/Berlin"),
		Week: map[time.Weekday]Span{
			time.Monday: weekday, time.Tuesday: weekday, time.Wednesday: weekday,
			time.Thursday: weekday, time.Friday: weekday,
			time.Saturday: {clock("10:00"), clock("14:00")},
		},
	}
}

func TestParseClock(t *testing.T) {
	for s, want := range map[string]Clock{"00:00": 0, "09:30": 570, "23:59": 1439, "24:00": 1440} {
		got, err := ParseClock(s)
		if err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("Clock(%d).String() = %q, want %q", got, got.String(), s)
		}
	}
	for _, s := range []string{"", "9:30", "24:01", "12:60", "-1:00", "ab:cd", "12:345"} {
		if _, err := ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q) succeeded, want error", s)
		}
	}
}

func TestIsOpen(t *testing.T) {
	shop := berlinShop(t)
	loc := shop.Location
	tests := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2024, 1, 15, 8, 59, 0, 0, loc), false}, // Monday
		{time.Date(2024, 1, 15, 9, 0, 0, 0, loc), true},
		{time.Date(2024, 1, 15, 17, 59, 0, 0, loc), true},
		{time.Date(2024, 1, 15, 18, 0, 0, 0, loc), false},
		{time.Date(2024, 1, 20, 11, 0, 0, 0, loc), true},  // Saturday
		{time.Date(2024, 1, 20, 15, 0, 0, 0, loc), false}, // Saturday afternoon
		{time.Date(2024, 1, 21, 12, 0, 0, 0, loc), false}, // Sunday
	}
	for _, tt := range tests {
		if got := shop.IsOpen(tt.t); got != tt.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tt.t.Format(time.RFC1123), got, tt.want)
		}
	}
}

func TestIsOpenOtherTimeZones(t *testing.T) {
	shop := berlinShop(t)
	tests := []struct {
		t    time.Time
		want bool
	}{
		// Monday 09:30 and 18:30 in Berlin (CET, UTC+1), given in UTC
		{time.Date(2024, 1, 15, 8, 30, 0, 0, time.UTC), true},
		{time.Date(2024, 1, 15, 17, 30, 0, 0, time.UTC), false},
		// the same in summer (CEST, UTC+2)
		{time.Date(2024, 7, 15, 7, 30, 0, 0, time.UTC), true},
		{time.Date(2024, 7, 15, 16, 30, 0, 0, time.UTC), false},
		// Saturday 10:30 in Berlin, given in New York
		{time.Date(2024, 1, 20, 4, 30, 0, 0, mustLoad(t, "America/New_York")), true},
	}
	for _, tt := range tests {
		if got := shop.IsOpen(tt.t); got != tt.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tt.t.Format(time.RFC1123), got, tt.want)
		}
	}
	// A nil Location means UTC.
	utc := Shop{Week: map[time.Weekday]Span{time.Monday: {clock("09:00"), clock("17:00")}}}
	if !utc.IsOpen(time.Date(2024, 1, 15, 10, 0, 0, 0, shop.Location)) {
		t.Error("UTC shop closed at 09:00 UTC")
	}
}

func TestNextOpening(t *testing.T) {
	shop := berlinShop(t)
	loc := shop.Location
	tests := []struct{ from, want time.Time }{
		// Sunday noon -> Monday 09:00
		{time.Date(2024, 1, 21, 11, 0, 0, 0, time.UTC), time.Date(2024, 1, 22, 9, 0, 0, 0, loc)},
		// already open
		{time.Date(2024, 1, 22, 10, 0, 0, 0, loc), time.Date(2024, 1, 22, 10, 0, 0, 0, loc)},
		// Friday evening -> Saturday 10:00
		{time.Date(2024, 1, 19, 18, 0, 0, 0, loc), time.Date(2024, 1, 20, 10, 0, 0, 0, loc)},
	}
	for _, tt := range tests {
		got, ok := shop.NextOpening(tt.from)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("NextOpening(%s) = %s, %v; want %s", tt.from, got, ok, tt.want)
		}
	}
	if _, ok := (Shop{}).NextOpening(time.Now()); ok {
		t.Error("NextOpening of a shop without hours reports true")
	}
}
