package redact

import "testing"

func TestName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"X", "X"},
		{"Ada Lovelace", "A** L*******"},
		{"Jean-Luc Picard", "J***-L** P*****"},
		{"  Grace  Hopper ", "  G****  H***** "},
		{"Li", "L*"},
	}
	for _, tt := range tests {
		if got := Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ada@example.com", "a**@example.com"},
		{"a@example.com", "a@example.com"},
		{"first.last+tag@mail.example.org", "f*************@mail.example.org"},
		{"not-an-address", "n*************"},
	}
	for _, tt := range tests {
		if got := Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDigits(t *testing.T) {
	tests := []struct {
		in   string
		keep int
		want string
	}{
		{"4111 1111 1111 1234", 4, "**** **** **** 1234"},
		{"+44 20 7946 0958", 3, "+** ** **** *958"},
		{"12", 4, "12"},
		{"123", 0, "***"},
	}
	for _, tt := range tests {
		if got := Digits(tt.in, tt.keep); got != tt.want {
			t.Errorf("Digits(%q, %d) = %q, want %q", tt.in, tt.keep, got, tt.want)
		}
	}
}
