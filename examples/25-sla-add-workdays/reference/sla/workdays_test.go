package sla

import (
	"testing"
	"time"
)

func TestAddWorkdays(t *testing.T) {
	c, err := NewCalendar("2024-12-25", "2024-12-26", "2025-01-01")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2024-11-01 10:30", 1, "2024-11-04 10:30"},  // Friday -> Monday
		{"2024-11-02 10:30", 1, "2024-11-04 10:30"},  // Saturday -> Monday
		{"2024-11-04 10:30", -1, "2024-11-01 10:30"}, // Monday -> Friday
		{"2024-11-04 10:30", 5, "2024-11-11 10:30"},
		{"2024-11-03 10:30", 0, "2024-11-03 10:30"},
		{"2024-12-24 09:00", 1, "2024-12-27 09:00"}, // over two holidays
		{"2024-12-31 09:00", 1, "2025-01-02 09:00"},
		{"2025-01-02 09:00", -2, "2024-12-30 09:00"},
	}
	for _, tt := range tests {
		got := c.AddWorkdays(date(tt.from), tt.n)
		if want := date(tt.want); !got.Equal(want) {
			t.Errorf("AddWorkdays(%s, %d) = %v, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestAddWorkdaysLocalDate(t *testing.T) {
	c, _ := NewCalendar()
	est := time.FixedZone("EST", -5*3600)
	fri := time.Date(2024, 3, 1, 23, 30, 0, 0, est) // already Saturday in UTC
	want := time.Date(2024, 3, 4, 23, 30, 0, 0, est)
	if got := c.AddWorkdays(fri, 1); !got.Equal(want) || got.Location() != est {
		t.Errorf("AddWorkdays(%v, 1) = %v, want %v", fri, got, want)
	}
}
