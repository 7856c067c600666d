package command

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

var (
	// ErrInvalid is returned by Register for a malformed command.
	ErrInvalid = errors.New("command: invalid command")
	// ErrDuplicate is returned by Register when the name is already taken.
	ErrDuplicate = errors.New("command: duplicate command")
	// ErrUnknown is returned by Dispatch for a command that is not registered.
	ErrUnknown = errors.New("command: unknown command")
	// ErrUsage is returned by Dispatch when too few arguments are given.
	ErrUsage = errors.New("command: wrong usage")
	// ErrNotCommand is returned by Dispatch for a line without the prefix.
	ErrNotCommand = errors.New("command: not a command")
)

// Registry holds the registered commands. The zero value is not usable;
// call NewRegistry.
type Registry struct {
	commands map[string]Command
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{commands: make(map[string]Command)}
}

// Register adds c. It fails with ErrInvalid if c is malformed and with
// ErrDuplicate if its name is already registered; the registry is not
// changed on error.
func (r *Registry) Register(c Command) error {
	if err := c.validate(); err != nil {
		return err
	}
	if _, ok := r.commands[c.Name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, c.Name)
	}
	r.commands[c.Name] = c
	return nil
}

// Lookup returns the command registered under name. Names are matched
// case-insensitively.
func (r *Registry) Lookup(name string) (Command, bool) {
	c, ok := r.commands[strings.ToLower(name)]
	return c, ok
}

// Names returns the names of all registered commands in sorted order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.commands))
	for name := range r.commands {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Dispatch runs the command on a chat line such as "!deploy api staging"
// and returns its reply.
func (r *Registry) Dispatch(line string) (string, error) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, Prefix) {
		return "", ErrNotCommand
	}
	fields := strings.Fields(strings.TrimPrefix(line, Prefix))
	if len(fields) == 0 {
		return "", ErrNotCommand
	}
	c, ok := r.Lookup(fields[0])
	if !ok {
		return "", fmt.Errorf("%w: %s%s", ErrUnknown, Prefix, fields[0])
	}
	args := fields[1:]
	if len(args) < c.MinArgs {
		return "", fmt.Errorf("%w: usage: %s%s", ErrUsage, Prefix, c.Usage)
	}
	return c.Run(args)
}

// Help returns one line per command, sorted by name, e.g.
//
//	!deploy - Deploy a service
//	!ping - Check that the bot is alive
func (r *Registry) Help() string {
	var b strings.Builder
	for _, name := range r.Names() {
		b.WriteString(r.commands[name].helpLine())
		b.WriteByte('\n')
	}
	return b.String()
}
