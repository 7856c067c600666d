package labels

import "testing"

func TestValidKey(t *testing.T) {
	for _, k := range []string{"env", "team", "app.kubernetes.io", "tier-2", "a_b", "x"} {
		if !ValidKey(k) {
			t.Errorf("ValidKey(%q) = false, want true", k)
		}
	}
	for _, k := range []string{"", "Env", "2tier", "-x", "a b", "é", "a=b"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true, want false", k)
		}
	}
}

func TestString(t *testing.T) {
	s := Set{"team": "payments", "env": "prod"}
	if got := s.String(); got != "env=prod,team=payments" {
		t.Errorf("String = %q", got)
	}
	if got := (Set{}).String(); got != "" {
		t.Errorf("empty String = %q", got)
	}
}

func TestMatches(t *testing.T) {
	s := Set{"env": "prod", "team": "payments"}
	if !s.Matches(Set{"env": "prod"}) || !s.Matches(nil) {
		t.Errorf("Matches should be true")
	}
	if s.Matches(Set{"env": "staging"}) || s.Matches(Set{"region": "eu"}) {
		t.Errorf("Matches should be false")
	}
}
