package catalog

import "testing"

func TestNormalizeISBN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"9780306406157", "9780306406157"},
		{"978-0-306-40615-7", "9780306406157"},
		{"978 0 306 40615 7", "9780306406157"},
		{"0-306-40615-2", "9780306406157"},
		{"0-8044-2957-X", "9780804429573"},
		{"080442957x", "9780804429573"},
		{"979-10-90636-07-1", "9791090636071"},
	}
	for _, tt := range tests {
		if got, err := NormalizeISBN(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeISBNErrors(t *testing.T) {
	for _, in := range []string{"", "0306406153", "9780306406158", "9770306406158", "03064061X2", "0.306.40615.2", "ISBN 0306406152", "030640615"} {
		if got, err := NormalizeISBN(in); err == nil || got != "" {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want \"\" and an error", in, got, err)
		}
	}
}
