package hours_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"example.com/storefinder/hours"
)

func load(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func clock(t *testing.T, s string) hours.Clock {
	t.Helper()
	c, err := hours.ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func berlinShop(t *testing.T) hours.Shop {
	weekday := hours.Span{Open: clock(t, "09:00"), Close: clock(t, "18:00")}
	return hours.Shop{
		Name:     "Berlin Mitte",
		Location: load(t, "Europe/Berlin"),
		Week: map[time.Weekday]hours.Span{
			time.Monday: weekday, time.Tuesday: weekday, time.Wednesday: weekday,
			time.Thursday: weekday, time.Friday: weekday,
			time.Saturday: {Open: clock(t, "10:00"), Close: clock(t, "14:00")},
		},
	}
}

func TestAcceptanceIsOpenFromUTCServer(t *testing.T) {
	shop := berlinShop(t)
	tests := []struct {
		t    time.Time
		want bool
	}{
		// from the report: Monday in January (CET, UTC+1)
		{time.Date(2024, 1, 15, 8, 30, 0, 0, time.UTC), true},   // 09:30 Berlin
		{time.Date(2024, 1, 15, 17, 30, 0, 0, time.UTC), false}, // 18:30 Berlin
		{time.Date(2024, 1, 15, 7, 59, 0, 0, time.UTC), false},  // 08:59 Berlin
		{time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC), true},    // 09:00 Berlin
		{time.Date(2024, 1, 15, 16, 59, 0, 0, time.UTC), true},  // 17:59 Berlin
		{time.Date(2024, 1, 15, 17, 0, 0, 0, time.UTC), false},  // 18:00 Berlin
		// summer time (CEST, UTC+2)
		{time.Date(2024, 7, 15, 7, 0, 0, 0, time.UTC), true},   // 09:00 Berlin
		{time.Date(2024, 7, 15, 6, 59, 0, 0, time.UTC), false}, // 08:59 Berlin
		{time.Date(2024, 7, 15, 15, 59, 0, 0, time.UTC), true}, // 17:59 Berlin
		{time.Date(2024, 7, 15, 16, 0, 0, 0, time.UTC), false}, // 18:00 Berlin
		// Saturday hours
		{time.Date(2024, 1, 20, 9, 30, 0, 0, time.UTC), true},   // 10:30 Berlin
		{time.Date(2024, 1, 20, 13, 0, 0, 0, time.UTC), false},  // 14:00 Berlin
		{time.Date(2024, 7, 20, 11, 59, 0, 0, time.UTC), true},  // 13:59 Berlin
		{time.Date(2024, 1, 21, 11, 0, 0, 0, time.UTC), false},  // Sunday
		{time.Date(2024, 1, 19, 23, 30, 0, 0, time.UTC), false}, // Saturday 00:30 Berlin
	}
	for _, tt := range tests {
		if got := shop.IsOpen(tt.t); got != tt.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tt.t.Format(time.RFC3339), got, tt.want)
		}
	}
}

func TestAcceptanceIsOpenAcrossDateLine(t *testing.T) {
	// Monday morning in Sydney is still Sunday in UTC and in New York.
	shop := hours.Shop{
		Name:     "Sydney CBD",
		Location: load(t, "Australia/Sydney"),
		Week: map[time.Weekday]hours.Span{
			time.Monday: {Open: clock(t, "08:00"), Close: clock(t, "12:00")},
		},
	}
	open := time.Date(2024, 1, 15, 9, 0, 0, 0, shop.Location) // Monday 09:00 AEDT
	for _, loc := range []*time.Location{time.UTC, load(t, "America/New_York"), shop.Location} {
		if !shop.IsOpen(open.In(loc)) {
			t.Errorf("IsOpen(%s) = false, want true (Monday 09:00 in Sydney)", open.In(loc).Format(time.RFC3339))
		}
	}
	closed := time.Date(2024, 1, 14, 9, 0, 0, 0, time.UTC) // Sunday 20:00 in Sydney
	if shop.IsOpen(closed) {
		t.Errorf("IsOpen(%s) = true, want false (Sunday evening in Sydney)", closed.Format(time.RFC3339))
	}
}

