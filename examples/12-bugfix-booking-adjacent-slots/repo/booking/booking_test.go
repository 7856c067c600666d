package booking

import (
	"errors"
	"testing"
	"time"
)

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2024-03-11 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func slot(from, to string) Slot { return Slot{at(from), at(to)} }

func TestOverlaps(t *testing.T) {
	if !slot("10:00", "11:00").Overlaps(slot("10:30", "11:30")) {
		t.Error("10:00-11:00 and 10:30-11:30 should overlap")
	}
	if slot("09:00", "10:00").Overlaps(slot("14:00", "15:00")) {
		t.Error("09:00-10:00 and 14:00-15:00 should not overlap")
	}
}

func TestBook(t *testing.T) {
	var c Calendar
	if err := c.Book(Booking{Room: "Atlas", Title: "planning", Slot: slot("13:00", "14:00")}); err != nil {
		t.Fatalf("Book: %v", err)
	}
	if err := c.Book(Booking{Room: "Atlas", Title: "standup", Slot: slot("09:00", "09:15")}); err != nil {
		t.Fatalf("Book: %v", err)
	}
	err := c.Book(Booking{Room: "atlas", Title: "1:1", Slot: slot("13:30", "14:30")})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("overlapping Book error = %v, want ErrConflict", err)
	}
	got := c.Bookings("ATLAS")
	if len(got) != 2 || got[0].Title != "standup" || got[1].Title != "planning" {
		t.Errorf("Bookings = %+v, want standup then planning", got)
	}
}

func TestBookInvalidSlot(t *testing.T) {
	var c Calendar
	if err := c.Book(Booking{Room: "Atlas", Slot: slot("10:00", "10:00")}); !errors.Is(err, ErrInvalidSlot) {
		t.Errorf("empty slot error = %v, want ErrInvalidSlot", err)
	}
	if err := c.Book(Booking{Room: "Atlas", Slot: slot("11:00", "10:00")}); !errors.Is(err, ErrInvalidSlot) {
		t.Errorf("reversed slot error = %v, want ErrInvalidSlot", err)
	}
}

func TestCancel(t *testing.T) {
	var c Calendar
	if err := c.Book(Booking{Room: "Atlas", Title: "review", Slot: slot("15:00", "16:00")}); err != nil {
		t.Fatalf("Book: %v", err)
	}
	if err := c.Cancel("Atlas", at("15:00")); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := c.Cancel("Atlas", at("15:00")); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Cancel error = %v, want ErrNotFound", err)
	}
	if n := len(c.Bookings("Atlas")); n != 0 {
		t.Errorf("%d bookings left after Cancel, want 0", n)
	}
}
