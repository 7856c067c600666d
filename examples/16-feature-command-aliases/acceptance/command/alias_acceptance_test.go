package command_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"example.com/opsbot/command"
)

var _ []string = command.Command{}.Aliases

func echo(args []string) (string, error) { return strings.Join(args, " "), nil }

func reply(text string) command.Handler {
	return func([]string) (string, error) { return text, nil }
}

func newRegistry(t *testing.T) *command.Registry {
	t.Helper()
	r := command.NewRegistry()
	for _, c := range []command.Command{
		{Name: "ping", Usage: "ping", Summary: "Check that the bot is alive", Run: reply("pong")},
		{Name: "deploy", Aliases: []string{"d", "ship"}, Usage: "deploy <service> <env>", Summary: "Deploy a service", MinArgs: 2, Run: echo},
		{Name: "status", Aliases: []string{"st"}, Usage: "status [service]", Summary: "Show service status", Run: reply("all green")},
	} {
		if err := r.Register(c); err != nil {
			t.Fatalf("Register(%q, aliases %q): %v", c.Name, c.Aliases, err)
		}
	}
	return r
}

const wantHelp = "!deploy (aliases: !d, !ship) - Deploy a service\n" +
	"!ping - Check that the bot is alive\n" +
	"!status (aliases: !st) - Show service status\n"

func TestAcceptanceDispatchByAlias(t *testing.T) {
	r := newRegistry(t)
	tests := []struct{ line, want string }{
		{"!deploy api staging", "api staging"},
		{"!d api staging", "api staging"},
		{"!ship api prod", "api prod"},
		{"  !SHIP  api   prod ", "api prod"},
		{"!D web qa", "web qa"},
		{"!st", "all green"},
		{"!St api", "all green"},
		{"!ping", "pong"},
	}
	for _, tt := range tests {
		got, err := r.Dispatch(tt.line)
		if err != nil || got != tt.want {
			t.Errorf("Dispatch(%q) = %q, %v; want %q, nil", tt.line, got, err, tt.want)
		}
	}
	_, err := r.Dispatch("!d api")
	if !errors.Is(err, command.ErrUsage) {
		t.Errorf("Dispatch(%q) error = %v, want ErrUsage", "!d api", err)
	} else if !strings.Contains(err.Error(), "usage: !deploy <service> <env>") {
		t.Errorf("Dispatch(%q) error = %q, want the deploy usage", "!d api", err)
	}
	for _, line := range []string{"!s", "!dep", "!sh", "!deploy-api x y"} {
		if _, err := r.Dispatch(line); !errors.Is(err, command.ErrUnknown) {
			t.Errorf("Dispatch(%q) error = %v, want ErrUnknown", line, err)
		}
	}
}

func TestAcceptanceLookupByAlias(t *testing.T) {
	r := newRegistry(t)
	for _, name := range []string{"deploy", "d", "ship", "SHIP", "Deploy"} {
		c, ok := r.Lookup(name)
		if !ok || c.Name != "deploy" || c.Usage != "deploy <service> <env>" {
			t.Errorf("Lookup(%q) = %+v, %v; want the deploy command", name, c, ok)
			continue
		}
		if !reflect.DeepEqual(c.Aliases, []string{"d", "ship"}) {
			t.Errorf("Lookup(%q).Aliases = %q, want [d ship]", name, c.Aliases)
		}
	}
	if _, ok := r.Lookup("x"); ok {
		t.Error("Lookup(x) found a command")
	}
}

