package booking_test

import (
	"errors"
	"testing"
	"time"

	"example.com/roombook/booking"
)

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2024-03-11 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func slot(from, to string) booking.Slot {
	return booking.Slot{Start: at(from), End: at(to)}
}

func TestAcceptanceOverlaps(t *testing.T) {
	tests := []struct {
		a, b booking.Slot
		want bool
	}{
		// back to back: no overlap
		{slot("10:00", "10:30"), slot("10:30", "11:00"), false},
		{slot("10:30", "11:00"), slot("10:00", "10:30"), false},
		{slot("09:30", "10:00"), slot("10:00", "10:30"), false},
		// disjoint with a gap
		{slot("09:00", "10:00"), slot("14:00", "15:00"), false},
		{slot("14:00", "15:00"), slot("09:00", "10:00"), false},
		// partial overlaps
		{slot("10:00", "10:30"), slot("10:15", "10:45"), true},
		{slot("10:15", "10:45"), slot("10:00", "10:30"), true},
		{slot("10:00", "10:30"), slot("10:29", "11:00"), true},
		{slot("10:29", "11:00"), slot("10:00", "10:30"), true},
		// containment and equality
		{slot("10:00", "12:00"), slot("10:30", "11:00"), true},
		{slot("10:30", "11:00"), slot("10:00", "12:00"), true},
		{slot("10:00", "11:00"), slot("10:00", "11:00"), true},
		{slot("10:00", "11:00"), slot("10:00", "10:30"), true},
		{slot("10:00", "11:00"), slot("10:30", "11:00"), true},
	}
	for _, tt := range tests {
		if got := tt.a.Overlaps(tt.b); got != tt.want {
			t.Errorf("%s.Overlaps(%s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestAcceptanceBookBackToBack(t *testing.T) {
	var c booking.Calendar
	book := func(title, from, to string) error {
		return c.Book(booking.Booking{Room: "Atlas", Title: title, Slot: slot(from, to)})
	}
	if err := book("standup", "10:00", "10:30"); err != nil {
		t.Fatalf("Book standup: %v", err)
	}
	if err := book("after", "10:30", "11:00"); err != nil {
		t.Errorf("booking 10:30-11:00 right after 10:00-10:30: %v", err)
	}
	if err := book("before", "09:30", "10:00"); err != nil {
		t.Errorf("booking 09:30-10:00 right before 10:00-10:30: %v", err)
	}
	got := c.Bookings("atlas")
	want := []string{"before", "standup", "after"}
	if len(got) != len(want) {
		t.Fatalf("Bookings = %+v, want %v", got, want)
	}
	for i := range want {
		if got[i].Title != want[i] {
			t.Errorf("Bookings[%d].Title = %q, want %q", i, got[i].Title, want[i])
		}
	}
}

func TestAcceptanceBookStillRejectsOverlaps(t *testing.T) {
	var c booking.Calendar
	if err := c.Book(booking.Booking{Room: "Atlas", Title: "standup", Slot: slot("10:00", "10:30")}); err != nil {
		t.Fatalf("Book standup: %v", err)
	}
	for _, s := range []booking.Slot{
		slot("10:15", "10:45"),
		slot("09:45", "10:15"),
		slot("10:05", "10:25"),
		slot("09:00", "12:00"),
		slot("10:00", "10:30"),
		slot("10:29", "10:30"),
		slot("10:00", "10:01"),
	} {
		err := c.Book(booking.Booking{Room: "ATLAS", Title: "clash", Slot: s})
		if !errors.Is(err, booking.ErrConflict) {
			t.Errorf("Book(%s) over the standup: error = %v, want ErrConflict", s, err)
		}
	}
	if n := len(c.Bookings("Atlas")); n != 1 {
		t.Errorf("%d bookings after rejected clashes, want 1", n)
	}
	// Other rooms are independent.
	if err := c.Book(booking.Booking{Room: "Borealis", Title: "other", Slot: slot("10:00", "10:30")}); err != nil {
		t.Errorf("Book in another room: %v", err)
	}
}

func TestAcceptanceInvalidSlotsUnchanged(t *testing.T) {
	var c booking.Calendar
	for _, s := range []booking.Slot{slot("10:00", "10:00"), slot("11:00", "10:00")} {
		if err := c.Book(booking.Booking{Room: "Atlas", Slot: s}); !errors.Is(err, booking.ErrInvalidSlot) {
			t.Errorf("Book(%s) error = %v, want ErrInvalidSlot", s, err)
		}
	}
	if err := c.Cancel("Atlas", at("10:00")); !errors.Is(err, booking.ErrNotFound) {
		t.Errorf("Cancel on empty calendar error = %v, want ErrNotFound", err)
	}
}
