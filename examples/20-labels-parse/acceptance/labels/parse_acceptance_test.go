package labels_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"example.com/deployctl/labels"
)

var (
	_ func(string) (labels.Set, error) = labels.Parse
	_ error                            = (*labels.ParseError)(nil)
	_                                  = labels.ParseError{Index: 0, Item: ""}
)

func TestAcceptanceParse(t *testing.T) {
	tests := []struct {
		in   string
		want labels.Set
	}{
		{"", labels.Set{}},
		{" ", labels.Set{}},
		{" \t\n ", labels.Set{}},
		{"env=prod", labels.Set{"env": "prod"}},
		{"env=prod,team=payments", labels.Set{"env": "prod", "team": "payments"}},
		{"team=payments,env=prod", labels.Set{"env": "prod", "team": "payments"}},
		{"env=prod, team=payments", labels.Set{"env": "prod", "team": "payments"}},
		{"  env = prod ,\tteam =payments  ", labels.Set{"env": "prod", "team": "payments"}},
		{"tier=", labels.Set{"tier": ""}},
		{"tier = , env=prod", labels.Set{"tier": "", "env": "prod"}},
		{"query=a=b", labels.Set{"query": "a=b"}},
		{"expr==x", labels.Set{"expr": "=x"}},
		{"expr= =", labels.Set{"expr": "="}},
		{"note=hello world", labels.Set{"note": "hello world"}},
		{"owner=Zoë Müller", labels.Set{"owner": "Zoë Müller"}},
		{"app.kubernetes.io=web,tier-2=x,a_b=Y", labels.Set{"app.kubernetes.io": "web", "tier-2": "x", "a_b": "Y"}},
		{"version=1.2.3", labels.Set{"version": "1.2.3"}},
	}
	for _, tt := range tests {
		got, err := labels.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if got == nil {
			t.Errorf("Parse(%q) returned a nil Set, want a non-nil one", tt.in)
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, map[string]string(got), map[string]string(tt.want))
		}
	}
}

func TestAcceptanceParseEmptyResultIsUsable(t *testing.T) {
	got, err := labels.Parse("")
	if err != nil || got == nil {
		t.Fatalf("Parse(\"\") = %v, %v; want an empty non-nil Set", got, err)
	}
	got["env"] = "prod" // must not panic
}

func TestAcceptanceParseErrors(t *testing.T) {
	tests := []struct {
		in    string
		index int
		item  string
	}{
		// No '='.
		{"env", 0, "env"},
		{"env=prod,team", 1, "team"},
		{"env=prod, team payments ", 1, "team payments"},
		// Invalid keys.
		{"=prod", 0, "=prod"},
		{" = ", 0, "="},
		{"Env=prod", 0, "Env=prod"},
		{"env=prod,2tier=x", 1, "2tier=x"},
		{"env=prod,my key=x", 1, "my key=x"},
		{"env=prod,tëam=x", 1, "tëam=x"},
		{"a=1,b=2,c:3=4", 2, "c:3=4"},
		{strings.Repeat("k", 64) + "=v", 0, strings.Repeat("k", 64) + "=v"},
		// Empty items.
		{",", 0, ""},
		{",env=prod", 0, ""},
		{"a=1,,b=2", 1, ""},
		{"a=1, ,b=2", 1, ""},
		{"a=1,", 1, ""},
		{"a=1,b=2, ", 2, ""},
		// Duplicate keys: the later item is the bad one.
		{"env=prod,env=prod", 1, "env=prod"},
		{"env=prod,team=x,env=dev", 2, "env=dev"},
		{"env=prod,  env = dev  ", 1, "env = dev"},
		// The first bad item is reported.
		{"a=1,bad,Worse=2,", 1, "bad"},
		{"a=1,b=2,a=3,c", 2, "a=3"},
	}
	for _, tt := range tests {
		got, err := labels.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, nil; want a *ParseError", tt.in, got)
			continue
		}
		if got != nil {
			t.Errorf("Parse(%q) returned %v with its error, want a nil Set", tt.in, got)
		}
		var pe *labels.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error %v (%T) is not a *ParseError", tt.in, err, err)
			continue
		}
		if pe.Index != tt.index || pe.Item != tt.item {
			t.Errorf("Parse(%q): ParseError{Index: %d, Item: %q}, want {Index: %d, Item: %q}", tt.in, pe.Index, pe.Item, tt.index, tt.item)
		}
		if !strings.Contains(err.Error(), tt.item) {
			t.Errorf("Parse(%q): error message %q does not mention the item %q", tt.in, err.Error(), tt.item)
		}
	}
}

func TestAcceptanceParseRoundTrip(t *testing.T) {
	sets := []labels.Set{
		{},
		{"env": "prod"},
		{"env": "prod", "team": "payments", "tier": ""},
		{"app.kubernetes.io": "web", "expr": "a=b=c", "note": "two words", "owner": "Zoë"},
	}
	for _, s := range sets {
		got, err := labels.Parse(s.String())
		if err != nil || !maps.Equal(got, s) {
			t.Errorf("Parse(%q) = %v, %v; want %v", s.String(), map[string]string(got), err, map[string]string(s))
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	s := labels.Set{"team": "payments", "env": "prod"}
	if got := s.String(); got != "env=prod,team=payments" {
		t.Errorf("String = %q, want env=prod,team=payments", got)
	}
	if !s.Matches(labels.Set{"env": "prod"}) || s.Matches(labels.Set{"env": "dev"}) {
		t.Errorf("Matches changed")
	}
	if !labels.ValidKey("app.kubernetes.io") || labels.ValidKey("Env") {
		t.Errorf("ValidKey changed")
	}
}