func TestAcceptanceNamesAndHelp(t *testing.T) {
	r := newRegistry(t)
	if got, want := r.Names(), []string{"deploy", "ping", "status"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if got := r.Help(); got != wantHelp {
		t.Errorf("Help() =\n%s\nwant\n%s", got, wantHelp)
	}
}

func TestAcceptanceRegisterConflicts(t *testing.T) {
	r := newRegistry(t)
	tests := []struct {
		name    string
		aliases []string
	}{
		{"d", nil},                           // name is an existing alias
		{"st", []string{"x"}},                // name is an existing alias
		{"ping", []string{"p"}},              // name is an existing name
		{"rollback", []string{"ping"}},       // alias is an existing name
		{"rollback", []string{"rb", "ship"}}, // alias is an existing alias
		{"rollback", []string{"rb", "deploy"}},
		{"rollback", []string{"rollback"}}, // alias is its own name
		{"rollback", []string{"rb", "rb"}}, // alias repeated
		{"rollback", []string{"rb", "undo", "rb"}},
	}
	for _, tt := range tests {
		err := r.Register(command.Command{Name: tt.name, Aliases: tt.aliases, Summary: "x", Run: echo})
		if !errors.Is(err, command.ErrDuplicate) {
			t.Errorf("Register(%q, aliases %q) error = %v, want ErrDuplicate", tt.name, tt.aliases, err)
		}
	}
	// Nothing of the rejected commands may have been registered.
	for _, name := range []string{"rollback", "rb", "undo", "p", "x"} {
		if c, ok := r.Lookup(name); ok {
			t.Errorf("after rejected Register calls, Lookup(%q) = %+v", name, c)
		}
	}
	if got := r.Help(); got != wantHelp {
		t.Errorf("Help() changed by rejected Register calls:\n%s", got)
	}
	if got, err := r.Dispatch("!d api qa"); err != nil || got != "api qa" {
		t.Errorf("Dispatch(!d api qa) after rejected Register calls = %q, %v", got, err)
	}
	if got, err := r.Dispatch("!ping"); err != nil || got != "pong" {
		t.Errorf("Dispatch(!ping) after rejected Register calls = %q, %v", got, err)
	}

	// The names are free again, so a clean registration works.
	if err := r.Register(command.Command{Name: "rollback", Aliases: []string{"rb", "undo"}, Summary: "Roll back", Run: reply("rolled back")}); err != nil {
		t.Fatalf("Register(rollback, [rb undo]): %v", err)
	}
	for _, line := range []string{"!rollback", "!rb", "!UNDO"} {
		if got, err := r.Dispatch(line); err != nil || got != "rolled back" {
			t.Errorf("Dispatch(%q) = %q, %v; want rolled back", line, got, err)
		}
	}
}

func TestAcceptanceInvalidAliases(t *testing.T) {
	r := newRegistry(t)
	for _, alias := range []string{"", "RB", "Rb", "9", "r b", "!rb", "-rb", "ré"} {
		err := r.Register(command.Command{Name: "rollback", Aliases: []string{"ok-alias", alias}, Run: echo})
		if !errors.Is(err, command.ErrInvalid) {
			t.Errorf("Register with alias %q error = %v, want ErrInvalid", alias, err)
		}
	}
	if _, ok := r.Lookup("ok-alias"); ok {
		t.Error("alias of a rejected command was registered")
	}
	if _, ok := r.Lookup("rollback"); ok {
		t.Error("rejected command was registered")
	}
}

func TestAcceptanceNoAliasesUnchanged(t *testing.T) {
	r := command.NewRegistry()
	if err := r.Register(command.Command{Name: "ping", Summary: "Check that the bot is alive", Run: reply("pong")}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := r.Register(command.Command{Name: "uptime", Aliases: []string{}, Summary: "  Show uptime ", Run: reply("3d")}); err != nil {
		t.Fatalf("Register with empty Aliases: %v", err)
	}
	if got, want := r.Help(), "!ping - Check that the bot is alive\n!uptime - Show uptime\n"; got != want {
		t.Errorf("Help() = %q, want %q", got, want)
	}
	if err := r.Register(command.Command{Name: "ping", Run: echo}); !errors.Is(err, command.ErrDuplicate) {
		t.Errorf("duplicate Register error = %v, want ErrDuplicate", err)
	}
	if _, err := r.Dispatch("just chatting"); !errors.Is(err, command.ErrNotCommand) {
		t.Errorf("Dispatch(plain text) error = %v, want ErrNotCommand", err)
	}
}
