package retention

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"36h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
		{" 7d ", 7 * 24 * time.Hour},
		{"0d", 0},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "soon", "12", "-1h"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) succeeded, want error", in)
		}
	}
	if _, err := ParseAge("-3d"); !errors.Is(err, ErrNegative) {
		t.Errorf("ParseAge(-3d) error = %v, want ErrNegative", err)
	}
}

func TestParseRules(t *testing.T) {
	in := "# janitor rules\n\naccess-*.log   30d\n*.dump 36h\n"
	rules, err := ParseRules(strings.NewReader(in))
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	if len(rules) != 2 || rules[0] != (Rule{"access-*.log", 30 * 24 * time.Hour}) || rules[1] != (Rule{"*.dump", 36 * time.Hour}) {
		t.Errorf("rules = %+v", rules)
	}
	for _, bad := range []string{"*.log\n", "*.log 1d extra\n", "[*.log 1d\n", "*.log forever\n"} {
		if _, err := ParseRules(strings.NewReader("# ok\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("ParseRules(%q) error = %v, want one mentioning line 2", bad, err)
		}
	}
}

func TestMatchAndExpired(t *testing.T) {
	rules := []Rule{{"access-*.log", 24 * time.Hour}, {"*.log", 7 * 24 * time.Hour}}
	r, ok := Match(rules, "/var/log/app/access-2024-03-01.log")
	if !ok || r.Pattern != "access-*.log" {
		t.Fatalf("Match = %+v, %v; want the access rule", r, ok)
	}
	if _, ok := Match(rules, "/var/log/app/core.dump"); ok {
		t.Error("Match found a rule for core.dump")
	}
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	if !r.Expired(now.Add(-25*time.Hour), now) || r.Expired(now.Add(-23*time.Hour), now) {
		t.Error("Expired is wrong around MaxAge")
	}
}
