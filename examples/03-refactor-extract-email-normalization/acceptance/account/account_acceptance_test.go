package account_test

import (
	"errors"
	"testing"

	"example.com/accounts/account"
)

// The task requires this exact exported API.
var (
	_ func(string) (string, error)                = account.NormalizeEmail
	_ func(string, string) (*account.User, error) = account.NewUser
	_ func(*account.User, string) error           = (*account.User).SetEmail
)

var emailCases = []struct {
	in   string
	want string
	err  error
}{
	{"ada@example.com", "ada@example.com", nil},
	{"  Ada@Example.COM ", "ada@example.com", nil},
	{"\tbob.smith@mail.example.org\n", "bob.smith@mail.example.org", nil},
	{"x@y.z", "x@y.z", nil},
	{"", "", account.ErrEmptyEmail},
	{"   ", "", account.ErrEmptyEmail},
	{"ada.example.com", "", account.ErrInvalidEmail},
	{"ada@@example.com", "", account.ErrInvalidEmail},
	{"a@b@example.com", "", account.ErrInvalidEmail},
	{"@example.com", "", account.ErrInvalidEmail},
	{"ada@", "", account.ErrInvalidEmail},
	{"ada@example", "", account.ErrInvalidEmail},
	{"ada@.example.com", "", account.ErrInvalidEmail},
	{"ada@example.com.", "", account.ErrInvalidEmail},
	{"ada lovelace@example.com", "", account.ErrInvalidEmail},
	{"ada@exa\tmple.com", "", account.ErrInvalidEmail},
}

func TestAcceptanceNormalizeEmail(t *testing.T) {
	for _, tt := range emailCases {
		got, err := account.NormalizeEmail(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("NormalizeEmail(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestAcceptanceNewUserUnchanged(t *testing.T) {
	for _, tt := range emailCases {
		u, err := account.NewUser(" Ada ", tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) || u != nil {
				t.Errorf("NewUser(_, %q) = %+v, %v; want nil, %v", tt.in, u, err, tt.err)
			}
			continue
		}
		if err != nil || u == nil || u.Email != tt.want || u.Name != "Ada" {
			t.Errorf("NewUser(_, %q) = %+v, %v; want Name Ada, Email %q", tt.in, u, err, tt.want)
		}
	}
	if _, err := account.NewUser("  ", "ada@example.com"); !errors.Is(err, account.ErrEmptyName) {
		t.Errorf("NewUser with blank name error = %v, want ErrEmptyName", err)
	}
	// The name is checked before the email.
	if _, err := account.NewUser("", "bad"); !errors.Is(err, account.ErrEmptyName) {
		t.Errorf("NewUser(%q, %q) error = %v, want ErrEmptyName", "", "bad", err)
	}
}

func TestAcceptanceSetEmailUnchanged(t *testing.T) {
	for _, tt := range emailCases {
		u := &account.User{Name: "Ada", Email: "old@example.com"}
		err := u.SetEmail(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("SetEmail(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if u.Email != "old@example.com" {
				t.Errorf("SetEmail(%q) failed but changed Email to %q", tt.in, u.Email)
			}
			continue
		}
		if err != nil || u.Email != tt.want {
			t.Errorf("SetEmail(%q): Email = %q, err = %v; want %q, nil", tt.in, u.Email, err, tt.want)
		}
	}
}
