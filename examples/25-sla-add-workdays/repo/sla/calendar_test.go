package sla

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewCalendar(t *testing.T) {
	if _, err := NewCalendar("2024-12-25", "2025-01-01"); err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	if _, err := NewCalendar("2024-13-01"); err == nil {
		t.Errorf("NewCalendar accepted month 13")
	}
	if _, err := NewCalendar("25.12.2024"); err == nil {
		t.Errorf("NewCalendar accepted a German date")
	}
}

func TestIsWorkday(t *testing.T) {
	c, err := NewCalendar("2024-12-25")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   string
		want bool
	}{
		{"2024-12-23 09:00", true},  // Monday
		{"2024-12-24 23:59", true},  // Tuesday
		{"2024-12-25 09:00", false}, // holiday
		{"2024-12-28 09:00", false}, // Saturday
		{"2024-12-29 09:00", false}, // Sunday
	}
	for _, tt := range tests {
		if got := c.IsWorkday(date(tt.at)); got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestIsWorkdayUsesLocalDate(t *testing.T) {
	c, _ := NewCalendar("2024-12-25")
	// 20:00 on Christmas Eve in Los Angeles is already the 25th in UTC.
	la := time.FixedZone("PST", -8*3600)
	eve := time.Date(2024, 12, 24, 20, 0, 0, 0, la)
	if !c.IsWorkday(eve) {
		t.Errorf("IsWorkday(%v) = false, want true", eve)
	}
	if c.IsWorkday(eve.UTC()) {
		t.Errorf("IsWorkday(%v) = true, want false", eve.UTC())
	}
}
