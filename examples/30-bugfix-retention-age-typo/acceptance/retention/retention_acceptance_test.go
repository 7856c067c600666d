package retention_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"example.com/janitor/retention"
)

const day = 24 * time.Hour

func TestAcceptanceParseAgeRejectsBadDaysAndWeeks(t *testing.T) {
	for _, in := range []string{
		"1Od", // letter O, from the report
		"3Ow",
		"1.5w",
		"2.5d",
		"d",
		"w",
		" d ",
		"7dd",
		"2ww",
		"x3d",
		"1e3d",
		"0x10d",
		"five d",
		"3hd",
		"1 0d",
	} {
		got, err := retention.ParseAge(in)
		if err == nil {
			t.Errorf("ParseAge(%q) = %v, nil; want an error", in, got)
			continue
		}
		if errors.Is(err, retention.ErrNegative) {
			t.Errorf("ParseAge(%q) error = %v; it is not a negative age", in, err)
		}
		if got != 0 {
			t.Errorf("ParseAge(%q) = %v with an error, want 0", in, got)
		}
	}
}

func TestAcceptanceParseRulesReportsBadAge(t *testing.T) {
	tests := []struct {
		in   string
		line string
	}{
		{"# janitor rules\n*.dump 36h\naccess-*.log   1Od\n", "line 3"},
		{"access-*.log 1.5w\n", "line 1"},
		{"\n\n*.tmp d\n*.log 30d\n", "line 3"},
		{"*.log 30d\n*.gz 7dd\n", "line 2"},
	}
	for _, tt := range tests {
		rules, err := retention.ParseRules(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("ParseRules(%q) = %+v, nil; want an error", tt.in, rules)
			continue
		}
		if !strings.Contains(err.Error(), tt.line) {
			t.Errorf("ParseRules(%q) error = %v, want one mentioning %q", tt.in, err, tt.line)
		}
		if rules != nil {
			t.Errorf("ParseRules(%q) returned rules %+v with an error", tt.in, rules)
		}
	}
}

func TestAcceptanceParseAgeValidUnchanged(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * day},
		{"1d", day},
		{"365d", 365 * day},
		{"10d", 10 * day},
		{"2w", 14 * day},
		{"52w", 364 * day},
		{"0d", 0},
		{"0w", 0},
		{"0s", 0},
		{"0", 0},
		{"36h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{" 7d ", 7 * day},
		{"\t2w\n", 14 * day},
	}
	for _, tt := range tests {
		got, err := retention.ParseAge(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "soon", "12", "30 days", "forever"} {
		if _, err := retention.ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) succeeded, want an error", in)
		}
	}
	for _, in := range []string{"-3d", "-1w", "-1h"} {
		if _, err := retention.ParseAge(in); !errors.Is(err, retention.ErrNegative) {
			t.Errorf("ParseAge(%q) error = %v, want ErrNegative", in, err)
		}
	}
}

func TestAcceptanceRulesUnchanged(t *testing.T) {
	in := "# keep access logs for a month, debug dumps for a day\n\naccess-*.log   30d\n*.dump 36h\n*.tmp 0d\n*.gz 2w\n"
	rules, err := retention.ParseRules(strings.NewReader(in))
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	want := []retention.Rule{
		{Pattern: "access-*.log", MaxAge: 30 * day},
		{Pattern: "*.dump", MaxAge: 36 * time.Hour},
		{Pattern: "*.tmp", MaxAge: 0},
		{Pattern: "*.gz", MaxAge: 14 * day},
	}
	if len(rules) != len(want) {
		t.Fatalf("ParseRules = %+v, want %+v", rules, want)
	}
	for i := range want {
		if rules[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, rules[i], want[i])
		}
	}
	for _, bad := range []string{"*.log\n", "*.log 1d extra\n", "[*.log 1d\n", "*.log forever\n", "*.log -2d\n"} {
		if _, err := retention.ParseRules(strings.NewReader("# ok\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("ParseRules(%q) error = %v, want one mentioning line 2", bad, err)
		}
	}

	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	r, ok := retention.Match(rules, "/var/log/web/access-2024-02-01.log")
	if !ok || r.Pattern != "access-*.log" {
		t.Fatalf("Match = %+v, %v; want the access-*.log rule", r, ok)
	}
	if r.Expired(now.Add(-29*day), now) || !r.Expired(now.Add(-31*day), now) {
		t.Error("30d rule: Expired wrong around 30 days")
	}
	if _, ok := retention.Match(rules, "/var/log/web/error.log"); ok {
		t.Error("Match found a rule for error.log")
	}
}
