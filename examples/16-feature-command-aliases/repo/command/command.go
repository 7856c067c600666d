// Package command implements the chat commands of the ops bot, such as
// "!deploy api staging": a Registry maps command names to handlers and
// dispatches chat lines to them.
package command

import (
	"fmt"
	"strings"
	"unicode"
)

// Prefix starts every command line.
const Prefix = "!"

// Handler runs a command. args are the words after the command name.
type Handler func(args []string) (reply string, err error)

// Command describes one chat command.
type Command struct {
	// Name is what users type after the prefix, e.g. "deploy". It must be
	// a valid name (see ValidName).
	Name string
	// Usage shows the arguments, e.g. "deploy <service> <env>".
	Usage string
	// Summary is a one-line description for the help text.
	Summary string
	// MinArgs is the number of arguments the command needs at least.
	MinArgs int
	// Run handles the command.
	Run Handler
}

// ValidName reports whether name can be used as a command name: one or more
// lower-case ASCII letters, digits or hyphens, starting with a letter.
func ValidName(name string) bool {
	if name == "" || !isLower(rune(name[0])) {
		return false
	}
	for _, r := range name {
		if !isLower(r) && !unicode.IsDigit(r) && r != '-' {
			return false
		}
	}
	return true
}

func isLower(r rune) bool { return r >= 'a' && r <= 'z' }

// validate checks the command's own fields.
func (c Command) validate() error {
	if !ValidName(c.Name) {
		return fmt.Errorf("%w: bad name %q", ErrInvalid, c.Name)
	}
	if c.Run == nil {
		return fmt.Errorf("%w: command %q has no handler", ErrInvalid, c.Name)
	}
	if c.MinArgs < 0 {
		return fmt.Errorf("%w: command %q has negative MinArgs", ErrInvalid, c.Name)
	}
	return nil
}

// helpLine returns the command's line in the help text.
func (c Command) helpLine() string {
	return Prefix + c.Name + " - " + strings.TrimSpace(c.Summary)
}
