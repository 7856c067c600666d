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
	// ErrDuplicate is returned by Register when a name or alias is already
	// taken.
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
	aliases  map[string]string // alias -> command name
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{commands: make(map[string]Command), aliases: make(map[string]string)}
}

// Register adds c. It fails with ErrInvalid if c is malformed and with
// ErrDuplicate if its name or one of its aliases is already a registered
// name or alias, or if c repeats a name in its own aliases. The registry is
// not changed on error.
func (r *Registry) Register(c Command) error {
	if err := c.validate(); err != nil {
		return err
	}
	seen := make(map[string]bool)
	for _, name := range c.names() {
		if seen[name] || r.taken(name) {
			return fmt.Errorf("%w: %q", ErrDuplicate, name)
		}
		seen[name] = true
	}
	r.commands[c.Name] = c
	for _, alias := range c.Aliases {
		r.aliases[alias] = c.Name
	}
	return nil
}

// taken reports whether name is a registered name or alias.
func (r *Registry) taken(name string) bool {
	_, isName := r.commands[name]
	_, isAlias := r.aliases[name]
	return isName || isAlias
}

// Lookup returns the command registered under name, which may also be one
// of its aliases. Names are matched case-insensitively.
func (r *Registry) Lookup(name string) (Command, bool) {
	name = strings.ToLower(name)
	if target, ok := r.aliases[name]; ok {
		name = target
	}
	c, ok := r.commands[name]
	return c, ok
}

// Names returns the names of all registered commands in sorted order.
// Aliases are not included.
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

// Help returns one line per command, sorted by name, with its aliases in
// the order they were given, e.g.
//
//	!deploy (aliases: !d, !ship) - Deploy a service
//	!ping - Check that the bot is alive
func (r *Registry) Help() string {
	var b strings.Builder
	for _, name := range r.Names() {
		b.WriteString(r.commands[name].helpLine())
		b.WriteByte('\n')
	}
	return b.String()
}
