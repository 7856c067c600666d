package labels

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	got, err := Parse(" env = prod , team=payments,tier=,query=a=b ")
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := Set{"env": "prod", "team": "payments", "tier": "", "query": "a=b"}
	if got.String() != want.String() || len(got) != len(want) {
		t.Errorf("Parse = %v, want %v", got, want)
	}
	for _, in := range []string{"", "   "} {
		if got, err := Parse(in); err != nil || got == nil || len(got) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want an empty Set", in, got, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in    string
		index int
		item  string
	}{
		{"env", 0, "env"},
		{"env=prod, Team=x", 1, "Team=x"},
		{"a=1,,b=2", 1, ""},
		{"a=1,", 1, ""},
		{"env=prod, env = dev", 1, "env = dev"},
		{"=x", 0, "=x"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		var pe *ParseError
		if got != nil || !errors.As(err, &pe) || pe.Index != tt.index || pe.Item != tt.item {
			t.Errorf("Parse(%q) = %v, %v; want nil and ParseError{%d, %q}", tt.in, got, err, tt.index, tt.item)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	s := Set{"env": "prod", "team": "payments", "empty": ""}
	got, err := Parse(s.String())
	if err != nil || got.String() != s.String() {
		t.Errorf("Parse(%q) = %v, %v", s.String(), got, err)
	}
}
