// Package account manages user accounts.
package account

import (
	"errors"
	"strings"
)

// ErrEmptyEmail is returned when an email address is empty or only whitespace.
var ErrEmptyEmail = errors.New("account: email is empty")

// ErrInvalidEmail is returned when an email address is malformed.
var ErrInvalidEmail = errors.New("account: email is invalid")

// ErrEmptyName is returned when a display name is empty.
var ErrEmptyName = errors.New("account: name is empty")

// User is a registered user.
type User struct {
	Name  string
	Email string
}

// NormalizeEmail trims surrounding whitespace from email, lower-cases it and
// checks that it is well formed. It returns the normalized address, or
// ErrEmptyEmail or ErrInvalidEmail.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", ErrEmptyEmail
	}
	if strings.Count(email, "@") != 1 {
		return "", ErrInvalidEmail
	}
	at := strings.IndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if local == "" || domain == "" {
		return "", ErrInvalidEmail
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", ErrInvalidEmail
	}
	if strings.ContainsAny(email, " \t\r\n") {
		return "", ErrInvalidEmail
	}
	return email, nil
}

// NewUser creates a user. The email address is trimmed and lower-cased
// before it is stored.
func NewUser(name, email string) (*User, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, ErrEmptyName
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	return &User{Name: name, Email: email}, nil
}

// SetEmail changes the user's email address. The address is trimmed and
// lower-cased before it is stored. On error the user is left unchanged.
func (u *User) SetEmail(email string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	u.Email = email
	return nil
}
