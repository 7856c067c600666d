package account

import (
	"errors"
	"testing"
)

func TestNewUser(t *testing.T) {
	u, err := NewUser("  Ada ", "  Ada@Example.COM ")
	if err != nil {
		t.Fatalf("NewUser error: %v", err)
	}
	if u.Name != "Ada" || u.Email != "ada@example.com" {
		t.Errorf("NewUser = %+v, want Name Ada, Email ada@example.com", u)
	}
}

func TestNewUserErrors(t *testing.T) {
	tests := []struct {
		name, email string
		want        error
	}{
		{"", "ada@example.com", ErrEmptyName},
		{"Ada", "   ", ErrEmptyEmail},
		{"Ada", "ada.example.com", ErrInvalidEmail},
		{"Ada", "ada@example", ErrInvalidEmail},
	}
	for _, tt := range tests {
		if _, err := NewUser(tt.name, tt.email); !errors.Is(err, tt.want) {
			t.Errorf("NewUser(%q, %q) error = %v, want %v", tt.name, tt.email, err, tt.want)
		}
	}
}

func TestSetEmail(t *testing.T) {
	u := &User{Name: "Ada", Email: "ada@example.com"}
	if err := u.SetEmail(" Lovelace@Example.org"); err != nil {
		t.Fatalf("SetEmail error: %v", err)
	}
	if u.Email != "lovelace@example.org" {
		t.Errorf("Email = %q, want %q", u.Email, "lovelace@example.org")
	}
	if err := u.SetEmail("not-an-email"); !errors.Is(err, ErrInvalidEmail) {
		t.Errorf("SetEmail(%q) error = %v, want ErrInvalidEmail", "not-an-email", err)
	}
	if u.Email != "lovelace@example.org" {
		t.Errorf("Email changed to %q after a failed SetEmail", u.Email)
	}
}
