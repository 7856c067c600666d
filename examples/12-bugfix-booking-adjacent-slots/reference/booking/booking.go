// Package booking keeps track of meeting-room reservations and rejects
// bookings that would double-book a room.
package booking

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrInvalidSlot is returned when a slot does not end after it starts.
var ErrInvalidSlot = errors.New("booking: slot must end after it starts")

// ErrConflict is returned when a booking overlaps an existing booking of
// the same room.
var ErrConflict = errors.New("booking: slot conflicts with an existing booking")

// ErrNotFound is returned by Cancel when there is no such booking.
var ErrNotFound = errors.New("booking: no such booking")

// Slot is the time interval [Start, End). A meeting that ends at 11:00 no
// longer occupies the room at 11:00.
type Slot struct {
	Start, End time.Time
}

// Valid reports whether the slot ends after it starts.
func (s Slot) Valid() bool { return s.End.After(s.Start) }

// Duration returns the length of the slot.
func (s Slot) Duration() time.Duration { return s.End.Sub(s.Start) }

// Overlaps reports whether s and o have any instant in common.
func (s Slot) Overlaps(o Slot) bool {
	return s.Start.Before(o.End) && o.Start.Before(s.End)
}

// String formats the slot as "15:04-15:04".
func (s Slot) String() string {
	return s.Start.Format("15:04") + "-" + s.End.Format("15:04")
}

// Booking is one reservation of a room.
type Booking struct {
	Room  string
	Title string
	Slot  Slot
}

// Calendar holds the bookings of all rooms. The zero value is ready to use.
// A Calendar is not safe for concurrent use.
type Calendar struct {
	rooms map[string][]Booking
}

// Book adds b to the calendar. It fails with ErrInvalidSlot if the slot is
// empty or reversed, and with ErrConflict if the room is already booked for
// part of the slot. Room names are case-insensitive.
func (c *Calendar) Book(b Booking) error {
	if !b.Slot.Valid() {
		return fmt.Errorf("%w: %s", ErrInvalidSlot, b.Slot)
	}
	key := roomKey(b.Room)
	for _, existing := range c.rooms[key] {
		if existing.Slot.Overlaps(b.Slot) {
			return fmt.Errorf("%w: %q (%s)", ErrConflict, existing.Title, existing.Slot)
		}
	}
	if c.rooms == nil {
		c.rooms = make(map[string][]Booking)
	}
	list := append(c.rooms[key], b)
	sort.Slice(list, func(i, j int) bool { return list[i].Slot.Start.Before(list[j].Slot.Start) })
	c.rooms[key] = list
	return nil
}

// Cancel removes the booking of room that starts at start.
func (c *Calendar) Cancel(room string, start time.Time) error {
	key := roomKey(room)
	list := c.rooms[key]
	for i, b := range list {
		if b.Slot.Start.Equal(start) {
			c.rooms[key] = append(list[:i:i], list[i+1:]...)
			return nil
		}
	}
	return ErrNotFound
}

// Bookings returns the bookings of room, ordered by start time.
func (c *Calendar) Bookings(room string) []Booking {
	list := c.rooms[roomKey(room)]
	out := make([]Booking, len(list))
	copy(out, list)
	return out
}

func roomKey(room string) string {
	return strings.ToLower(strings.TrimSpace(room))
}