func TestAcceptanceIsOpenNilLocationIsUTC(t *testing.T) {
	shop := hours.Shop{Week: map[time.Weekday]hours.Span{
		time.Monday: {Open: clock(t, "09:00"), Close: clock(t, "17:00")},
	}}
	berlin := load(t, "Europe/Berlin")
	tests := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC), true},
		{time.Date(2024, 1, 15, 9, 30, 0, 0, berlin), false}, // 08:30 UTC
		{time.Date(2024, 1, 15, 10, 0, 0, 0, berlin), true},  // 09:00 UTC
		{time.Date(2024, 1, 15, 17, 30, 0, 0, berlin), true}, // 16:30 UTC
		{time.Date(2024, 1, 16, 0, 30, 0, 0, berlin), false}, // Monday 23:30 UTC
	}
	for _, tt := range tests {
		if got := shop.IsOpen(tt.t); got != tt.want {
			t.Errorf("UTC shop: IsOpen(%s) = %v, want %v", tt.t.Format(time.RFC3339), got, tt.want)
		}
	}
}

// Any instant gives the same answer whatever zone it is expressed in, and
// that answer follows the opening hours read as Berlin local times. Two
// weeks around the start of summer time, in 10-minute steps.
func TestAcceptanceIsOpenSameInstantAnyZone(t *testing.T) {
	shop := berlinShop(t)
	zones := []*time.Location{time.UTC, shop.Location, load(t, "America/New_York"), load(t, "Asia/Tokyo"), time.FixedZone("X", -11*3600)}
	start := time.Date(2024, 3, 25, 0, 0, 0, 0, time.UTC)
	for ti := start; ti.Before(start.Add(14 * 24 * time.Hour)); ti = ti.Add(10 * time.Minute) {
		local := ti.In(shop.Location)
		mins := hours.Clock(local.Hour()*60 + local.Minute())
		span, ok := shop.Week[local.Weekday()]
		want := ok && span.Open <= mins && mins < span.Close
		for _, z := range zones {
			if got := shop.IsOpen(ti.In(z)); got != want {
				t.Fatalf("IsOpen(%s) = %v, want %v (%s in Berlin)", ti.In(z).Format(time.RFC3339), got, want, local.Format("Mon 15:04"))
			}
		}
	}
}

func TestAcceptanceUnchanged(t *testing.T) {
	shop := berlinShop(t)
	loc := shop.Location
	for _, tt := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2024, 1, 15, 8, 59, 0, 0, loc), false},
		{time.Date(2024, 1, 15, 9, 0, 0, 0, loc), true},
		{time.Date(2024, 1, 15, 18, 0, 0, 0, loc), false},
		{time.Date(2024, 1, 21, 12, 0, 0, 0, loc), false},
	} {
		if got := shop.IsOpen(tt.t); got != tt.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tt.t.Format(time.RFC3339), got, tt.want)
		}
	}
	next, ok := shop.NextOpening(time.Date(2024, 1, 21, 11, 0, 0, 0, time.UTC))
	if want := time.Date(2024, 1, 22, 9, 0, 0, 0, loc); !ok || !next.Equal(want) {
		t.Errorf("NextOpening(Sunday) = %s, %v; want %s", next, ok, want)
	}
	if _, ok := (hours.Shop{}).NextOpening(time.Now()); ok {
		t.Error("NextOpening of a shop without hours reports true")
	}
	if c, err := hours.ParseClock("24:00"); err != nil || c != 1440 || c.String() != "24:00" {
		t.Errorf("ParseClock(24:00) = %d, %v", c, err)
	}
	if _, err := hours.ParseClock("24:30"); err == nil {
		t.Error("ParseClock(24:30) succeeded")
	}
	allDay := hours.Shop{Location: loc, Week: map[time.Weekday]hours.Span{
		time.Sunday: {Open: 0, Close: clock(t, "24:00")},
	}}
	if !allDay.IsOpen(time.Date(2024, 1, 21, 23, 59, 0, 0, loc)) || allDay.IsOpen(time.Date(2024, 1, 22, 0, 0, 0, 0, loc)) {
		t.Error("a 00:00-24:00 span does not cover exactly the whole day")
	}
}
