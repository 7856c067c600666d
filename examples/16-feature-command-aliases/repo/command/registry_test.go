package command

import (
	"errors"
	"strings"
	"testing"
)

func echo(args []string) (string, error) { return strings.Join(args, " "), nil }

func newTestRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	cmds := []Command{
		{Name: "ping", Usage: "ping", Summary: "Check that the bot is alive", Run: func([]string) (string, error) { return "pong", nil }},
		{Name: "deploy", Usage: "deploy <service> <env>", Summary: "Deploy a service", MinArgs: 2, Run: echo},
	}
	for _, c := range cmds {
		if err := r.Register(c); err != nil {
			t.Fatalf("Register(%q): %v", c.Name, err)
		}
	}
	return r
}

func TestDispatch(t *testing.T) {
	r := newTestRegistry(t)
	if got, err := r.Dispatch("  !PING "); err != nil || got != "pong" {
		t.Errorf("Dispatch(!PING) = %q, %v; want pong", got, err)
	}
	if got, err := r.Dispatch("!deploy api staging"); err != nil || got != "api staging" {
		t.Errorf("Dispatch(!deploy api staging) = %q, %v", got, err)
	}
	if _, err := r.Dispatch("!deploy api"); !errors.Is(err, ErrUsage) {
		t.Errorf("Dispatch with too few args error = %v, want ErrUsage", err)
	}
	if _, err := r.Dispatch("!rollback"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Dispatch(!rollback) error = %v, want ErrUnknown", err)
	}
	if _, err := r.Dispatch("hello bot"); !errors.Is(err, ErrNotCommand) {
		t.Errorf("Dispatch(hello bot) error = %v, want ErrNotCommand", err)
	}
}

func TestRegisterErrors(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.Register(Command{Name: "ping", Run: echo}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate Register error = %v, want ErrDuplicate", err)
	}
	for _, name := range []string{"", "Deploy", "9lives", "two words", "!ping"} {
		if err := r.Register(Command{Name: name, Run: echo}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Register(%q) error = %v, want ErrInvalid", name, err)
		}
	}
	if err := r.Register(Command{Name: "noop"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Register without handler error = %v, want ErrInvalid", err)
	}
}

func TestHelp(t *testing.T) {
	r := newTestRegistry(t)
	want := "!deploy - Deploy a service\n!ping - Check that the bot is alive\n"
	if got := r.Help(); got != want {
		t.Errorf("Help() = %q, want %q", got, want)
	}
}
